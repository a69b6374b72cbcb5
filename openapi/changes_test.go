package openapi

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const changesDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get: {responses: {"200": {description: ok}}}
components:
  schemas:
    Agent:
      type: object
      description: an agent
      required: [id, name]
      additionalProperties: false
      properties:
        id: {type: string}
        name: {type: string, minLength: 1}
        count: {type: integer, minimum: 0}
        tags: {type: array, items: {type: string}}
        meta: {type: object, nullable: true, properties: {n: {type: integer}}}
        created: {type: string, readOnly: true}
        secret: {type: string, writeOnly: true}
    Open:
      type: object
      properties:
        a: {type: string}
    Union:
      oneOf: [{$ref: '#/components/schemas/Open'}, {type: object, properties: {b: {type: string}}}]
    Counted:
      type: object
      maxProperties: 2
      properties: {a: {type: string}}
    Composed:
      type: object
      allOf: [{required: [a]}]
      properties: {a: {type: string}}
`

// kinSays is kin-openapi's own verdict, the ground truth.
func kinSays(spec *Spec, sch *openapi3.Schema, v any, asRequest bool) bool {
	mode := openapi3.VisitAsResponse()
	if asRequest {
		mode = openapi3.VisitAsRequest()
	}
	return sch.VisitJSON(v, spec.validationOptions(mode)...) == nil
}

func changesSpec(t testing.TB) *Spec {
	spec, err := Load(context.Background(), []byte(changesDoc))
	require.NoError(t, err)
	return spec
}

func TestChangesOnlyForMemberwiseSchemas(t *testing.T) {
	spec := changesSpec(t)
	for name, want := range map[string]bool{"Agent": true, "Open": true, "Union": false, "Counted": false, "Composed": false} {
		assert.Equal(t, want, spec.memberwiseOf(spec.Schema(name)) != nil, name)
	}
}

// TestChangesAgreeWithTheFullCheck: from a conforming document, every
// change gets the answer Check gives the whole document.
func TestChangesAgreeWithTheFullCheck(t *testing.T) {
	spec := changesSpec(t)
	sch := spec.Schema("Agent")
	c := spec.memberwiseOf(sch)
	require.NotNil(t, c)
	before := decode(t, `{"id":"a","name":"x","count":1,"tags":["t"],"meta":{"n":1}}`)
	require.Empty(t, spec.Check("body", sch, before, false))
	for _, doc := range []string{
		`{"id":"a","name":"x","count":1,"tags":["t"],"meta":{"n":1}}`,
		`{"id":"a","name":"y","count":2,"tags":["t","u"],"meta":null}`,
		`{"id":"a","name":"","count":1,"tags":["t"],"meta":{"n":1}}`,
		`{"id":"a","count":1}`,
		`{"id":"a","name":"x","count":-1}`,
		`{"id":"a","name":"x","tags":[1]}`,
		`{"id":"a","name":"x","meta":{"n":"one"}}`,
		`{"id":"a","name":"x","extra":true}`,
		`{"id":"a","name":"x","count":1.5}`,
		`{"id":"a","name":"x","created":"now"}`,
		`{"id":"a","name":"x","secret":"s"}`,
		`{"id":"a","name":"x","secret":null}`,
	} {
		d := decode(t, doc)
		want := kinSays(spec, sch, d, false)
		assert.Equal(t, want, c.conforms(d, before, false), doc)
		// And as a request, with no document to start from.
		m := spec.memberwiseOf(sch)
		assert.Equal(t, kinSays(spec, sch, d, true), m.conforms(d, nil, true), "request: %s", doc)
	}
}

func FuzzChanges(f *testing.F) {
	spec := changesSpec(f)
	sch := spec.Schema("Agent")
	c := spec.memberwiseOf(sch)
	before := decode(f, `{"id":"a","name":"x","count":1,"tags":["t"],"meta":{"n":1}}`)
	for _, s := range []string{`{"id":"a","name":"x","created":"c"}`, `{"id":"a","name":"x","secret":"s"}`, `{"id":"a","name":"x"}`, `{"id":"a","name":"x","count":-1}`, `{"name":"x"}`, `{"id":"a","name":"x","meta":{"n":[]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var d map[string]any
		dec := json.NewDecoder(bytesReader(doc))
		dec.UseNumber()
		if dec.Decode(&d) != nil || d == nil {
			return
		}
		if want := kinSays(spec, sch, d, false); c.conforms(d, before, false) != want {
			t.Fatalf("%s: changes say %v, kin-openapi %v", doc, !want, want)
		}
		m := spec.memberwiseOf(sch)
		if want := kinSays(spec, sch, d, true); m.conforms(d, nil, true) != want {
			t.Fatalf("%s as a request: memberwise says %v, kin-openapi %v", doc, !want, want)
		}
	})
}

func TestSameJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`1`, `1`, true}, {`1`, `1.0`, false}, {`"1"`, `1`, false}, {`null`, `null`, true}, {`null`, `false`, false},
		{`{"a":[1,{"b":null}]}`, `{"a":[1,{"b":null}]}`, true}, {`{"a":[1]}`, `{"a":[1,2]}`, false},
		{`{"a":1}`, `{"b":1}`, false}, {`[]`, `{}`, false}, {`true`, `true`, true},
	} {
		var a, b any
		require.NoError(t, unmarshalNumber(tc.a, &a))
		require.NoError(t, unmarshalNumber(tc.b, &b))
		assert.Equal(t, tc.want, sameJSON(a, b), "%s %s", tc.a, tc.b)
	}
}

func decode(t testing.TB, s string) map[string]any {
	var v map[string]any
	require.NoError(t, unmarshalNumber(s, &v))
	return v
}

func unmarshalNumber(s string, v any) error {
	dec := json.NewDecoder(bytesReader(s))
	dec.UseNumber()
	return dec.Decode(v)
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }

// TestMemberwiseOnTheEmbeddedDocuments holds the member-wise check to kin
// on our documents' own schemas: for each that is member-wise, a generated
// value, a value with a member of the wrong type, and one missing a
// required member, as request and as response.
func TestMemberwiseOnTheEmbeddedDocuments(t *testing.T) {
	for _, name := range []string{"diga", "itellico"} {
		spec, err := LoadEmbedded(context.Background(), name)
		require.NoError(t, err)
		n := 0
		for schemaName, ref := range spec.Doc.Components.Schemas {
			m := spec.memberwiseOf(ref.Value)
			if m == nil {
				continue
			}
			n++
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			obj, ok := Generate(ref.Value, rng).(map[string]any)
			if !ok {
				continue
			}
			values := []map[string]any{obj}
			for _, k := range ref.Value.Required {
				missing := Clone(obj).(map[string]any)
				delete(missing, k)
				values = append(values, missing)
				break
			}
			for k := range obj {
				wrong := Clone(obj).(map[string]any)
				wrong[k] = []any{struct{}{}}
				values = append(values, wrong)
				break
			}
			for _, v := range values {
				// A round trip, so values are as a request decodes them.
				data, err := json.Marshal(v)
				require.NoError(t, err)
				var decoded any
				require.NoError(t, unmarshalNumber(string(data), &decoded))
				for _, asRequest := range []bool{false, true} {
					want := kinSays(spec, ref.Value, decoded, asRequest)
					assert.Equal(t, want, m.conforms(decoded.(map[string]any), nil, asRequest), "%s %s, request %v: %s", name, schemaName, asRequest, data)
				}
			}
		}
		assert.Greater(t, n, 20, "%s: most object schemas are member-wise", name)
	}
}
