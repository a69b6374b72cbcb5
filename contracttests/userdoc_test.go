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
			to:   "      - knowledge_items\n      - knowledge_item_ids\n      properties:\n        knowledge_item_ids:\n          type: array\n          items:\n            type: string\n            format: uuid\n",
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
			assert.IsType(t, []any{}, kb["knowledge_item_ids"], "%s", r.raw)
			assert.NotEmpty(t, kb["name"])
		}
		again := c.do("GET", "/v1/knowledge/base/", nil).must(t, http.StatusOK)
		assert.Equal(t, string(r.raw), string(again.raw), "generated members are the same on every read")
	})
}
