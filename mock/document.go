package mock

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// document is the provider of a document agentmock knows no vendor for
// (agentmock mock DOCUMENT): every operation is the engine's, one tenant
// holds everything, a request needs the credentials the document's
// security requirements name (any value: there are no keys to check), and
// errors take the shape the operation declares for their status where it
// declares one, else RFC 7807's application/problem+json.
type document struct {
	spec *openapi.Spec
}

// documentTenant is the one tenant of a document served on its own.
const documentTenant = "default"

// problemJSON is RFC 7807's media type.
const problemJSON = "application/problem+json"

// NewDocument serves a document on its own, with the engine alone.
func NewDocument(ctx context.Context, spec *openapi.Spec, st *store.Store, cfg Config) (*Server, error) {
	return newServer(ctx, spec, st, &document{spec: spec}, cfg)
}

func (d *document) Name() string           { return "document" }
func (d *document) ErrorSchema() string    { return "" }
func (d *document) RedirectSlashes() bool  { return false }
func (d *document) EmptyQueryIsNull() bool { return false }
func (d *document) Handlers(provider.Engine) map[string]provider.Handler {
	return map[string]provider.Handler{}
}
func (d *document) Collections() []string                 { return nil }
func (d *document) Seed(*store.Tx, provider.Engine) error { return nil }
func (d *document) Rules() resources.Rules                { return resources.Rules{} }
func (d *document) Credential(*http.Request) string       { return "" }
func (d *document) Scope(context.Context, provider.Principal, *openapi.Route) (string, error) {
	return documentTenant, nil
}

// Authenticate checks that the request carries what one of the operation's
// security requirements (else the document's) names.
func (d *document) Authenticate(r *http.Request) (provider.Principal, bool) {
	reqs := d.spec.Doc.Security
	if route, err := d.spec.FindRoute(r); err == nil && route.Operation.Security != nil {
		reqs = *route.Operation.Security
	}
	if len(reqs) == 0 {
		return provider.Principal{Tenant: documentTenant}, true
	}
	var schemes openapi3.SecuritySchemes
	if d.spec.Doc.Components != nil {
		schemes = d.spec.Doc.Components.SecuritySchemes
	}
	for _, req := range reqs {
		met := true
		for name := range req {
			ref := schemes[name]
			if ref == nil || ref.Value == nil || !presents(r, ref.Value) {
				met = false
				break
			}
		}
		if met {
			return provider.Principal{Tenant: documentTenant}, true
		}
	}
	return provider.Principal{}, false
}

// presents reports whether a request carries a scheme's credential.
func presents(r *http.Request, s *openapi3.SecurityScheme) bool {
	switch s.Type {
	case "apiKey":
		switch s.In {
		case "query":
			return r.URL.Query().Get(s.Name) != ""
		case "cookie":
			c, err := r.Cookie(s.Name)
			return err == nil && c.Value != ""
		default:
			return r.Header.Get(s.Name) != ""
		}
	case "http":
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.EqualFold(scheme, s.Scheme) && strings.TrimSpace(cred) != ""
	case "oauth2", "openIdConnect":
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(cred) != ""
	}
	return true // mutualTLS and the unknown: nothing a mock can check
}

// Render is RFC 7807's problem, with each violation in errors.
func (d *document) Render(e *provider.Error) map[string]any {
	detail := e.Message
	if e.Detail != "" {
		detail += ": " + e.Detail
	}
	body := map[string]any{"type": "about:blank", "title": http.StatusText(e.Status), "status": e.Status, "detail": detail}
	if len(e.Violations) > 0 {
		body["detail"] = "The request does not conform to the document"
		body["errors"] = provider.FieldErrors(e.Violations)
	}
	return body
}

func (d *document) Describe(v agentmock.Violation) string { return pydantic.Message(v) }

func (d *document) Malformed(err error) *provider.Error {
	return &provider.Error{Status: http.StatusBadRequest, Message: "Malformed JSON body", Detail: err.Error()}
}

func (d *document) Missing(resource, id string) *provider.Error {
	return provider.NotFound("", fmt.Sprintf("%s %s not found", provider.Capitalized(resource), id))
}

// fitError answers an error in the shape the operation declares for its
// status, where it declares one that the problem does not fit: its
// example, else a value generated from its schema with the message in the
// members that carry one.
func (d *document) fitError(s *Server, route *openapi.Route, e *provider.Error, problem map[string]any) map[string]any {
	if route == nil {
		return problem
	}
	sch := route.ResponseSchema(e.Status)
	if sch == nil || s.conforms(sch, problem) {
		return problem
	}
	v, ok := s.spec.Example(route.Operation, e.Status, "")
	if !ok {
		v = openapi.Generate(sch, seeded(s.cfg.GenerationSeed, route.Key, fmt.Sprint(e.Status)))
	}
	body, ok := v.(map[string]any)
	if !ok {
		return problem
	}
	for _, k := range []string{"message", "detail", "error", "title", "description"} {
		if p := openapi.View(sch).Properties[k]; p != nil && openapi.View(p.Value).Type.Is(openapi3.TypeString) {
			body[k] = problem["detail"]
		}
	}
	return body
}
