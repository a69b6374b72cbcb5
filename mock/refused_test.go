package mock

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefusedBodiesAnswerAsTheCheck: a body the check refused, sent again,
// gets the answer and the journal entry it got the first time, and the
// answer a server that never saw it gives; a body that passes is not
// remembered; and a remembered body sent with a wrong path parameter is
// reported with it, as a server that never saw the body reports both.
func TestRefusedBodiesAnswerAsTheCheck(t *testing.T) {
	const (
		digaAgent = "/v1/agent/11111111-1111-4111-8111-111111111111"
		itlAgent  = "/v1/accounts/me/agents/22222222-2222-4222-8222-222222222222"
	)
	type request struct {
		provider, method, path, body string
	}
	open := func(t *testing.T, strict bool) *App {
		app, err := Open(context.Background(), Options{DB: filepath.Join(t.TempDir(), "app.db"), NoSync: true, Strict: strict})
		require.NoError(t, err)
		t.Cleanup(func() { _ = app.Close() })
		return app
	}
	send := func(t *testing.T, app *App, r request) (int, string) {
		t.Helper()
		return demoClient(t, app, r.provider).do(r.method, r.path, r.body)
	}
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			remembering, fresh := open(t, strict), open(t, strict)
			for _, tc := range []struct {
				request
				refused bool
			}{
				{request{"diga", http.MethodPatch, digaAgent, `{"max_reminder_count":-1}`}, true},
				{request{"diga", http.MethodPatch, digaAgent, `{"max_reminder_count":-1,"bogus":1}`}, true},
				{request{"diga", http.MethodPatch, digaAgent, `{"bogus":1}`}, strict},
				{request{"diga", http.MethodPatch, digaAgent, `{"name":null,"max_reminder_count":"x"}`}, true},
				{request{"diga", http.MethodPost, "/v1/agent/", `{"language":"xx"}`}, true},
				{request{"diga", http.MethodPatch, digaAgent, `{"name":"kept"}`}, false},
				{request{"itellico", http.MethodPatch, itlAgent, `{"max_duration_seconds":"long"}`}, true},
				{request{"itellico", http.MethodPatch, itlAgent, `{"max_duration_seconds":-5,"extra":true}`}, true},
				{request{"itellico", http.MethodPatch, itlAgent, `{"name":"kept"}`}, false},
			} {
				t.Run(tc.method+" "+tc.body, func(t *testing.T) {
					s := remembering.Server(tc.provider)
					before := s.refused.seen.len()
					status, body := send(t, remembering, tc.request)
					require.Equal(t, tc.refused, status >= 400, body)
					assert.Equal(t, before+map[bool]int{true: 1}[tc.refused], s.refused.seen.len(), "remembered only if refused")
					again, againBody := send(t, remembering, tc.request)
					assert.Equal(t, status, again)
					_, entries := s.journal.query(filter{}, 2)
					require.Len(t, entries, 2)
					assert.Equal(t, entries[1].Warnings, entries[0].Warnings)
					undeclared := strings.Contains(tc.body, "bogus") || strings.Contains(tc.body, "extra")
					assert.Equal(t, undeclared && !strict, len(entries[0].Warnings) > 0, "warned of what it dropped")
					if !tc.refused {
						return // stored again, at another time
					}
					assert.Equal(t, body, againBody, "the same bytes")
					assert.Equal(t, entries[1].Violations, entries[0].Violations)
					assert.NotEmpty(t, entries[0].Violations)
					assert.Equal(t, entries[1].ResponseBody, entries[0].ResponseBody)
					freshStatus, freshBody := send(t, fresh, tc.request)
					assert.Equal(t, status, freshStatus)
					assert.JSONEq(t, body, freshBody, "what a server that never saw it answers")
				})
			}
			t.Run("with a wrong path parameter", func(t *testing.T) {
				r := request{"diga", http.MethodPatch, "/v1/agent/not-a-uuid", `{"max_reminder_count":-1}`}
				status, body := send(t, remembering, r)
				neverSaw := open(t, strict)
				wantStatus, want := send(t, neverSaw, r)
				assert.Equal(t, wantStatus, status)
				assert.JSONEq(t, want, body)
				assert.Contains(t, body, "agent_id")
				assert.Contains(t, body, "max_reminder_count")
			})
		})
	}
}

// TestRefusedKeepsWhatIsWorthKeeping: a refusal is remembered for its
// operation and bytes; a body that passed, one over refusedLongest bytes
// and one with more than refusedMost violations are not.
func TestRefusedKeepsWhatIsWorthKeeping(t *testing.T) {
	r := newRefused()
	op := &openapi3.Operation{}
	one := &refusal{violations: make([]agentmock.Violation, 1)}
	r.add(op, []byte(`{"a":1}`), one)
	got, ok := r.get(op, []byte(`{"a":1}`))
	require.True(t, ok)
	assert.Same(t, one, got)
	_, ok = r.get(&openapi3.Operation{}, []byte(`{"a":1}`))
	assert.False(t, ok, "another operation's")
	_, ok = r.get(op, []byte(`{"a":2}`))
	assert.False(t, ok, "other bytes")

	for name, tc := range map[string]struct {
		body  []byte
		found *refusal
	}{
		"passed":          {[]byte(`{"b":1}`), &refusal{warnings: make([]agentmock.Violation, 1)}},
		"too long":        {bytes.Repeat([]byte(" "), refusedLongest+1), one},
		"too many errors": {[]byte(`{"c":1}`), &refusal{violations: make([]agentmock.Violation, refusedMost+1)}},
	} {
		before := r.seen.len()
		r.add(op, tc.body, tc.found)
		assert.Equal(t, before, r.seen.len(), name)
	}
}
