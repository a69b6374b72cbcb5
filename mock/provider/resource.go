package provider

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// Resource is the schema-driven part of a stateful Resource: a stored
// document always has the shape of the response schema. What a client may
// write comes from the request schemas, defaults and required members from
// the response schema (then the create schema), and the members the server
// manages from the provider's hooks.
type Resource struct {
	spec     *openapi.Spec
	Response *openapi3.Schema // the stored and returned shape
	Create   *openapi3.Schema // request body of create: fallback defaults
	// Unions maps each member of the create body that holds one variant of
	// a tagged union to the member that tells the variants apart
	// (itellico's model, transcriber and voice: "provider").
	Unions map[string]string

	recent *recent
}

func NewResource(spec *openapi.Spec, createKey, responseKey string, responseStatus int) (*Resource, error) {
	cr := spec.Operation(createKey)
	rs := spec.Operation(responseKey)
	if cr == nil || rs == nil {
		return nil, fmt.Errorf("the document lacks %q or %q", createKey, responseKey)
	}
	res := &Resource{
		spec:     spec,
		Response: openapi.ResponseSchema(rs.Operation, responseStatus),
		Create:   openapi.RequestSchema(cr.Operation),
		recent:   newRecent(),
	}
	if res.Response == nil {
		return nil, fmt.Errorf("%s declares no JSON response for %d", responseKey, responseStatus)
	}
	res.Unions = map[string]string{}
	if cv := openapi.View(res.Create); cv != nil {
		for name, p := range cv.Properties {
			if tag, _ := openapi.Tag(p.Value); tag != "" {
				res.Unions[name] = tag
			}
		}
	}
	return res, nil
}

// Hook sets the members the server manages. It gets the document being built
// (or merged) and the request body, and reports violations of its own.
type Hook func(doc, body map[string]any) error

// Build makes a new stored document from a create body.
func (rs *Resource) Build(body map[string]any, manage Hook) ([]byte, error) {
	doc := map[string]any{}
	declared := openapi.View(rs.Response).Properties
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
	return rs.finish(doc, body, manage, nil)
}

// Merge applies an RFC 7396 Merge patch to a stored document. The patch was
// validated against the request schema; the result is completed and
// validated against the response schema before it may be stored.
func (rs *Resource) Merge(stored []byte, patch map[string]any, manage Hook) ([]byte, error) {
	before := rs.recent.get(stored)
	var old map[string]any
	if before != nil {
		old = openapi.Clone(before).(map[string]any)
	} else {
		var err error
		if old, err = DecodeObject(stored); err != nil {
			return nil, err
		}
	}
	patch = rs.replaceSwitchedVariants(old, patch)
	doc, ok := MergePatch(old, patch).(map[string]any)
	if !ok {
		return nil, errors.New("merged document is not an object")
	}
	if vs := rs.cleared(doc, patch); len(vs) > 0 {
		return nil, Invalid(vs...)
	}
	return rs.finish(doc, patch, manage, before)
}

// replaceSwitchedVariants rewrites a patch so that a union member whose
// tag (itellico's provider) changes is replaced whole instead of merged into the old variant:
// every old key the patch does not set becomes null, which RFC 7396 deletes.
// The caller's patch is not modified.
func (rs *Resource) replaceSwitchedVariants(old, patch map[string]any) map[string]any {
	out, copied := patch, false
	for f, tag := range rs.Unions {
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
func (rs *Resource) cleared(doc, patch map[string]any) []agentmock.Violation {
	create := openapi.View(rs.Create)
	if create == nil {
		return nil
	}
	var vs []agentmock.Violation
	for _, name := range create.Required {
		if v, ok := patch[name]; !ok || v != nil {
			continue
		}
		if _, shown := openapi.View(rs.Response).Properties[name]; !shown {
			continue // a request-only member (Diga's voice_id): its hook decides
		}
		if doc[name] == nil {
			vs = append(vs, agentmock.Violation{In: agentmock.InBody, Path: []string{name}, Kind: agentmock.KindMissing,
				Message: "Field required: it cannot be cleared, as every agent must have one"})
		}
	}
	return vs
}

// finish completes and checks a built or merged document and encodes it.
// before is the stored document a merge started from, when it is known to
// conform (recent): then only what changed is checked, where the schema
// allows that to give the full check's answer.
func (rs *Resource) finish(doc, body map[string]any, manage Hook, before map[string]any) ([]byte, error) {
	if manage != nil {
		if err := manage(doc, body); err != nil {
			return nil, err
		}
	}
	rs.spec.Complete(rs.Response, rs.Create, doc)
	if vs := rs.spec.CheckChanged(agentmock.InBody, rs.Response, doc, before); len(vs) > 0 {
		return nil, Invalid(vs...)
	}
	data, err := rs.spec.Encode(rs.Response, doc)
	if err != nil {
		return nil, err
	}
	// A copy: doc shares values with the request's body (Build copies its
	// members, and hooks may too), and a retried write builds from that body
	// again.
	rs.recent.put(data, openapi.Clone(doc).(map[string]any))
	return data, nil
}

// NotFound is the generic 404 for a resource id.
func NotFound(code, message string) *Error {
	return &Error{Status: http.StatusNotFound, Code: code, Message: message}
}

// FixtureAgent reads a fixture agent's body and creation time, checking the
// body against the create request like any client's.
func (rs *Resource) FixtureAgent(a fixtures.Agent) (map[string]any, time.Time, error) {
	v, err := DecodeJSON(a.Body)
	body, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, time.Time{}, fmt.Errorf("agent %s: body is not a JSON object", a.ID)
	}
	created, err := time.Parse(time.RFC3339, a.Created)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("agent %s: created: %w", a.ID, err)
	}
	if vs := rs.spec.Check(agentmock.InBody, rs.Create, body, true); len(vs) > 0 {
		return nil, time.Time{}, fmt.Errorf("agent %s: %s: %s", a.ID, vs[0].Field(), pydantic.Message(vs[0]))
	}
	return body, created, nil
}
