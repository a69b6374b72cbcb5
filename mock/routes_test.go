package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agentmock/agentmock/mock/provider"
)

// TestPanicIsTheProvidersError: a handler that panics answers the
// provider's 500, which the document declares, the journal records it, and
// the next request is served. The chain of steps is made once (routes.go),
// so this is what shows recover still wraps it.
func TestPanicIsTheProvidersError(t *testing.T) {
	app := openTestApp(t)
	s := app.Server("diga")
	const key = "GET /v1/voice/"
	require.NotNil(t, s.handlers[key])
	s.handlers[key] = func(*provider.Request) (provider.Response, error) { panic("boom") }
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	get := func(path string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer sk-diga-demo")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.Unmarshal(data, &body), "%s", data)
		return res.StatusCode, body
	}
	status, body := get("/v1/voice/")
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, s.errorBody(provider.Fail(http.StatusInternalServerError, "Internal Server Error")), body)

	_, entries := s.journal.query(filter{}, 1)
	require.Len(t, entries, 1)
	assert.Equal(t, "/v1/voice/", entries[0].Path)
	assert.Equal(t, http.StatusInternalServerError, entries[0].Status)

	status, body = get("/v1/agent/11111111-1111-4111-8111-111111111111")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "11111111-1111-4111-8111-111111111111", body["agent_id"])
}
