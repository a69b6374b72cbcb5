package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// View returns the schema that describes a value's shape, looking through the
// wrappers documents use to make a schema nullable: a lone allOf member (the
// 3.0 way to put nullable on a $ref) and an anyOf or oneOf whose other
// members are only null (the 3.1 and FastAPI way).
func View(sch *openapi3.Schema) *openapi3.Schema {
	for i := 0; sch != nil && i < 8; i++ {
		if len(sch.Properties) > 0 || sch.Items != nil || (sch.Type != nil && !isNullType(sch)) {
			return sch
		}
		var next *openapi3.Schema
		switch {
		case len(sch.AllOf) == 1:
			next = sch.AllOf[0].Value
		case len(sch.AnyOf) > 0:
			next = soleNonNull(sch.AnyOf)
		case len(sch.OneOf) > 0:
			next = soleNonNull(sch.OneOf)
		}
		if next == nil {
			return sch
		}
		sch = next
	}
	return sch
}

// MemberValues lists what a member of an object schema may be, by its enum
// (or const), as text; nil where the document names no values. A status
// machine reads its statuses from it rather than from a list in code.
func MemberValues(sch *openapi3.Schema, member string) []string {
	v := View(sch)
	if v == nil || v.Properties[member] == nil {
		return nil
	}
	return enumValues(View(v.Properties[member].Value))
}

func soleNonNull(refs openapi3.SchemaRefs) *openapi3.Schema {
	var found *openapi3.Schema
	for _, r := range refs {
		if r.Value == nil || isNullType(r.Value) {
			continue
		}
		if found != nil {
			return nil
		}
		found = r.Value
	}
	return found
}

func isNullType(sch *openapi3.Schema) bool {
	return sch.Type != nil && len(*sch.Type) == 1 && (*sch.Type)[0] == "null"
}

// Nullable reports whether the schema admits null, in either OpenAPI version's
// spelling.
func Nullable(sch *openapi3.Schema) bool {
	for i := 0; sch != nil && i < 8; i++ {
		if sch.Nullable || (sch.Type != nil && sch.Type.Includes("null")) {
			return true
		}
		for _, list := range []openapi3.SchemaRefs{sch.AnyOf, sch.OneOf} {
			for _, r := range list {
				if r.Value != nil && isNullType(r.Value) {
					return true
				}
			}
		}
		if len(sch.AllOf) != 1 {
			return false
		}
		sch = sch.AllOf[0].Value
	}
	return false
}

// Default returns the schema's default, looking through nullable wrappers.
func Default(sch *openapi3.Schema) (any, bool) {
	for i := 0; sch != nil && i < 8; i++ {
		if sch.Default != nil {
			return sch.Default, true
		}
		if len(sch.AllOf) != 1 {
			break
		}
		sch = sch.AllOf[0].Value
	}
	if v := View(sch); v != nil && v.Default != nil {
		return v.Default, true
	}
	return nil, false
}

// Branch picks the member of a union that an object value belongs to, by the
// members' single-valued enums (the "provider" and "type" tags of both
// vendors). It returns nil when the value names no member.
func Branch(sch *openapi3.Schema, obj map[string]any) *openapi3.Schema {
	for _, r := range union(sch) {
		m := View(r.Value)
		if m == nil || len(m.Properties) == 0 {
			continue
		}
		if tagsMatch(m, obj) {
			return m
		}
	}
	return nil
}

// Tag returns the member that tells a union's variants apart (the one every
// variant pins to a single value, such as "provider") and each variant's
// value for it, in document order. It returns "" for a schema that is not
// such a union.
func Tag(sch *openapi3.Schema) (string, []string) {
	members := union(sch)
	if len(members) < 2 {
		return "", nil
	}
	pinned := func(m *openapi3.Schema, name string) (string, bool) {
		if m == nil || m.Properties[name] == nil {
			return "", false
		}
		p := View(m.Properties[name].Value)
		if p == nil || len(p.Enum) != 1 {
			return "", false
		}
		return fmt.Sprint(p.Enum[0]), true
	}
	first := View(members[0].Value)
	if first == nil {
		return "", nil
	}
candidates:
	for _, name := range sortedKeys(first.Properties) {
		values := make([]string, 0, len(members))
		for _, r := range members {
			v, ok := pinned(View(r.Value), name)
			if !ok {
				continue candidates
			}
			values = append(values, v)
		}
		return name, values
	}
	return "", nil
}

// Variant names the union member obj belongs to, as "provider 'azure'", or
// "" when sch is not a tagged union or obj names no member.
func Variant(sch *openapi3.Schema, obj map[string]any) string {
	tag, _ := Tag(sch)
	if tag == "" || Branch(sch, obj) == nil {
		return ""
	}
	return fmt.Sprintf("%s '%v'", tag, obj[tag])
}

func union(sch *openapi3.Schema) openapi3.SchemaRefs {
	sch = View(sch)
	if sch == nil {
		return nil
	}
	var out openapi3.SchemaRefs
	for _, list := range []openapi3.SchemaRefs{sch.OneOf, sch.AnyOf} {
		for _, r := range list {
			if r.Value != nil && !isNullType(r.Value) {
				out = append(out, r)
			}
		}
	}
	return out
}

// tagsMatch reports whether obj carries, for every property of m that admits
// exactly one value, that value; and m has at least one such property.
func tagsMatch(m *openapi3.Schema, obj map[string]any) bool {
	tags := 0
	for name, p := range m.Properties {
		pv := View(p.Value)
		if pv == nil {
			continue
		}
		var only any
		switch {
		case len(pv.Enum) == 1:
			only = pv.Enum[0]
		case pv.Const != nil:
			only = pv.Const
		default:
			continue
		}
		tags++
		if v, ok := obj[name]; !ok || fmt.Sprint(v) != fmt.Sprint(only) {
			return false
		}
	}
	return tags > 0
}

// objectView returns the object schema that describes obj: the schema itself,
// the union member obj is tagged with, or, for an untagged union, a synthetic
// schema holding every member's properties.
func objectView(sch *openapi3.Schema, obj map[string]any) *openapi3.Schema {
	v := View(sch)
	if v == nil || len(v.Properties) > 0 {
		return v
	}
	members := union(v)
	if len(members) == 0 {
		return v
	}
	if b := Branch(v, obj); b != nil {
		return b
	}
	merged := &openapi3.Schema{Properties: openapi3.Schemas{}}
	for _, r := range members {
		for name, p := range View(r.Value).Properties {
			if _, ok := merged.Properties[name]; !ok {
				merged.Properties[name] = p
			}
		}
	}
	return merged
}

// declaresMembers reports whether an object schema fixes its members, so that
// undeclared ones are unknown. Free-form objects (metadata, settings) and
// explicit additionalProperties schemas accept anything.
func declaresMembers(sch *openapi3.Schema) bool {
	if sch == nil || len(sch.Properties) == 0 {
		return false
	}
	ap := sch.AdditionalProperties
	if ap.Schema != nil {
		return false
	}
	return ap.Has == nil || !*ap.Has
}

// Member is a place in a JSON value. Variant names the union member the
// enclosing object was read as, when it was read through a tagged union.
type Member struct {
	Path    []string
	Variant string
}

// Unknown lists the members of v that sch does not declare. With drop, it
// also deletes them from v.
func (s *Spec) Unknown(sch *openapi3.Schema, v any, drop bool) []Member {
	var found []Member
	s.unknown(sch, v, nil, drop, &found)
	return found
}

func (s *Spec) unknown(sch *openapi3.Schema, v any, path []string, drop bool, found *[]Member) {
	if sch == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		view := objectView(sch, x)
		if view == nil {
			return
		}
		if view.AdditionalProperties.Schema != nil {
			for _, k := range sortedKeys(x) {
				s.unknown(view.AdditionalProperties.Schema.Value, x[k], appendPath(path, k), drop, found)
			}
			return
		}
		check := declaresMembers(view)
		variant, named := "", false
		for _, k := range sortedKeys(x) {
			p, ok := view.Properties[k]
			if !ok {
				if check {
					if !named { // only worth working out once a member is unknown
						variant, named = Variant(sch, x), true
					}
					*found = append(*found, Member{Path: appendPath(path, k), Variant: variant})
					if drop {
						delete(x, k)
					}
				}
				continue
			}
			s.unknown(p.Value, x[k], appendPath(path, k), drop, found)
		}
	case []any:
		view := View(sch)
		if view == nil || view.Items == nil {
			return
		}
		for i, item := range x {
			s.unknown(view.Items.Value, item, appendPath(path, fmt.Sprint(i)), drop, found)
		}
	}
}

func appendPath(path []string, k string) []string {
	return append(slices.Clip(path), k)
}

// Complete fills in what obj lacks, recursively: a property's default (from
// sch, or else from the same property of fallback, typically the create
// request's schema), an object built from its members' defaults, or null
// where the property is nullable. Required properties that none of these
// provide stay absent, for validation to report.
func (s *Spec) Complete(sch, fallback *openapi3.Schema, obj map[string]any) {
	s.complete(sch, fallback, obj, 0)
}

// maxBuildDepth bounds the objects Complete builds from defaults: a schema
// that contains itself (a tree node's children) would otherwise be built
// forever.
const maxBuildDepth = 8

func (s *Spec) complete(sch, fallback *openapi3.Schema, obj map[string]any, depth int) {
	view := objectView(sch, obj)
	if view == nil {
		return
	}
	var fb *openapi3.Schema
	if fallback != nil {
		fb = objectView(fallback, obj)
	}
	for _, name := range s.Properties(view) {
		p := view.Properties[name].Value
		var fp *openapi3.Schema
		if fb != nil && fb.Properties[name] != nil {
			fp = fb.Properties[name].Value
		}
		if v, ok := obj[name]; ok {
			s.completeValue(p, fp, v)
			continue
		}
		if d, ok := Default(p); ok {
			obj[name] = Clone(d)
			s.completeValue(p, fp, obj[name])
			continue
		}
		if d, ok := Default(fp); ok && fp != nil {
			obj[name] = Clone(d)
			continue
		}
		if pv := View(p); pv != nil && len(pv.Properties) > 0 && len(union(pv)) == 0 && depth < maxBuildDepth {
			built := map[string]any{}
			s.complete(pv, fp, built, depth+1)
			// An object its defaults cannot make whole is no default where
			// null is allowed (an imported phone's absent sip_config).
			if len(built) > 0 && !(Nullable(p) && lacksRequired(pv, built)) {
				obj[name] = built
				continue
			}
		}
		if Nullable(p) {
			obj[name] = nil
		}
	}
}

// Satisfy fills what Complete leaves absent: every required member, at any
// depth, gets a value generated from its schema. A document stored under one
// version of a provider's API (a fixture) can so be served under a later
// one that requires more members.
func (s *Spec) Satisfy(sch *openapi3.Schema, v any, rng *rand.Rand) {
	switch x := v.(type) {
	case map[string]any:
		view := objectView(sch, x)
		if view == nil {
			return
		}
		for _, name := range view.Required {
			p := view.Properties[name]
			if p == nil {
				continue
			}
			if cur, ok := x[name]; ok {
				s.Satisfy(p.Value, cur, rng)
			} else {
				x[name] = Generate(p.Value, rng)
			}
		}
		// In a fixed order: the draws from rng must not follow Go's random
		// map order, or the same entry would not read the same way twice.
		for _, name := range sortedKeys(x) {
			if p := view.Properties[name]; p != nil && !slices.Contains(view.Required, name) {
				s.Satisfy(p.Value, x[name], rng)
			}
		}
	case []any:
		if view := View(sch); view != nil && view.Items != nil {
			for _, item := range x {
				s.Satisfy(view.Items.Value, item, rng)
			}
		}
	}
}

func (s *Spec) completeValue(sch, fallback *openapi3.Schema, v any) {
	switch x := v.(type) {
	case map[string]any:
		if view := View(sch); view != nil && (len(view.Properties) > 0 || len(union(view)) > 0) {
			s.Complete(view, fallback, x)
		}
	case []any:
		view := View(sch)
		if view == nil || view.Items == nil {
			return
		}
		var fi *openapi3.Schema
		if fv := View(fallback); fv != nil && fv.Items != nil {
			fi = fv.Items.Value
		}
		for _, item := range x {
			s.completeValue(view.Items.Value, fi, item)
		}
	}
}

// Clone deep-copies a decoded JSON value, nulls included: so that stored
// documents never share the schema's defaults, nor a request's maps.
func Clone(v any) any { return copyTree(v, false) }

// WithoutNulls copies a decoded JSON value without its null object members:
// what a merge patch (RFC 7396) asks to keep, as opposed to remove.
func WithoutNulls(v any) any { return copyTree(v, true) }

func copyTree(v any, dropNulls bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e == nil && dropNulls {
				continue
			}
			out[k] = copyTree(e, dropNulls)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyTree(e, dropNulls)
		}
		return out
	}
	return v
}

// Encode writes v as JSON with every object's members in the order its schema
// declares them, as the vendors' own responses do. Undeclared members follow,
// sorted.
func (s *Spec) Encode(sch *openapi3.Schema, v any) ([]byte, error) {
	var buf bytes.Buffer
	return s.EncodeTo(&buf, sch, v)
}

// EncodeTo is Encode into buf, which it resets first: a caller that sends
// the bytes and is done with them can use one buffer for many answers. The
// bytes returned are buf's, or v itself for a lone stored document.
func (s *Spec) EncodeTo(buf *bytes.Buffer, sch *openapi3.Schema, v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok && len(raw) > 0 {
		// A stored document alone is sent as it is (see scalar), and the
		// caller's copy will do: copying it again would be the only work.
		return raw, nil
	}
	buf.Reset()
	// Room for the stored documents a page holds as they are, at once:
	// growing to a 100-agent page copied it a dozen times.
	buf.Grow(sizeHint(v, 2))
	if err := s.encode(buf, sch, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sizeHint guesses the encoded size of v: the stored documents it holds
// within depth levels, as they are, and a little for everything else.
func sizeHint(v any, depth int) int {
	switch x := v.(type) {
	case json.RawMessage:
		return len(x)
	case map[string]any:
		n := 2
		for k, e := range x {
			n += len(k) + 4
			if depth > 0 {
				n += sizeHint(e, depth-1)
			} else {
				n += 16
			}
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			if depth > 0 {
				n += sizeHint(e, depth-1) + 1
			} else {
				n += 16
			}
		}
		return n
	}
	return 16
}

func (s *Spec) encode(buf *bytes.Buffer, sch *openapi3.Schema, v any) error {
	switch x := v.(type) {
	case map[string]any:
		view := objectView(sch, x)
		buf.WriteByte('{')
		n := 0
		var declared []string
		if view != nil {
			declared = s.Properties(view)
		}
		for _, k := range declared {
			if e, ok := x[k]; ok {
				if err := s.member(buf, &n, k, view.Properties[k].Value, e); err != nil {
					return err
				}
			}
		}
		// Members the schema does not declare follow, sorted; sorting only
		// them keeps the common case, where there are none, free of a sort.
		var extra []string
		for k := range x {
			if view == nil || view.Properties[k] == nil {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		for _, k := range extra {
			var ms *openapi3.Schema
			if view != nil && view.AdditionalProperties.Schema != nil {
				ms = view.AdditionalProperties.Schema.Value
			}
			if err := s.member(buf, &n, k, ms, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case []any:
		var items *openapi3.Schema
		if view := View(sch); view != nil && view.Items != nil {
			items = view.Items.Value
		}
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := s.encode(buf, items, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	return scalar(buf, v)
}

// member writes an object's member, after a comma unless it is the first:
// a method, not a closure, since a closure per object was a tenth of a
// PATCH's allocations.
func (s *Spec) member(buf *bytes.Buffer, n *int, k string, sch *openapi3.Schema, v any) error {
	if *n > 0 {
		buf.WriteByte(',')
	}
	*n++
	// A key is written as a string, not through scalar's any: converting
	// each key to an interface allocated it anew.
	if !plainString(buf, k) {
		if err := scalar(buf, k); err != nil {
			return err
		}
	}
	buf.WriteByte(':')
	return s.encode(buf, sch, v)
}

// scalar writes one JSON value without HTML escaping: the vendors send "<"
// as is, and so must a faithful stand-in.
func scalar(buf *bytes.Buffer, v any) error {
	// The common cases directly: a json.Encoder per value was a fifth of
	// the cost of a list page (BenchmarkListPage's profile).
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
		return nil
	case bool:
		buf.WriteString(strconv.FormatBool(x))
		return nil
	case json.Number:
		if json.Valid([]byte(x)) {
			buf.WriteString(string(x))
			return nil
		}
	case json.RawMessage:
		// A stored document, written by Encode: sent as it is, and still
		// checked against the document with the rest of the response.
		if len(x) == 0 {
			buf.WriteString("null")
		} else {
			buf.Write(x)
		}
		return nil
	case string:
		if plainString(buf, x) {
			return nil
		}
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("openapi: encode: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

// plainString writes s quoted if it needs no escaping, and reports whether
// it did.
func plainString(buf *bytes.Buffer, s string) bool {
	if !plain(s) {
		return false
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
	return true
}

// plain reports whether s needs no escaping in JSON: printable ASCII
// without quotes or backslashes.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lacksRequired reports whether obj lacks a member sch requires.
func lacksRequired(sch *openapi3.Schema, obj map[string]any) bool {
	for _, name := range sch.Required {
		if _, ok := obj[name]; !ok {
			return true
		}
	}
	return false
}
