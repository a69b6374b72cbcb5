package contracttests

import (
	"net/http"
	"os"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/stretchr/testify/assert"
)

// TestDigaVendorDocument serves Diga's own published OpenAPI document,
// unmodified, and runs an agent's life through it. Point
// AGENTMOCK_VENDOR_DIGA_SPEC at the file (any of Diga's 3.1 documents) to
// run it; the repository does not ship vendor documents.
func TestDigaVendorDocument(t *testing.T) {
	inProcessOnly(t)
	file := os.Getenv("AGENTMOCK_VENDOR_DIGA_SPEC")
	if file == "" {
		t.Skip("set AGENTMOCK_VENDOR_DIGA_SPEC to a Diga OpenAPI document")
	}
	c := start(t, agentmocktest.WithDigaSpec(file)).diga(t)
	r := c.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`)
	assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.status, "the document's own success status: %s", r.raw)
	id, _ := r.json["agent_id"].(string)
	assert.NotEmpty(t, id)

	r = c.do("PATCH", "/v1/agent/"+id, `{"name":"vendor","max_reminder_count":5}`).must(t, http.StatusOK)
	assert.Equal(t, "vendor", r.json["name"])
	r = c.do("PATCH", "/v1/agent/"+id, `{"max_reminder_count":null}`).must(t, http.StatusOK)
	assert.Equal(t, 3.0, r.json["max_reminder_count"])
	assert.Equal(t, "vendor", c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["name"])

	// Later documents drop the PATCH bounds, so only the enum is sure to fail.
	r = c.do("PATCH", "/v1/agent/"+id, `{"language":"xx","reminder_frequency_ms":999}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, []any{"body", "language"}, r.path("detail.0.loc"), "%s", r.raw)
	assert.Equal(t, "enum", r.path("detail.0.type"))
	c.withKey("").do("GET", "/v1/agent/"+id, nil).must(t, http.StatusUnauthorized)
	c.do("GET", "/v1/voice/"+voiceLucia, nil).must(t, http.StatusOK)
	r = c.do("DELETE", "/v1/agent/"+id, nil)
	assert.Contains(t, []int{http.StatusOK, http.StatusNoContent}, r.status)
	c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
}
