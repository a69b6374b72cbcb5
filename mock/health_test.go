package mock

import (
	"encoding/json"
	"fmt"
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
		app.Server("diga").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_mock/health", nil))
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
	app.Server("diga").ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)

	_, entries := app.Server("diga").journal.query(filter{}, 1)
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Len(t, e.RequestBody, bodyCap)
	assert.Len(t, e.ResponseBody, bodyCap)
	assert.True(t, e.Truncated)
	assert.Positive(t, e.LatencyMS)
}

// TestJournalBodyBudget: however many large bodies pass, the journal keeps
// every entry but the bodies of only the newest that fit bodyBudget, across
// the ring's wrap and a clear.
func TestJournalBodyBudget(t *testing.T) {
	big := strings.Repeat("b", bodyCap)
	const perEntry = 2 * bodyCap
	fit := bodyBudget / perEntry
	for _, tc := range []struct {
		name          string
		size          int
		before, after int // entries added before and after a clear
	}{
		{"no wrap", 1000, 0, 3 * fit},
		{"wrap", 300, 0, 700},
		{"wrap, clear, wrap", 300, 700, 401},
		{"under the budget", 50, 0, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJournal(tc.size)
			for i := range tc.before {
				j.add(entry{Path: fmt.Sprint(i), RequestBody: big, ResponseBody: big})
			}
			if tc.before > 0 {
				j.clear()
			}
			for i := range tc.after {
				j.add(entry{Path: fmt.Sprint(i), RequestBody: big, ResponseBody: big})
			}
			count, entries := j.query(filter{}, 0)
			require.Equal(t, min(tc.size, tc.after), count, "every entry stays")
			kept := 0
			for i, e := range entries { // newest first
				assert.Equal(t, fmt.Sprint(tc.after-1-i), e.Path)
				if i < fit {
					assert.Len(t, e.ResponseBody, bodyCap, "entry %d keeps its body", i)
					assert.False(t, e.Truncated)
				} else {
					assert.Empty(t, e.RequestBody, "entry %d", i)
					assert.Empty(t, e.ResponseBody, "entry %d", i)
					assert.True(t, e.Truncated, "entry %d", i)
				}
				kept += len(e.RequestBody) + len(e.ResponseBody)
			}
			assert.Equal(t, kept, j.bodies, "the running total is the kept bytes")
			assert.LessOrEqual(t, j.bodies, bodyBudget)
		})
	}
}
