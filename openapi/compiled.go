package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiled is a 3.1 schema's JSON Schema 2020-12 validator, built once.
// kin-openapi builds it again on every VisitJSON of a 3.1 document: it
// marshals the schema with the components it references and compiles it,
// which was 85% of a PATCH served from Diga's own document (190 req/s).
// Here it is built as kin's unexported newJSONSchemaValidator builds it,
// and kept, and it only says whether a value conforms: when it does not,
// kin's own VisitJSON runs, and its errors become the violations.
//
// Where kin would not use the validator it built (a schema with component
// references and no 2020-12 keyword goes to its 3.0 walker), so, here,
// that walker is called without the 2020-12 option, which changes nothing
// else in it unless a schema says nullable (kin ignores that keyword in
// 3.1, the walker without the option does not): such a schema, or any
// this does not build exactly as kin does, is left to kin each time.
type compiled struct {
	mode   compiledMode
	schema *jsonschema.Schema
}

type compiledMode int

const (
	byKin      compiledMode = iota // VisitJSON as it is, each time
	byCompiled                     // the kept validator
	byWalker                       // kin's 3.0 walker, without the 2020-12 option
)

// compiledOf returns sch's kept validator, building it on first use.
func (s *Spec) compiledOf(sch *openapi3.Schema) *compiled {
	return memoized(&s.validators, sch, s.compile)
}

// conforms2020 reports whether v provably conforms to sch in a 3.1
// document; false leaves the verdict, and its reasons, to kin.
func (s *Spec) conforms2020(sch *openapi3.Schema, v any, asRequest bool) bool {
	c := s.compiledOf(sch)
	switch c.mode {
	case byCompiled:
		return c.schema.Validate(v) == nil
	case byWalker:
		mode := openapi3.VisitAsResponse()
		if asRequest {
			mode = openapi3.VisitAsRequest()
		}
		return sch.VisitJSON(v, openapi3.MultiErrors(), mode) == nil
	}
	return false
}

func (s *Spec) compile(sch *openapi3.Schema) *compiled {
	// The checks of kin's useJSONSchema2020, in its order.
	uses2020, nullable := false, false
	_ = openapi3.NewSchemaRef("", sch).WalkSubtree(func(_ string, ref *openapi3.SchemaRef) error {
		if ref.Value != nil {
			uses2020 = uses2020 || has2020Keyword(ref.Value)
			nullable = nullable || ref.Value.Nullable
		}
		return nil
	})
	schema, internalRefs, err := s.build(sch)
	walker := &compiled{mode: byWalker}
	if nullable {
		walker = &compiled{mode: byKin}
	}
	switch {
	case errors.Is(err, errNotAsKin):
		return &compiled{mode: byKin}
	case err != nil && !uses2020:
		return walker
	case err != nil:
		return &compiled{mode: byKin} // kin's error, or its walker: kin decides
	case internalRefs && !uses2020:
		return walker
	}
	return &compiled{mode: byCompiled, schema: schema}
}

// errNotAsKin: a schema this does not build exactly as kin would.
var errNotAsKin = errors.New("openapi: not built as kin-openapi builds it")

const componentPrefix = "#/components/schemas/"

// build makes the validator kin's newJSONSchemaValidator makes: the schema
// marshalled, each component it references (transitively) copied under
// $defs and its references pointed there, its formats enforced as kin
// enforces them, compiled as 2020-12. internalRefs is whether the schema
// itself referenced a component.
func (s *Spec) build(sch *openapi3.Schema) (*jsonschema.Schema, bool, error) {
	doc, err := toJSON(sch)
	if err != nil {
		return nil, false, errNotAsKin
	}
	internalRefs := false
	walkJSON(doc, func(m map[string]any) {
		if ref, ok := m["$ref"].(string); ok && strings.HasPrefix(ref, componentPrefix) {
			internalRefs = true
		}
	})
	root, _ := doc.(map[string]any)
	if internalRefs {
		if root == nil {
			return nil, false, errNotAsKin
		}
		defs := map[string]any{}
		ids := map[string]string{}
		pending := []any{root}
		for len(pending) > 0 {
			node := pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			var failed error
			walkJSON(node, func(m map[string]any) {
				ref, ok := m["$ref"].(string)
				if !ok || !strings.HasPrefix(ref, componentPrefix) || failed != nil {
					return
				}
				name := strings.TrimPrefix(ref, componentPrefix)
				id, seen := ids[name]
				if !seen {
					target := s.Schema(name)
					if target == nil || strings.Contains(name, "/") {
						failed = errNotAsKin // a nested pointer: kin resolves it, this does not
						return
					}
					copied, err := toJSON(target)
					if err != nil {
						failed = errNotAsKin
						return
					}
					id = fmt.Sprintf("ref%d", len(ids))
					ids[name], defs[id] = id, copied
					pending = append(pending, copied)
				}
				m["$ref"] = "#/$defs/" + id
			})
			if failed != nil {
				return nil, false, failed
			}
		}
		if len(defs) > 0 {
			root["$defs"] = defs
		}
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	formats := map[string]bool{}
	walkJSON(doc, func(m map[string]any) {
		if f, ok := m["format"].(string); ok && f != "" {
			formats[f] = true
		}
	})
	for f := range formats {
		compiler.RegisterFormat(&jsonschema.Format{Name: f, Validate: formatCheck(f)})
	}
	if len(formats) > 0 {
		compiler.AssertFormat()
	}
	const url = "https://example.com/schema.json"
	if err := compiler.AddResource(url, doc); err != nil {
		return nil, internalRefs, err
	}
	compiledSchema, err := compiler.Compile(url)
	return compiledSchema, internalRefs, err
}

func toJSON(sch *openapi3.Schema) (any, error) {
	data, err := json.Marshal(sch)
	if err != nil {
		return nil, err
	}
	var v any
	return v, json.Unmarshal(data, &v)
}

// walkJSON calls fn with every object in v, depth first.
func walkJSON(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, e := range x {
			walkJSON(e, fn)
		}
	case []any:
		for _, e := range x {
			walkJSON(e, fn)
		}
	}
}

// formatCheck enforces a format as kin's formatValidator does with no
// document-scoped formats: from openapi3's registries, an integral number
// by the integer formats first.
func formatCheck(format string) func(any) error {
	return func(v any) error {
		var n float64
		switch x := v.(type) {
		case string:
			if f, ok := openapi3.SchemaStringFormats[format]; ok {
				return f.Validate(x)
			}
			return nil
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return nil
			}
			n = f
		case float64:
			n = x
		case float32:
			n = float64(x)
		case int:
			n = float64(x)
		case int32:
			n = float64(x)
		case int64:
			n = float64(x)
		default:
			return nil
		}
		if n == math.Trunc(n) && !math.IsInf(n, 0) {
			if f, ok := openapi3.SchemaIntegerFormats[format]; ok {
				return f.Validate(int64(n))
			}
		}
		if f, ok := openapi3.SchemaNumberFormats[format]; ok {
			return f.Validate(n)
		}
		return nil
	}
}

// has2020Keyword is kin's schemaHasJSONSchema2020FallbackGuardKeyword.
func has2020Keyword(s *openapi3.Schema) bool {
	return s.Const != nil ||
		len(s.PrefixItems) != 0 || s.Contains != nil ||
		len(s.PatternProperties) != 0 ||
		len(s.DependentSchemas) != 0 || s.PropertyNames != nil ||
		s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil ||
		s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil ||
		s.If != nil || s.Then != nil || s.Else != nil ||
		len(s.DependentRequired) != 0 || len(s.Defs) != 0 ||
		s.ContentSchema != nil
}
