package openapi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Example returns the documented example of an operation's response: the
// one called name, or with name "" the media type's example, else its first
// named example in document order, else the schema's. ok is false when
// there is none.
func (s *Spec) Example(op *openapi3.Operation, status int, name string) (any, bool) {
	if op == nil || op.Responses == nil {
		return nil, false
	}
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil, false
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil {
		return nil, false
	}
	if name != "" {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil {
			return Clone(ex.Value.Value), true
		}
		return nil, false
	}
	if mt.Example != nil {
		return Clone(mt.Example), true
	}
	for _, k := range s.exampleNames(mt) {
		if ex := mt.Examples[k]; ex != nil && ex.Value != nil {
			return Clone(ex.Value.Value), true
		}
	}
	if mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Example != nil {
		return Clone(mt.Schema.Value.Example), true
	}
	return nil, false
}

// Generate makes a value that conforms to sch, the same one for the same
// draws of rng: Prism's "dynamic" responses, for operations agentmock has no
// behaviour for.
func Generate(sch *openapi3.Schema, rng *rand.Rand) any {
	return generate(sch, rng, 0)
}

// shallow is the depth past which generation keeps only what a schema
// requires, so that recursive schemas (trees of workflow steps) end.
const shallow = 4

func generate(sch *openapi3.Schema, rng *rand.Rand, depth int) any {
	if sch == nil || depth > 40 {
		return map[string]any{}
	}
	if depth >= shallow && Nullable(sch) {
		return nil
	}
	if sch.Example != nil {
		return Clone(sch.Example)
	}
	if sch.Default != nil {
		return Clone(sch.Default)
	}
	if len(sch.Enum) > 0 {
		for _, e := range sch.Enum {
			if e != nil {
				return Clone(e)
			}
		}
	}
	if sch.Const != nil {
		return Clone(sch.Const)
	}
	if len(sch.AllOf) > 1 {
		merged := map[string]any{}
		for _, r := range sch.AllOf {
			if m, ok := generate(r.Value, rng, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	if v := View(sch); v != sch && v != nil {
		return generate(v, rng, depth+1)
	}
	if members := union(sch); len(members) > 0 {
		return generate(members[0].Value, rng, depth+1)
	}
	typ := ""
	if sch.Type != nil {
		for _, t := range *sch.Type {
			if t != "null" {
				typ = t
				break
			}
		}
	}
	if typ == "" && len(sch.Properties) > 0 {
		typ = "object"
	}
	switch typ {
	case "string":
		return genString(sch, rng)
	case "integer":
		lo, hi := bounds(sch, 0, 1000)
		lo, hi = math.Ceil(lo), math.Floor(hi)
		if hi < lo {
			return int64(lo)
		}
		return int64(lo) + rng.Int64N(int64(hi-lo)+1)
	case "number":
		lo, hi := bounds(sch, 0, 1)
		return math.Round((lo+rng.Float64()*(hi-lo))*100) / 100
	case "boolean":
		return rng.IntN(2) == 1
	case "array":
		n := max(int(sch.MinItems), 1)
		if depth >= shallow {
			n = int(sch.MinItems)
		}
		if sch.MaxItems != nil {
			n = min(n, int(*sch.MaxItems))
		}
		out := make([]any, n)
		for i := range out {
			var items *openapi3.Schema
			if sch.Items != nil {
				items = sch.Items.Value
			}
			out[i] = generate(items, rng, depth+1)
		}
		return out
	case "object":
		out := map[string]any{}
		for _, name := range sortedKeys(sch.Properties) {
			if depth >= shallow && !slices.Contains(sch.Required, name) {
				continue
			}
			out[name] = generate(sch.Properties[name].Value, rng, depth+1)
		}
		return out
	}
	return "string"
}

func bounds(sch *openapi3.Schema, lo, hi float64) (float64, float64) {
	if sch.Min != nil {
		lo = *sch.Min
		if sch.ExclusiveMin.IsTrue() {
			lo += 1
		}
		if hi < lo {
			hi = lo + 1000
		}
	}
	if sch.ExclusiveMin.Value != nil {
		lo = *sch.ExclusiveMin.Value + 1
	}
	if sch.Max != nil {
		hi = *sch.Max
		if sch.ExclusiveMax.IsTrue() {
			hi -= 1
		}
		if lo > hi {
			lo = hi
		}
	}
	if sch.ExclusiveMax.Value != nil {
		hi = *sch.ExclusiveMax.Value - 1
	}
	return lo, hi
}

func genString(sch *openapi3.Schema, rng *rand.Rand) string {
	switch sch.Format {
	case "uuid", "uuid4":
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return UUIDv4(b)
	case "date-time":
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(365*24*3600)) * time.Second).Format(time.RFC3339)
	case "date":
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format("2006-01-02")
	case "email":
		return fmt.Sprintf("user%d@example.com", rng.IntN(1000))
	case "uri", "url":
		return fmt.Sprintf("https://example.com/%d", rng.IntN(1000))
	}
	s := fmt.Sprintf("string-%d", rng.IntN(1000))
	if n := int(sch.MinLength); len(s) < n {
		s += strings.Repeat("x", n-len(s))
	}
	if sch.MaxLength != nil && len(s) > int(*sch.MaxLength) {
		s = s[:*sch.MaxLength]
	}
	return s
}

// SampleRequest fills an operation's path parameters, required query
// parameters and required body with values generated from their schemas,
// the same ones every time.
// known gives values for path parameters by name; the rest are generated.
func SampleRequest(spec *Spec, op OperationInfo, known map[string]string) (path, query string, body any) {
	rng := rand.New(rand.NewPCG(1, 2))
	path = op.Path
	var q []string
	for _, p := range spec.Parameters(op) {
		if p.Schema == nil {
			continue
		}
		v := fmt.Sprint(Generate(p.Schema.Value, rng))
		if k, ok := known[p.Name]; ok && p.In == "path" {
			v = url.PathEscape(k)
		}
		switch {
		case p.In == "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
		case p.In == "query" && p.Required:
			q = append(q, p.Name+"="+v)
		}
	}
	if len(q) > 0 {
		query = "?" + strings.Join(q, "&")
	}
	if rb := op.Operation.RequestBody; rb != nil && rb.Value != nil && rb.Value.Required {
		if sch := RequestSchema(op.Operation); sch != nil {
			body = Generate(sch, rng)
		}
	}
	return path, query, body
}

// UUIDv4 formats 16 random bytes as a version 4 UUID, setting its version
// and variant bits.
func UUIDv4(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Parameters lists an operation's parameters: those of its path item, then
// its own, an operation's parameter replacing the path item's of the same
// name and location, as OpenAPI says.
func (s *Spec) Parameters(op OperationInfo) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	add := func(refs openapi3.Parameters) {
		for _, ref := range refs {
			p := ref.Value
			if p == nil {
				continue
			}
			i := slices.IndexFunc(out, func(o *openapi3.Parameter) bool { return o.Name == p.Name && o.In == p.In })
			if i >= 0 {
				out[i] = p
			} else {
				out = append(out, p)
			}
		}
	}
	if item := s.Doc.Paths.Value(op.Path); item != nil {
		add(item.Parameters)
	}
	add(op.Operation.Parameters)
	return out
}
