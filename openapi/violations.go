package openapi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// validationOptions are the settings every schema check uses: all violations
// at once, and the 2020-12 validator for 3.1 documents as openapi3filter
// itself would choose.
func (s *Spec) validationOptions(extra ...openapi3.SchemaValidationOption) []openapi3.SchemaValidationOption {
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors()}, extra...)
	if s.Is31() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return opts
}

// Check validates a decoded JSON value against a schema and returns every
// violation, located under in. Request bodies are checked as requests
// (readOnly members rejected), anything else as a response.
func (s *Spec) Check(in agentmock.Location, sch *openapi3.Schema, v any, asRequest bool) []agentmock.Violation {
	if sch == nil {
		return nil
	}
	if obj, ok := v.(map[string]any); ok {
		if m := s.memberwiseOf(sch); m != nil {
			if vs, decided := s.memberViolations(in, m, sch, obj, asRequest); decided {
				return vs
			}
		}
	}
	if s.Is31() && s.conforms2020(sch, v, asRequest) {
		return nil
	}
	mode := openapi3.VisitAsResponse()
	if asRequest {
		mode = openapi3.VisitAsRequest()
	}
	err := sch.VisitJSON(v, s.validationOptions(mode)...)
	if err == nil {
		return nil
	}
	return s.Violations(in, sch, v, err)
}

// Violations converts what kin-openapi reports into violations. sch and v are
// the schema and value that were validated, used to explain union failures.
func (s *Spec) Violations(in agentmock.Location, sch *openapi3.Schema, v any, err error) []agentmock.Violation {
	var out []agentmock.Violation
	s.collect(in, nil, sch, v, err, &out)
	return s.ordered(sch, out)
}

// ordered dedupes violations found against sch and puts them in document
// order.
func (s *Spec) ordered(sch *openapi3.Schema, out []agentmock.Violation) []agentmock.Violation {
	out = dedupe(out)
	// kin-openapi reports members in map order, which changes from run to
	// run; pydantic reports them in the model's order, and so do we.
	ranks := make([][]int, len(out))
	for i, o := range out {
		ranks[i] = s.rank(sch, o.Path)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if c := slices.Compare(ranks[idx[a]], ranks[idx[b]]); c != 0 {
			return c < 0
		}
		return strings.Join(out[idx[a]].Path, ".") < strings.Join(out[idx[b]].Path, ".")
	})
	sorted := make([]agentmock.Violation, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// rank places a violation's path in document order: each member by its
// position among its object's properties, each array index by its value.
// Members the schema does not declare come after those it does.
func (s *Spec) rank(sch *openapi3.Schema, path []string) []int {
	out := make([]int, 0, len(path))
	for _, p := range path {
		v := objectView(sch, nil)
		switch {
		case v == nil:
			out = append(out, math.MaxInt)
		case v.Items != nil && len(v.Properties) == 0:
			n, err := strconv.Atoi(p)
			if err != nil {
				n = math.MaxInt
			}
			out = append(out, n)
			sch = v.Items.Value
			continue
		default:
			i := slices.Index(s.Properties(v), p)
			if i < 0 {
				i = math.MaxInt
			}
			out = append(out, i)
		}
		if v == nil || v.Properties[p] == nil {
			sch = nil
			continue
		}
		sch = v.Properties[p].Value
	}
	return out
}

func (s *Spec) collect(in agentmock.Location, prefix []string, sch *openapi3.Schema, v any, err error, out *[]agentmock.Violation) {
	// A type switch, not errors.As: a RequestError unwraps to the MultiError
	// inside it, and errors.As would lose the parameter it names.
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, sub := range e {
			s.collect(in, prefix, sch, v, sub, out)
		}
	case *openapi3filter.RequestError:
		s.requestViolation(in, prefix, sch, v, e, out)
	case *openapi3.SchemaError:
		s.schemaViolation(in, prefix, sch, v, e, out)
	default:
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			s.schemaViolation(in, prefix, sch, v, se, out)
			return
		}
		*out = append(*out, agentmock.Violation{In: in, Path: prefix, Kind: agentmock.KindValue, Reason: err.Error()})
	}
}

func (s *Spec) requestViolation(in agentmock.Location, prefix []string, sch *openapi3.Schema, v any, e *openapi3filter.RequestError, out *[]agentmock.Violation) {
	p := e.Parameter
	if p == nil {
		if e.Err != nil {
			s.collect(in, prefix, sch, v, e.Err, out)
			return
		}
		*out = append(*out, agentmock.Violation{In: in, Path: prefix, Kind: agentmock.KindValue, Reason: e.Reason})
		return
	}
	loc, path := agentmock.Location(p.In), []string{p.Name}
	if errors.Is(e.Err, openapi3filter.ErrInvalidRequired) {
		*out = append(*out, agentmock.Violation{In: loc, Path: path, Kind: agentmock.KindMissing})
		return
	}
	var ps *openapi3.Schema
	if p.Schema != nil {
		ps = p.Schema.Value
	}
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue) && given(e, p):
		// kin-openapi decodes a union parameter (anyOf [integer, null], as
		// FastAPI writes Optional[int]) branch by branch and, when no
		// branch parses the text, calls it empty: it was not, it was not
		// of the type.
		*out = append(*out, parseViolation(loc, path, View(ps)))
	case e.Err == nil:
		*out = append(*out, agentmock.Violation{In: loc, Path: path, Kind: agentmock.KindValue, Reason: e.Reason})
	case errors.As(e.Err, &pe):
		*out = append(*out, parseViolation(loc, path, View(ps)))
	default:
		s.collect(loc, path, ps, nil, e.Err, out)
	}
}

// given reports whether the request carries a non-empty value for p.
func given(e *openapi3filter.RequestError, p *openapi3.Parameter) bool {
	if e.Input == nil || e.Input.Request == nil {
		return false
	}
	r := e.Input.Request
	switch p.In {
	case openapi3.ParameterInQuery:
		return r.URL.Query().Get(p.Name) != ""
	case openapi3.ParameterInHeader:
		return r.Header.Get(p.Name) != ""
	}
	return false
}

// kindOf is the typed error kind of the JSON Schema 2020-12 validator (3.1
// documents) behind a SchemaError kin converted from it, looking through
// the wrappers that only group one cause; nil for kin's own validator.
func kindOf(se *openapi3.SchemaError) jsonschema.ErrorKind {
	if se.Origin != nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(se, &ve) {
		return nil
	}
	for len(ve.Causes) == 1 {
		switch ve.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.Reference:
			ve = ve.Causes[0]
			continue
		}
		break
	}
	return ve.ErrorKind
}

// extraMembers lists the members of obj that sch does not declare, in
// name order: what kin's own validator (3.0 documents) reports one error
// each for, naming the member only in its message.
func extraMembers(sch *openapi3.Schema, obj any) []string {
	m, ok := obj.(map[string]any)
	view := objectView(sch, m)
	if !ok || view == nil {
		return nil
	}
	var out []string
	for _, k := range sortedKeys(m) {
		if view.Properties[k] == nil {
			out = append(out, k)
		}
	}
	return out
}

func (s *Spec) schemaViolation(in agentmock.Location, prefix []string, root *openapi3.Schema, rootValue any, se *openapi3.SchemaError, out *[]agentmock.Violation) {
	rel := se.JSONPointer()
	path := append(append([]string(nil), prefix...), rel...)
	field := se.SchemaField
	// The 2020-12 validator (3.1 documents) reports no schema: find it by
	// walking the failing value's path from the validated root.
	sch := se.Schema
	if sch == nil {
		sch = schemaAt(root, rel)
	}
	// A failed union is explained by the variant the value names (or by its
	// tag), never by every variant's complaints.
	if se.SchemaField == "oneOf" || se.SchemaField == "anyOf" {
		if s.explainUnion(in, path, sch, se.Value, out) {
			return
		}
	}
	// The 2020-12 validator (3.1 documents) nests every violation under one
	// error that only groups them: report the causes instead. For a nullable
	// union, the cause "not null" says nothing the other branch does not.
	var causes openapi3.MultiError
	if se.Origin != nil && errors.As(se.Origin, &causes) && len(causes) > 0 {
		union := se.SchemaField == "anyOf" || se.SchemaField == "oneOf"
		before := len(*out)
		for _, c := range causes {
			if ce, ok := c.(*openapi3.SchemaError); ok && union {
				if t, ok := kindOf(ce).(*kind.Type); ok && slices.Equal(t.Want, []string{"null"}) {
					continue
				}
			}
			s.collect(in, prefix, root, rootValue, c, out)
		}
		if len(*out) > before {
			return
		}
	}
	add := func(v agentmock.Violation, p []string) {
		v.In, v.Path = in, p
		*out = append(*out, v)
	}
	kindOnly := func(kind string) agentmock.Violation { return agentmock.Violation{Kind: kind} }
	switch field {
	case "required":
		// kin's own validator puts the missing name on the path; the 2020-12
		// one names every missing member in its kind.
		if k, ok := kindOf(se).(*kind.Required); ok {
			for _, name := range k.Missing {
				add(kindOnly(agentmock.KindMissing), appendPath(path, name))
			}
			return
		}
		add(kindOnly(agentmock.KindMissing), path)
	case "additionalProperties", "unevaluatedProperties":
		var names []string
		if k, ok := kindOf(se).(*kind.AdditionalProperties); ok {
			names = k.Properties
		}
		if len(names) == 0 {
			add(kindOnly(agentmock.KindExtraForbidden), path)
		}
		for _, name := range names {
			add(kindOnly(agentmock.KindExtraForbidden), appendPath(path, name))
		}
	case "properties":
		// kin's own validator reports an undeclared member against the
		// object's properties, naming it only in its message: find it.
		for _, name := range extraMembers(sch, se.Value) {
			add(kindOnly(agentmock.KindExtraForbidden), appendPath(path, name))
		}
	case "type", "nullable":
		*out = append(*out, typeViolation(in, path, View(sch)))
	case "enum", "const":
		add(agentmock.Violation{Kind: agentmock.KindEnum, Expected: enumValues(View(sch))}, path)
	case "minimum", "exclusiveMinimum":
		k := agentmock.KindGreaterEqual
		if field == "exclusiveMinimum" || (sch != nil && sch.ExclusiveMin.IsTrue()) {
			k = agentmock.KindGreater
		}
		add(agentmock.Violation{Kind: k, Limit: bound(sch, true)}, path)
	case "maximum", "exclusiveMaximum":
		k := agentmock.KindLessEqual
		if field == "exclusiveMaximum" || (sch != nil && sch.ExclusiveMax.IsTrue()) {
			k = agentmock.KindLess
		}
		add(agentmock.Violation{Kind: k, Limit: bound(sch, false)}, path)
	case "maxLength":
		add(agentmock.Violation{Kind: agentmock.KindTooLong, Limit: fmt.Sprint(limit(View(sch).MaxLength))}, path)
	case "minLength":
		add(agentmock.Violation{Kind: agentmock.KindTooShort, Limit: fmt.Sprint(sch.MinLength)}, path)
	case "maxItems":
		add(agentmock.Violation{Kind: agentmock.KindTooManyItems, Limit: fmt.Sprint(limit(View(sch).MaxItems))}, path)
	case "minItems":
		add(agentmock.Violation{Kind: agentmock.KindTooFewItems, Limit: fmt.Sprint(sch.MinItems)}, path)
	case "pattern":
		add(agentmock.Violation{Kind: agentmock.KindPattern, Limit: sch.Pattern}, path)
	case "format":
		add(formatViolation(sch), path)
	case "anyOf", "oneOf", "allOf":
		add(kindOnly(agentmock.KindUnion), path)
	default:
		if _, ok := kindOf(se).(*kind.Format); ok && sch != nil && sch.Format != "" {
			add(formatViolation(sch), path)
			return
		}
		// A keyword with no kind of ours: kin's reason, as the message.
		add(agentmock.Violation{Kind: agentmock.KindValue, Reason: cleanReason(se.Reason)}, path)
	}
}

// explainUnion turns a failed nullable wrapper (anyOf [T, null]) into T's own
// violations, and a failed tagged union into the tagged member's violations,
// so that users read "greater than or equal to 0" instead of "doesn't match
// any schema".
func (s *Spec) explainUnion(in agentmock.Location, path []string, sch *openapi3.Schema, v any, out *[]agentmock.Violation) bool {
	if sch == nil {
		return false
	}
	target, variant := View(sch), ""
	if target == sch || target == nil {
		obj, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if target = Branch(sch, obj); target == nil {
			return s.explainTag(in, path, sch, obj, out)
		}
		variant = Variant(sch, obj)
	}
	err := target.VisitJSON(v, s.validationOptions()...)
	if err == nil {
		return false
	}
	var sub []agentmock.Violation
	s.collect(in, path, target, v, err, &sub)
	for i := range sub {
		if sub[i].Variant == "" {
			sub[i].Variant = variant
		}
	}
	*out = append(*out, sub...)
	return len(sub) > 0
}

// explainTag reports a union value whose tag is missing or names no variant,
// as pydantic does for discriminated unions.
func (s *Spec) explainTag(in agentmock.Location, path []string, sch *openapi3.Schema, obj map[string]any, out *[]agentmock.Violation) bool {
	tag, values := Tag(sch)
	if tag == "" {
		return false
	}
	got, ok := obj[tag]
	if !ok || got == nil {
		*out = append(*out, agentmock.Violation{In: in, Path: appendPath(path, tag), Kind: "union_tag_not_found", Tag: tag, Expected: values})
		return true
	}
	*out = append(*out, agentmock.Violation{In: in, Path: appendPath(path, tag), Kind: agentmock.KindUnion,
		Tag: tag, Got: fmt.Sprint(got), Expected: values})
	return true
}

func formatViolation(sch *openapi3.Schema) agentmock.Violation {
	switch View(sch).Format {
	case "uuid", "uuid4":
		return agentmock.Violation{Kind: agentmock.KindUUID}
	case "date-time":
		return agentmock.Violation{Kind: agentmock.KindDateTime}
	case "date":
		return agentmock.Violation{Kind: "date_parsing"}
	case "uri", "url":
		return agentmock.Violation{Kind: agentmock.KindURL}
	}
	return agentmock.Violation{Kind: agentmock.KindValue, Expected: []string{View(sch).Format}}
}

// parseViolation is pydantic's error for a parameter's text that does not
// parse as its type: query, path and header values are always text.
func parseViolation(in agentmock.Location, path []string, sch *openapi3.Schema) agentmock.Violation {
	v := typeViolation(in, path, sch)
	switch v.Kind {
	case "int_type":
		v.Kind = "int_parsing"
	case "float_type":
		v.Kind = "float_parsing"
	case "bool_type":
		v.Kind = "bool_parsing"
	}
	return v
}

// typeViolation names the type a value should have had.
func typeViolation(in agentmock.Location, path []string, sch *openapi3.Schema) agentmock.Violation {
	v := agentmock.Violation{In: in, Path: path, Kind: agentmock.KindType}
	if sch == nil || sch.Type == nil {
		return v
	}
	for _, t := range *sch.Type {
		if k, ok := typeKinds[t]; ok {
			v.Kind = k
			break
		}
	}
	return v
}

// typeKinds are pydantic's kinds for a value not of a JSON type.
var typeKinds = map[string]string{
	"integer": "int_type", "number": "float_type", "string": "string_type",
	"boolean": "bool_type", "array": "list_type", "object": "dict_type",
}

// enumValues lists what an enum (or a const) allows, as text.
func enumValues(sch *openapi3.Schema) []string {
	if sch == nil {
		return nil
	}
	if len(sch.Enum) == 0 {
		if sch.Const != nil {
			return []string{fmt.Sprint(sch.Const)}
		}
		return nil
	}
	out := make([]string, 0, len(sch.Enum))
	for _, e := range sch.Enum {
		if e != nil {
			out = append(out, fmt.Sprint(e))
		}
	}
	return out
}

func bound(sch *openapi3.Schema, lower bool) string {
	sch = View(sch)
	if sch == nil {
		return "the bound"
	}
	var f *float64
	if lower {
		f = sch.Min
		if sch.ExclusiveMin.Value != nil {
			f = sch.ExclusiveMin.Value
		}
	} else {
		f = sch.Max
		if sch.ExclusiveMax.Value != nil {
			f = sch.ExclusiveMax.Value
		}
	}
	if f == nil {
		return "the bound"
	}
	return fmt.Sprint(*f)
}

func limit(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// cleanReason drops the schema dump kin-openapi appends to its reasons.
func cleanReason(reason string) string {
	if i := strings.Index(reason, "\nSchema:"); i >= 0 {
		reason = reason[:i]
	}
	return strings.TrimSpace(reason)
}

func dedupe(vs []agentmock.Violation) []agentmock.Violation {
	seen := make(map[string]bool, len(vs))
	out := vs[:0]
	for _, v := range vs {
		key := v.Field() + "\x00" + v.Kind
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, v)
	}
	return out
}

// schemaAt walks from sch along a value's path (member names and array
// indexes) and returns the schema describing the value there, or nil.
func schemaAt(sch *openapi3.Schema, path []string) *openapi3.Schema {
	for _, p := range path {
		v := View(sch)
		if v == nil {
			return nil
		}
		switch {
		case v.Properties[p] != nil:
			sch = v.Properties[p].Value
		case v.Items != nil:
			sch = v.Items.Value
		case v.AdditionalProperties.Schema != nil:
			sch = v.AdditionalProperties.Schema.Value
		default:
			return nil
		}
	}
	return sch
}
