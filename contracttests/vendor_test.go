package contracttests

import (
	"net/http"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/stretchr/testify/assert"
)

// TestDigaDocumentsServeAnAgent runs an agent's life through our document
// and, listed in AGENTMOCK_VENDOR_DIGA_SPECS, each of Diga's own published
// documents, unmodified (the repository does not ship them).
func TestDigaDocumentsServeAnAgent(t *testing.T) {
	inProcessOnly(t)
	for name, file := range digaDocuments() {
		t.Run(name, func(t *testing.T) { serveAnAgent(t, file) })
	}
}

func serveAnAgent(t *testing.T, file string) {
	var opts []agentmocktest.Option
	if file != "" {
		opts = append(opts, agentmocktest.WithDigaSpec(file))
	}
	c := start(t, opts...).diga(t)
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
