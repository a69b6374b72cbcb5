package openapi

import (
	"encoding/json"
	"sync"

	"github.com/agentmock/agentmock"
	"github.com/getkin/kin-openapi/openapi3"
)

// memberwise is an object schema whose verdict on an object is the
// conjunction of verdicts on its members, compiled for checking them one at
// a time: the object conforms exactly when its required members are
// present and each member conforms as kin-openapi's visitJSONObject checks
// it (a readOnly one absent from a request, a writeOnly one from a
// response, a declared one conforming to its schema, an undeclared one to
// additionalProperties). kin's own walk of an object also sorts all its
// schema's property names and visits each, whatever the object holds: for
// a two-member PATCH of a fifty-member agent, most of the check.
type memberwise struct {
	props      openapi3.Schemas
	additional *openapi3.Schema // nil: any value, unless closed
	closed     bool             // additionalProperties: false
	required   []string
	// asRequest and asResponse are Check's options, made once.
	asRequest, asResponse []openapi3.SchemaValidationOption
}

// memberwiseOf compiles sch, once, or returns nil when it is not
// memberwise: an object schema with no keyword that looks at two members
// at once, or at the object as a whole (composition, discriminators,
// property counts, dependencies, conditionals, unevaluated or pattern
// properties). It is decided by exclusion: every keyword other than the few
// it allows must be absent, so a keyword kin-openapi adds later makes the
// answer nil, not wrong.
func (s *Spec) memberwiseOf(sch *openapi3.Schema) *memberwise {
	return memoized(&s.members, sch, s.compileMemberwise)
}

// memoized returns what build makes of sch, building it once per schema
// and keeping it in m. Two requests may both build it first; they build the
// same thing.
func memoized[T any](m *sync.Map, sch *openapi3.Schema, build func(*openapi3.Schema) T) T {
	if v, ok := m.Load(sch); ok {
		return v.(T)
	}
	v := build(sch)
	m.Store(sch, v)
	return v
}

func (s *Spec) compileMemberwise(sch *openapi3.Schema) *memberwise {
	if sch == nil || !sch.Type.Is(openapi3.TypeObject) || s.Is31() {
		// A 3.1 document is validated by a JSON Schema 2020-12 compiler,
		// which kin-openapi runs on whole schemas only.
		return nil
	}
	rest := *sch
	rest.Type, rest.Properties, rest.Required, rest.AdditionalProperties = nil, nil, nil, openapi3.AdditionalProperties{}
	rest.Title, rest.Description, rest.Example, rest.Extensions, rest.ReadOnly, rest.WriteOnly, rest.Deprecated = "", "", nil, nil, false, false, false
	rest.ExternalDocs, rest.XML, rest.Origin = nil, nil, nil
	if data, err := json.Marshal(&rest); err != nil || string(data) != "{}" {
		return nil
	}
	for _, p := range sch.Properties {
		if p == nil || p.Value == nil {
			return nil
		}
	}
	m := &memberwise{props: sch.Properties, required: sch.Required,
		asRequest: s.validationOptions(openapi3.VisitAsRequest()), asResponse: s.validationOptions(openapi3.VisitAsResponse())}
	if a := sch.AdditionalProperties.Schema; a != nil {
		if a.Value == nil {
			return nil
		}
		m.additional = a.Value
	}
	m.closed = sch.AdditionalProperties.Has != nil && !*sch.AdditionalProperties.Has
	return m
}

// conforms reports whether obj conforms, checking only its members that
// are not the same in before (nil: all of them), which conformed. False
// means it could not show it: Check's full walk decides, and tells why.
// kin excuses a required member that is readOnly in a request or
// writeOnly in a response; here that only sends the object to the walk.
func (m *memberwise) conforms(obj, before map[string]any, asRequest bool) bool {
	if !m.hasRequired(obj) {
		return false
	}
	opts := m.options(asRequest)
	for k, v := range obj {
		if before != nil {
			if old, ok := before[k]; ok && sameJSON(old, v) {
				continue
			}
		}
		ms, ok := m.memberSchema(k, v, asRequest)
		if !ok || (ms != nil && ms.VisitJSON(v, opts...) != nil) {
			return false
		}
	}
	return true
}

func (m *memberwise) hasRequired(obj map[string]any) bool {
	for _, name := range m.required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	return true
}

func (m *memberwise) options(asRequest bool) []openapi3.SchemaValidationOption {
	if asRequest {
		return m.asRequest
	}
	return m.asResponse
}

// memberSchema is the schema member k's value v must meet, nil for any
// value; ok is false when the member is wrong whatever its value, as the
// object's own violation: one the schema closes out, or one read-only in a
// request (write-only in a response).
func (m *memberwise) memberSchema(k string, v any, asRequest bool) (*openapi3.Schema, bool) {
	p := m.props[k]
	if p == nil {
		return m.additional, !m.closed
	}
	forbidden := p.Value.WriteOnly
	if asRequest {
		forbidden = p.Value.ReadOnly
	}
	return p.Value, !forbidden || v == nil
}

// memberViolations is Check for a member-wise schema: it visits only the
// members, where kin's walk visits all of an agent's fifty properties,
// sorted anew each time (a fifth of a 422), and gives the violations that
// walk would give. decided is false, and the whole walk must decide and
// explain, when the object's own rules fail: a missing required member, a
// member the schema closes out, or one read-only in a request (write-only
// in a response).
//
// The two agree because the object's verdict is the conjunction of its
// members' (memberwiseOf), kin reports each member's violations under the
// member's name, and ordered sorts them by document order whatever order
// they come in (TestMemberViolationsAgreeWithTheWalk).
func (s *Spec) memberViolations(in agentmock.Location, m *memberwise, sch *openapi3.Schema, obj map[string]any, asRequest bool) (vs []agentmock.Violation, decided bool) {
	if !m.hasRequired(obj) {
		return nil, false
	}
	opts := m.options(asRequest)
	var out []agentmock.Violation
	for k, v := range obj {
		ms, ok := m.memberSchema(k, v, asRequest)
		if !ok {
			return nil, false
		}
		if ms == nil {
			continue
		}
		if err := ms.VisitJSON(v, opts...); err != nil {
			s.collect(in, []string{k}, ms, v, err, &out)
		}
	}
	if len(out) == 0 {
		return nil, true
	}
	return s.ordered(sch, out), true
}

// CheckChanged is Check, as a response, for a document made from before,
// which conformed to sch: where sch is member-wise only the members that
// are new or differ from before's are visited, as the others conformed
// before and still do.
func (s *Spec) CheckChanged(in agentmock.Location, sch *openapi3.Schema, doc, before map[string]any) []agentmock.Violation {
	if m := s.memberwiseOf(sch); m != nil && before != nil && m.conforms(doc, before, false) {
		return nil
	}
	return s.Check(in, sch, doc, false)
}

// sameJSON reports whether two decoded JSON values (as DecodeJSON gives
// them, numbers as json.Number) are the same value written the same way.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case string, bool, json.Number, float64, int, int64:
		return a == b
	}
	return false
}
