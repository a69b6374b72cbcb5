package openapi

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compiledDoc is a 3.1 document shaped as FastAPI writes Diga's: component
// references, a union told apart by const, anyOf with null, formats, a
// recursive schema.
const compiledDoc = `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a:
    get: {responses: {"200": {description: ok}}}
components:
  schemas:
    Agent:
      type: object
      additionalProperties: false
      required: [id, name, tool]
      properties:
        id: {type: string, format: uuid}
        name: {type: string, minLength: 1, maxLength: 10}
        count: {anyOf: [{type: integer, minimum: 0}, {type: "null"}]}
        created: {type: string, format: date-time}
        tool: {oneOf: [{$ref: '#/components/schemas/HangUp'}, {$ref: '#/components/schemas/Http'}]}
        tags: {type: array, items: {$ref: '#/components/schemas/Tag'}}
    HangUp:
      type: object
      required: [type]
      properties:
        type: {const: hang_up}
    Http:
      type: object
      required: [type, url]
      properties:
        type: {const: http}
        url: {type: string}
        tag: {$ref: '#/components/schemas/Tag'}
    Tag:
      type: object
      required: [label]
      properties:
        label: {type: string, enum: [a, b]}
    Plain:
      type: object
      required: [tag]
      properties:
        tag: {$ref: '#/components/schemas/Tag'}
        node: {$ref: '#/components/schemas/Node'}
    Node:
      type: object
      properties:
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        n: {type: integer}
    Nullable:
      type: object
      properties:
        tag: {$ref: '#/components/schemas/Tag'}
        note: {type: string, nullable: true}
`

var compiledValues = []string{
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"hang_up"}}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"http","url":"u","tag":{"label":"a"}},"count":null,"tags":[{"label":"b"}],"created":"2026-01-01T00:00:00Z"}`,
	`{"id":"not-a-uuid","name":"x","tool":{"type":"hang_up"}}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"","tool":{"type":"hang_up"}}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"other"}}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"http"}}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"hang_up"},"count":-1}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"hang_up"},"tags":[{"label":"c"}]}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"hang_up"},"created":"yesterday"}`,
	`{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"x","tool":{"type":"hang_up"},"extra":1}`,
	`{"name":"x"}`,
	`{"tag":{"label":"a"},"node":{"children":[{"n":1},{"children":[{"n":"two"}]}]}}`,
	`{"tag":{"label":"a"},"node":{"children":[{"n":1},{"children":[{"n":2}]}]}}`,
	`{"tag":{"label":"z"}}`,
	`{"tag":{"label":"a"},"note":null}`,
	`{"tag":{"label":"a"},"note":"n"}`,
	`[]`, `null`, `"x"`, `1.5`,
}

func compiledSpec(t testing.TB) *Spec {
	spec, err := Load(context.Background(), []byte(compiledDoc))
	require.NoError(t, err)
	require.True(t, spec.Is31())
	return spec
}

// kin2020Says is kin-openapi's verdict on a 3.1 document, the ground truth.
func kin2020Says(spec *Spec, sch *openapi3.Schema, v any, asRequest bool) bool {
	mode := openapi3.VisitAsResponse()
	if asRequest {
		mode = openapi3.VisitAsRequest()
	}
	return sch.VisitJSON(v, spec.validationOptions(mode)...) == nil
}

func TestCompiledValidatorsAnswerAsKin(t *testing.T) {
	spec := compiledSpec(t)
	for name, want := range map[string]compiledMode{"Agent": byCompiled, "HangUp": byCompiled, "Plain": byWalker, "Nullable": byKin} {
		assert.Equal(t, want, spec.compiledOf(spec.Schema(name)).mode, name)
	}
	for _, name := range []string{"Agent", "HangUp", "Http", "Tag", "Plain", "Node", "Nullable"} {
		sch := spec.Schema(name)
		for _, raw := range compiledValues {
			var v any
			require.NoError(t, unmarshalNumber(raw, &v))
			for _, asRequest := range []bool{false, true} {
				want := kin2020Says(spec, sch, v, asRequest)
				if spec.compiledOf(sch).mode == byKin {
					assert.False(t, spec.conforms2020(sch, v, asRequest), "%s is left to kin", name)
					continue
				}
				// Kept validators and the walker give kin's verdict exactly.
				assert.Equal(t, want, spec.conforms2020(sch, v, asRequest), "%s, request %v: %s", name, asRequest, raw)
			}
		}
	}
}

func FuzzCompiled(f *testing.F) {
	spec := compiledSpec(f)
	for _, v := range compiledValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var v any
		if unmarshalNumber(raw, &v) != nil {
			return
		}
		for _, name := range []string{"Agent", "Plain"} {
			sch := spec.Schema(name)
			if got, want := spec.conforms2020(sch, v, false), kin2020Says(spec, sch, v, false); got && !want {
				t.Fatalf("%s: %s conforms here, not for kin-openapi", name, raw)
			}
		}
	})
}
