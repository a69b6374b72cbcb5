package mock

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPassedParametersAnswerAsTheCheck: each request is sent twice to a
// real server, once through openapi3filter's check of its parameters and
// once through the memory of its passing; the answers, and the query the
// journal records (with the defaults openapi3filter writes into it), are
// the same, and only requests that passed are remembered.
func TestPassedParametersAnswerAsTheCheck(t *testing.T) {
	app := openTestApp(t)
	for _, tc := range []struct {
		provider, path, header, key string
		status                      int
	}{
		{"diga", "/v1/agent/11111111-1111-4111-8111-111111111111", "Authorization", "Bearer sk-diga-demo", http.StatusOK},
		{"diga", "/v1/agent/11111111-1111-4111-8111-111111111111?is_published=false", "Authorization", "Bearer sk-diga-demo", http.StatusOK},
		{"diga", "/v1/agent/11111111-1111-4111-8111-111111111111?version_id=nope", "Authorization", "Bearer sk-diga-demo", http.StatusUnprocessableEntity},
		{"diga", "/v1/agent/11111111-1111-4111-8111-111111111111?is_published=maybe", "Authorization", "Bearer sk-diga-demo", http.StatusUnprocessableEntity},
		{"diga", "/v1/agent/not-a-uuid", "Authorization", "Bearer sk-diga-demo", http.StatusUnprocessableEntity},
		{"diga", "/v1/agent/?limit=2", "Authorization", "Bearer sk-diga-demo", http.StatusOK},
		{"diga", "/v1/agent/", "Authorization", "Bearer sk-diga-demo", http.StatusOK},
		{"diga", "/v1/agent/?limit=abc", "Authorization", "Bearer sk-diga-demo", http.StatusUnprocessableEntity},
		{"diga", "/v1/agent/?limit=0", "Authorization", "Bearer sk-diga-demo", http.StatusUnprocessableEntity},
		{"itellico", "/v1/accounts/me/agents?limit=1", "X-API-Key", "itl-demo", http.StatusOK},
		{"itellico", "/v1/accounts/me/agents?limit=-4", "X-API-Key", "itl-demo", 0},
		{"itellico", "/v1/accounts/me/agents/22222222-2222-4222-8222-222222222222", "X-API-Key", "itl-demo", http.StatusOK},
	} {
		t.Run(tc.provider+" "+tc.path, func(t *testing.T) {
			s := app.Server(tc.provider)
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			send := func() (int, string) {
				req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
				require.NoError(t, err)
				req.Header.Set(tc.header, tc.key)
				return roundTrip(t, srv, req)
			}
			kept := s.passed.seen.len
			before := kept()
			status, body := send()
			if tc.status != 0 {
				require.Equal(t, tc.status, status, body)
			}
			passed := status < 400
			assert.Equal(t, before+map[bool]int{true: 1}[passed], kept(), "remembered only if it passed")
			again, againBody := send()
			assert.Equal(t, status, again)
			assert.JSONEq(t, body, againBody)
			_, entries := s.journal.query(filter{}, 2)
			require.Len(t, entries, 2)
			assert.Equal(t, entries[1].Query, entries[0].Query, "the same query recorded, defaults and all")
		})
	}
}

// BenchmarkPassedKey: what knowing a request by its path and query costs.
func BenchmarkPassedKey(b *testing.B) {
	app := openTestApp(b)
	s := app.Server("diga")
	req := httptest.NewRequest(http.MethodGet, "/v1/agent/11111111-1111-4111-8111-111111111111?is_published=false", nil)
	route, err := s.spec.FindRoute(req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.passed.key(route.Operation, req.URL); !ok {
			b.Fatal("not kept")
		}
	}
}
