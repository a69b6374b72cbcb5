package mock

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHealthFollowsTheDatabase: /_mock/health is ready while the database
// is open, and a 503 in the control API's shape once it is not.
func TestHealthFollowsTheDatabase(t *testing.T) {
	app := openTestApp(t)
	health := func() (int, map[string]any) {
		rec := httptest.NewRecorder()
		app.Diga.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_mock/health", nil))
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "%s", rec.Body)
		return rec.Code, body
	}
	code, body := health()
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ready", body["status"])

	require.NoError(t, app.Close())
	code, body = health()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not_ready", body["code"])
	assert.NotEmpty(t, body["message"])
}

// TestJournalKeepsBoundedBodies: an entry keeps at most bodyCap bytes of a
// body, says it was cut, and records a latency.
func TestJournalKeepsBoundedBodies(t *testing.T) {
	app := openTestApp(t)
	prompt := strings.Repeat("p", 20<<10)
	req := httptest.NewRequest(http.MethodPatch, "/v1/agent/11111111-1111-4111-8111-111111111111", strings.NewReader(`{"prompt":"`+prompt+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	rec := httptest.NewRecorder()
	app.Diga.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)

	_, entries := app.Diga.journal.query(filter{}, 1)
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Len(t, e.RequestBody, bodyCap)
	assert.Len(t, e.ResponseBody, bodyCap)
	assert.True(t, e.Truncated)
	assert.Positive(t, e.LatencyMS)
}
