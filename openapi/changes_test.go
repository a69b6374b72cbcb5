package openapi

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/agentmock/agentmock"
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
		// Where there are violations, Check's are the whole walk's.
		for _, asRequest := range []bool{false, true} {
			if walk, got := walkViolations(spec, sch, d, asRequest), spec.Check(agentmock.InBody, sch, d, asRequest); !reflect.DeepEqual(walk, got) {
				t.Fatalf("%s, request %v: Check says %v, the walk %v", doc, asRequest, got, walk)
			}
		}
	})
}

// roundTrip encodes and decodes v, so that it is as a request decodes it
// (numbers as json.Number); it returns the bytes too, for messages.
func roundTrip(t *testing.T, v any) (any, []byte) {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var decoded any
	require.NoError(t, unmarshalNumber(string(data), &decoded))
	return decoded, data
}

// walkViolations is what kin-openapi's walk of the whole value reports,
// converted.
func walkViolations(spec *Spec, sch *openapi3.Schema, v any, asRequest bool) []agentmock.Violation {
	mode := openapi3.VisitAsResponse()
	if asRequest {
		mode = openapi3.VisitAsRequest()
	}
	if err := sch.VisitJSON(v, spec.validationOptions(mode)...); err != nil {
		return spec.Violations(agentmock.InBody, sch, v, err)
	}
	return nil
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
				decoded, data := roundTrip(t, v)
				for _, asRequest := range []bool{false, true} {
					want := kinSays(spec, ref.Value, decoded, asRequest)
					assert.Equal(t, want, m.conforms(decoded.(map[string]any), nil, asRequest), "%s %s, request %v: %s", name, schemaName, asRequest, data)
				}
			}
		}
		assert.Greater(t, n, 20, "%s: most object schemas are member-wise", name)
	}
}

// TestMemberViolationsAgreeWithTheWalk: for objects whose members are
// wrong, one or two at a time and at depth, on every member-wise schema of
// both embedded documents, the violations a walk of only the failing
// members gives are the whole walk's, as request and as response.
func TestMemberViolationsAgreeWithTheWalk(t *testing.T) {
	wrongs := []any{[]any{map[string]any{}}, "x", json.Number("12345"), true, nil, map[string]any{"zz": 1}}
	for _, name := range []string{"diga", "itellico"} {
		spec, err := LoadEmbedded(context.Background(), name)
		require.NoError(t, err)
		compared, fast := 0, 0
		for schemaName, ref := range spec.Doc.Components.Schemas {
			m := spec.memberwiseOf(ref.Value)
			if m == nil {
				continue
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(schemaName))))
			obj, ok := Generate(ref.Value, rng).(map[string]any)
			if !ok {
				continue
			}
			keys := slices.Sorted(maps.Keys(obj))
			var values []map[string]any
			for i, k := range keys {
				for j, w := range wrongs {
					one := Clone(obj).(map[string]any)
					one[k] = w
					values = append(values, one)
					if next := keys[(i+1)%len(keys)]; next != k && j%2 == 0 {
						two := Clone(one).(map[string]any)
						two[next] = wrongs[(j+1)%len(wrongs)]
						values = append(values, two)
					}
				}
				// A wrong member inside a member that is an object itself.
				if inner, ok := obj[k].(map[string]any); ok {
					for ik := range inner {
						deep := Clone(obj).(map[string]any)
						deep[k].(map[string]any)[ik] = []any{"deep"}
						values = append(values, deep)
						break
					}
				}
			}
			values = append(values, Clone(obj).(map[string]any))
			for _, v := range values {
				decoded, data := roundTrip(t, v)
				for _, asRequest := range []bool{false, true} {
					walk := walkViolations(spec, ref.Value, decoded, asRequest)
					if _, ok := spec.memberViolations(agentmock.InBody, m, ref.Value, decoded.(map[string]any), asRequest); ok {
						fast++
					}
					compared++
					assert.Equal(t, walk, spec.Check(agentmock.InBody, ref.Value, decoded, asRequest), "%s %s, request %v: %s", name, schemaName, asRequest, data)
				}
			}
		}
		assert.Greater(t, fast, compared/4, "%s: the members' walk decides most of the %d cases", name, compared)
		t.Logf("%s: %d cases compared, %d decided by the members' walk", name, compared, fast)
	}
}
