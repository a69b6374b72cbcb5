package mock

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// resource is the schema-driven part of a stateful resource: a stored
// document always has the shape of the response schema. What a client may
// write comes from the request schemas, defaults and required members from
// the response schema (then the create schema), and the members the server
// manages from the provider's hooks.
type resource struct {
	spec     *openapi.Spec
	response *openapi3.Schema // the stored and returned shape
	create   *openapi3.Schema // request body of create: fallback defaults
	// unions maps each member of the create body that holds one variant of
	// a tagged union to the member that tells the variants apart
	// (itellico's model, transcriber and voice: "provider").
	unions map[string]string
}

func newResource(spec *openapi.Spec, createKey, responseKey string, responseStatus int) (*resource, error) {
	cr := spec.Operation(createKey)
	rs := spec.Operation(responseKey)
	if cr == nil || rs == nil {
		return nil, fmt.Errorf("the document lacks %q or %q", createKey, responseKey)
	}
	res := &resource{
		spec:     spec,
		response: openapi.ResponseSchema(rs.Operation, responseStatus),
		create:   openapi.RequestSchema(cr.Operation),
	}
	if res.response == nil {
		return nil, fmt.Errorf("%s declares no JSON response for %d", responseKey, responseStatus)
	}
	res.unions = map[string]string{}
	if cv := openapi.View(res.create); cv != nil {
		for name, p := range cv.Properties {
			if tag, _ := openapi.Tag(p.Value); tag != "" {
				res.unions[name] = tag
			}
		}
	}
	return res, nil
}

// hook sets the members the server manages. It gets the document being built
// (or merged) and the request body, and reports violations of its own.
type hook func(doc, body map[string]any) error

// build makes a new stored document from a create body.
func (rs *resource) build(body map[string]any, manage hook) ([]byte, error) {
	doc := map[string]any{}
	declared := openapi.View(rs.response).Properties
	for k, v := range body {
		p, ok := declared[k]
		if !ok {
			continue
		}
		if v == nil && !openapi.Nullable(p.Value) {
			// null for a member the agent cannot hold as null means "not
			// given": the default applies, as pydantic's does.
			continue
		}
		doc[k] = v
	}
	return rs.finish(doc, body, manage)
}

// merge applies an RFC 7396 merge patch to a stored document. The patch was
// validated against the request schema; the result is completed and
// validated against the response schema before it may be stored.
func (rs *resource) merge(stored []byte, patch map[string]any, manage hook) ([]byte, error) {
	v, err := decodeJSON(stored)
	if err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	old, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("stored document is not an object")
	}
	patch = rs.replaceSwitchedVariants(old, patch)
	doc, ok := mergePatch(old, patch).(map[string]any)
	if !ok {
		return nil, errors.New("merged document is not an object")
	}
	if vs := rs.cleared(doc, patch); len(vs) > 0 {
		return nil, invalid(vs...)
	}
	return rs.finish(doc, patch, manage)
}

// replaceSwitchedVariants rewrites a patch so that a union member whose
// tag (itellico's provider) changes is replaced whole instead of merged into the old variant:
// every old key the patch does not set becomes null, which RFC 7396 deletes.
// The caller's patch is not modified.
func (rs *resource) replaceSwitchedVariants(old, patch map[string]any) map[string]any {
	out, copied := patch, false
	for f, tag := range rs.unions {
		next, ok := patch[f].(map[string]any)
		if !ok {
			continue
		}
		prev, _ := old[f].(map[string]any)
		variant, switching := next[tag]
		if !switching || prev == nil || prev[tag] == variant {
			continue
		}
		if !copied {
			out, copied = make(map[string]any, len(patch)), true
			for k, v := range patch {
				out[k] = v
			}
		}
		replaced := make(map[string]any, len(prev)+len(next))
		for k := range prev {
			replaced[k] = nil
		}
		for k, v := range next {
			replaced[k] = v
		}
		out[f] = replaced
	}
	return out
}

// cleared reports members that a create request must give but the patch
// set to null: an agent cannot lose what it could not be made without.
func (rs *resource) cleared(doc, patch map[string]any) []agentmock.Violation {
	create := openapi.View(rs.create)
	if create == nil {
		return nil
	}
	var vs []agentmock.Violation
	for _, name := range create.Required {
		if v, ok := patch[name]; !ok || v != nil {
			continue
		}
		if _, shown := openapi.View(rs.response).Properties[name]; !shown {
			continue // a request-only member (Diga's voice_id): its hook decides
		}
		if doc[name] == nil {
			vs = append(vs, agentmock.Violation{In: agentmock.InBody, Path: []string{name}, Kind: agentmock.KindMissing,
				Message: "Field required: it cannot be cleared, as every agent must have one"})
		}
	}
	return vs
}

func (rs *resource) finish(doc, body map[string]any, manage hook) ([]byte, error) {
	if manage != nil {
		if err := manage(doc, body); err != nil {
			return nil, err
		}
	}
	rs.spec.Complete(rs.response, rs.create, doc)
	if vs := rs.spec.Check(agentmock.InBody, rs.response, doc, false); len(vs) > 0 {
		return nil, invalid(vs...)
	}
	return rs.spec.Encode(rs.response, doc)
}

// notFound is the generic 404 for a resource id.
func notFound(code, message string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: code, Message: message}
}
