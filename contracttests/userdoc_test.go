package contracttests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUserDocumentDeclaresOtherShapes serves a document that differs from
// ours the way Diga's own do: its list 422 declares only the custom error
// body, and its knowledge bases require a member our fixtures lack. Every
// answer must still conform to the document served.
func TestUserDocumentDeclaresOtherShapes(t *testing.T) {
	inProcessOnly(t)
	data, err := openapi.Embedded("diga")
	require.NoError(t, err)
	doc := string(data)
	edits := []struct{ from, to string }{
		{
			from: "          schema:\n            oneOf:\n            - $ref: '#/components/schemas/HTTPValidationError'\n            - $ref: '#/components/schemas/ErrorResponseSchema'\n          example:\n            status: error\n            error_code: INVALID_PAGINATION_PARAMETERS\n            message: Cannot use both",
			to:   "          schema:\n            $ref: '#/components/schemas/ErrorResponseSchema'\n          example:\n            status: error\n            error_code: INVALID_PAGINATION_PARAMETERS\n            message: Cannot use both",
		},
		{
			from: "      - knowledge_items\n      properties:\n",
			to:   "      - knowledge_items\n      - source_ids\n      properties:\n        source_ids:\n          type: array\n          items:\n            type: string\n            format: uuid\n",
		},
	}
	for _, e := range edits {
		require.Equal(t, 1, strings.Count(doc, e.from), "the embedded document changed; update this edit: %q", e.from)
		doc = strings.Replace(doc, e.from, e.to, 1)
	}
	file := filepath.Join(t.TempDir(), "diga-variant.yaml")
	require.NoError(t, os.WriteFile(file, []byte(doc), 0o600))
	c := start(t, agentmocktest.WithDigaSpec(file)).diga(t)

	t.Run("a violation in the declared custom shape", func(t *testing.T) {
		r := c.do("GET", "/v1/agent/?limit=1000&order=sideways", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "VALIDATION_ERROR", r.json["error_code"], "%s", r.raw)
		assert.Equal(t, "error", r.json["status"])
		msg, _ := r.json["message"].(string)
		assert.Contains(t, msg, "query.limit: Input should be less than or equal to 100")
		assert.Contains(t, msg, "query.order: ")
		assert.Nil(t, r.json["detail"])
	})
	t.Run("other operations keep the FastAPI detail list", func(t *testing.T) {
		r := c.do("PATCH", "/v1/agent/11111111-1111-4111-8111-111111111111", `{"max_call_duration":-1}`).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "body", r.path("detail.0.loc.0"), "%s", r.raw)
	})
	t.Run("a stored entry gains the members the document requires", func(t *testing.T) {
		r := c.do("GET", "/v1/knowledge/base/", nil).must(t, http.StatusOK)
		items, _ := r.json["data"].([]any)
		require.NotEmpty(t, items)
		for _, it := range items {
			kb := it.(map[string]any)
			assert.IsType(t, []any{}, kb["source_ids"], "%s", r.raw)
			assert.NotEmpty(t, kb["name"])
		}
		again := c.do("GET", "/v1/knowledge/base/", nil).must(t, http.StatusOK)
		assert.Equal(t, string(r.raw), string(again.raw), "generated members are the same on every read")
	})
}

// TestStatelessOperationsAnswerFromTheDocument serves a document with two
// operations agentmock has no behaviour for: one with named examples, one
// with a schema only. The first answers with its example (or a named one,
// or a generated value with Prefer: dynamic=true), the second with a value
// generated from its schema; every answer is checked against the document
// by the harness as well as by the server.
func TestStatelessOperationsAnswerFromTheDocument(t *testing.T) {
	inProcessOnly(t)
	data, err := openapi.Embedded("diga")
	require.NoError(t, err)
	widget := `paths:
  /v1/widget:
    get:
      operationId: get_widget
      responses:
        '200':
          description: A widget.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Widget'
              examples:
                small:
                  value: {id: 7, name: small, size: 1}
                large:
                  value: {id: 8, name: large, size: 99}
  /v1/gadget:
    get:
      operationId: get_gadget
      responses:
        '200':
          description: A gadget.
          content:
            application/json:
              schema:
                type: object
                required: [serial, parts]
                properties:
                  serial: {type: string, format: uuid}
                  parts: {type: array, minItems: 2, items: {type: integer, minimum: 5, maximum: 6}}
`
	schemas := "  schemas:\n    Widget:\n      type: object\n      required: [id, name, size]\n      properties:\n        id: {type: integer}\n        name: {type: string}\n        size: {type: integer, minimum: 1, maximum: 99}\n"
	doc := string(data)
	require.Equal(t, 1, strings.Count(doc, "\npaths:\n"))
	require.Equal(t, 1, strings.Count(doc, "\n  schemas:\n"))
	doc = strings.Replace(doc, "\npaths:\n", "\n"+widget, 1)
	doc = strings.Replace(doc, "\n  schemas:\n", "\n"+schemas, 1)
	file := filepath.Join(t.TempDir(), "diga-stateless.yaml")
	require.NoError(t, os.WriteFile(file, []byte(doc), 0o600))
	c := start(t, agentmocktest.WithDigaSpec(file)).diga(t)

	r := c.do("GET", "/v1/widget", nil).must(t, http.StatusOK)
	assert.JSONEq(t, `{"id":7,"name":"small","size":1}`, string(r.raw), "the first documented example")
	r = c.do("GET", "/v1/widget", nil, "Prefer", "example=large").must(t, http.StatusOK)
	assert.JSONEq(t, `{"id":8,"name":"large","size":99}`, string(r.raw), "the named example")
	r = c.do("GET", "/v1/widget?__example=large", nil).must(t, http.StatusOK)
	assert.Equal(t, 8.0, r.json["id"])
	r = c.do("GET", "/v1/widget?__example=nope", nil).must(t, http.StatusNotFound)
	assert.Contains(t, r.json["message"], "nope", "the error names the example asked for")
	r = c.do("GET", "/v1/widget", nil, "Prefer", "dynamic=true").must(t, http.StatusOK)
	assert.NotEqual(t, 7.0, r.json["id"], "a generated value, not the example: %s", r.raw)
	assert.NotEqual(t, 8.0, r.json["id"], "a generated value, not the example: %s", r.raw)

	r = c.do("GET", "/v1/gadget", nil).must(t, http.StatusOK)
	parts, _ := r.json["parts"].([]any)
	assert.GreaterOrEqual(t, len(parts), 2, "%s", r.raw)
	for _, p := range parts {
		assert.Contains(t, []any{5.0, 6.0}, p)
	}
	assert.Regexp(t, `^[0-9a-f-]{36}$`, r.json["serial"])
	c.withKey("").do("GET", "/v1/gadget", nil).must(t, http.StatusUnauthorized)
}
