package openapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// doc30 and doc31 describe the same object in both OpenAPI versions'
// spellings of nullability, with properties deliberately out of
// alphabetical order.
const doc30 = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    patch:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 10}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [zeta]
      properties:
        zeta: {type: string, maxLength: 3}
        alpha: {type: integer, minimum: 0, default: 3}
        mid: {type: string, nullable: true}
        when: {type: string, format: date-time}
        lang: {type: string, enum: [es, en]}
        inner:
          type: object
          additionalProperties: false
          properties:
            b: {type: boolean, default: true}
            a: {type: number, maximum: 1}
        free: {type: object, additionalProperties: true}
`

var doc31 = strings.NewReplacer(
	"openapi: 3.0.3", "openapi: 3.1.0",
	"mid: {type: string, nullable: true}", "mid: {anyOf: [{type: string}, {type: 'null'}]}",
).Replace(doc30)

func load(t *testing.T, doc string) *openapi.Spec {
	t.Helper()
	spec, err := openapi.Load(context.Background(), []byte(doc))
	require.NoError(t, err)
	return spec
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	return m
}

// TestEmbeddedDocumentsLoadCleanly is what lets LoadEmbedded skip strict
// validation at start (TestJSONCopiesLoadAsTheYAML checks the copies too).
func TestEmbeddedDocumentsLoadCleanly(t *testing.T) {
	for _, name := range []string{"diga", "itellico", "control"} {
		t.Run(name, func(t *testing.T) {
			data, err := openapi.Embedded(name)
			require.NoError(t, err)
			spec, err := openapi.Load(context.Background(), data)
			require.NoError(t, err)
			assert.Empty(t, spec.Warnings, "our own documents pass kin-openapi's strict validation")
			assert.False(t, spec.Is31(), "3.0.3: kin-openapi compiles 3.1 schemas on every call")
		})
	}
}

func TestCompleteAndEncodeKeepDocumentOrder(t *testing.T) {
	for name, doc := range map[string]string{"3.0": doc30, "3.1": doc31} {
		t.Run(name, func(t *testing.T) {
			spec := load(t, doc)
			thing := spec.Schema("Thing")
			obj := decode(t, `{"zeta":"z","inner":{"a":0.5}}`)
			spec.Complete(thing, nil, obj)
			data, err := spec.Encode(thing, obj)
			require.NoError(t, err)
			assert.Equal(t, `{"zeta":"z","alpha":3,"mid":null,"inner":{"b":true,"a":0.5}}`, string(data))
		})
	}
}

func TestUnknownMembers(t *testing.T) {
	spec := load(t, doc30)
	thing := spec.Schema("Thing")
	obj := decode(t, `{"zeta":"z","typo":1,"inner":{"c":2},"free":{"anything":1}}`)
	assert.Equal(t, []openapi.Member{{Path: []string{"inner", "c"}}, {Path: []string{"typo"}}}, spec.Unknown(thing, obj, false))
	assert.Contains(t, obj, "typo", "without drop nothing changes")
	spec.Unknown(thing, obj, true)
	assert.NotContains(t, obj, "typo")
	assert.Equal(t, map[string]any{}, obj["inner"])
	assert.Equal(t, map[string]any{"anything": json.Number("1")}, obj["free"], "free-form objects keep everything")
}

func TestViolations(t *testing.T) {
	cases := []struct {
		body string
		want []agentmock.Violation
	}{
		{`{"zeta":"toolong"}`, []agentmock.Violation{{In: "body", Path: []string{"zeta"}, Kind: "string_too_long", Message: "String should have at most 3 characters"}}},
		{`{}`, []agentmock.Violation{{In: "body", Path: []string{"zeta"}, Kind: "missing", Message: "Field required"}}},
		{`{"zeta":"z","alpha":-1}`, []agentmock.Violation{{In: "body", Path: []string{"alpha"}, Kind: "greater_than_equal", Message: "Input should be greater than or equal to 0"}}},
		{`{"zeta":"z","alpha":1.5}`, []agentmock.Violation{{In: "body", Path: []string{"alpha"}, Kind: "int_type", Message: "Input should be a valid integer"}}},
		{`{"zeta":"z","lang":"fr"}`, []agentmock.Violation{{In: "body", Path: []string{"lang"}, Kind: "enum", Message: "Input should be 'es' or 'en'"}}},
		{`{"zeta":"z","when":"yesterday"}`, []agentmock.Violation{{In: "body", Path: []string{"when"}, Kind: "datetime_parsing", Message: "Input should be a valid datetime"}}},
		{`{"zeta":"z","inner":{"a":2}}`, []agentmock.Violation{{In: "body", Path: []string{"inner", "a"}, Kind: "less_than_equal", Message: "Input should be less than or equal to 1"}}},
		{`{"zeta":"z","mid":5}`, []agentmock.Violation{{In: "body", Path: []string{"mid"}, Kind: "string_type", Message: "Input should be a valid string"}}},
	}
	for name, doc := range map[string]string{"3.0": doc30, "3.1": doc31} {
		spec := load(t, doc)
		for _, tc := range cases {
			t.Run(name+" "+tc.body, func(t *testing.T) {
				// The validator names kinds; the words are pydantic's
				// renderer's, checked here together.
				got := spec.Check(agentmock.InBody, spec.Schema("Thing"), decode(t, tc.body), true)
				for i := range got {
					got[i] = agentmock.Violation{In: got[i].In, Path: got[i].Path, Kind: got[i].Kind, Message: pydantic.Message(got[i])}
				}
				assert.Equal(t, tc.want, got)
			})
		}
	}
}

func TestFindRouteAndParameters(t *testing.T) {
	spec := load(t, doc30)
	route, err := spec.FindRoute(httptest.NewRequest("PATCH", "http://anyhost:1234/things/3c90c3cc-0d44-4b50-8888-8dd25736052a", nil))
	require.NoError(t, err, "routes match whatever host serves them")
	assert.Equal(t, "PATCH /things/{}", route.Key)
	assert.Equal(t, "3c90c3cc-0d44-4b50-8888-8dd25736052a", route.PathParams["id"])
	_, err = spec.FindRoute(httptest.NewRequest("GET", "/things/x", nil))
	assert.ErrorIs(t, err, openapi.ErrMethodNotAllowed)
	_, err = spec.FindRoute(httptest.NewRequest("GET", "/nothing", nil))
	assert.ErrorIs(t, err, openapi.ErrNoRoute)
}

func TestLoadRejectsWhatCannotBeServed(t *testing.T) {
	for _, doc := range []string{"", "not: [a document", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"} {
		_, err := openapi.Load(context.Background(), []byte(doc))
		assert.Error(t, err, "%q", doc)
	}
}
