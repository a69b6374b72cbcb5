package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answersClient sends requests to one provider's server on loopback.
type answersClient struct {
	t      *testing.T
	srv    *httptest.Server
	header string
}

func (c answersClient) do(method, path, key, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, bytes.NewReader([]byte(body)))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(c.header, key)
	return roundTrip(c.t, c.srv, req)
}

// TestKeptAnswersFollowTheStore: a GET answered again at the same store
// generation gets the same bytes, kept once; a write moves every later
// answer on; each credential and tenant has its own; and a read that looks
// at the clock is never kept.
func TestKeptAnswersFollowTheStore(t *testing.T) {
	app := openTestApp(t)
	s := app.Server("diga")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	diga := answersClient{t, srv, "Authorization"}
	const agent = "/v1/agent/11111111-1111-4111-8111-111111111111"
	kept := func(sv *Server) int {
		sv.answers.mu.RLock()
		defer sv.answers.mu.RUnlock()
		return len(sv.answers.m)
	}

	status, page := diga.do("GET", "/v1/agent/?limit=5", "Bearer sk-diga-demo", "")
	require.Equal(t, http.StatusOK, status, page)
	require.Equal(t, 1, kept(s), "the page kept")
	again, pageAgain := diga.do("GET", "/v1/agent/?limit=5", "Bearer sk-diga-demo", "")
	assert.Equal(t, http.StatusOK, again)
	assert.Equal(t, page, pageAgain, "the same bytes")
	assert.Equal(t, 1, kept(s))

	status, other := diga.do("GET", "/v1/agent/?limit=5", "Bearer sk-diga-other", "")
	require.Equal(t, http.StatusOK, status, other)
	assert.NotEqual(t, page, other, "another tenant's page")
	assert.Equal(t, 2, kept(s))
	status, _ = diga.do("GET", "/v1/agent/?limit=5", "Bearer sk-diga-wrong", "")
	assert.Equal(t, http.StatusUnauthorized, status, "a kept page is no way past the credentials")

	status, body := diga.do("PATCH", agent, "Bearer sk-diga-demo", `{"name":"Renamed by the test"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, after := diga.do("GET", "/v1/agent/?limit=5", "Bearer sk-diga-demo", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, after, "Renamed by the test", "the write moved the answer on")
	assert.NotContains(t, page, "Renamed by the test")
	assert.Equal(t, 1, kept(s), "the entries of the generation before are gone")

	itl := app.Server("itellico")
	isrv := httptest.NewServer(itl)
	t.Cleanup(isrv.Close)
	status, usage := answersClient{t, isrv, "X-API-Key"}.do("GET", "/v1/accounts/me/analytics/usage", "itl-demo", "")
	require.Equal(t, http.StatusOK, status, usage)
	assert.Zero(t, kept(itl), "usage looks back from now: never kept")
}

// TestKeptAnswersNeverLagAWrite: while readers GET an agent as fast as they
// can, each rename answered is in every GET sent after it.
func TestKeptAnswersNeverLagAWrite(t *testing.T) {
	app := openTestApp(t)
	srv := httptest.NewServer(app.Server("diga"))
	t.Cleanup(srv.Close)
	diga := answersClient{t, srv, "Authorization"}
	const agent = "/v1/agent/11111111-1111-4111-8111-111111111111"
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, srv.URL+agent, nil)
				req.Header.Set("Authorization", "Bearer sk-diga-demo")
				if res, err := srv.Client().Do(req); err == nil {
					res.Body.Close()
				}
			}
		})
	}
	for i := range 50 {
		name := fmt.Sprintf("rename %d", i)
		status, body := diga.do("PATCH", agent, "Bearer sk-diga-demo", `{"name":"`+name+`"}`)
		require.Equal(t, http.StatusOK, status, body)
		status, body = diga.do("GET", agent, "Bearer sk-diga-demo", "")
		require.Equal(t, http.StatusOK, status, body)
		var got struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		require.Equal(t, name, got.Name, "the GET after the rename's answer")
	}
	close(stop)
	readers.Wait()
}
