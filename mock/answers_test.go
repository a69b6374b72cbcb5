package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeptAnswersFollowTheStore: a GET answered again at the same store
// generation gets the same bytes, kept once; a write moves every later
// answer on; each credential and tenant has its own; and a read that looks
// at the clock is never kept.
func TestKeptAnswersFollowTheStore(t *testing.T) {
	app := openTestApp(t)
	s := app.Server("diga")
	diga := demoClient(t, app, "diga")
	const agent = "/v1/agent/11111111-1111-4111-8111-111111111111"
	kept := func(sv *Server) int {
		sv.answers.mu.RLock()
		defer sv.answers.mu.RUnlock()
		return len(sv.answers.m)
	}

	status, page := diga.do("GET", "/v1/agent/?limit=5", "")
	require.Equal(t, http.StatusOK, status, page)
	require.Equal(t, 1, kept(s), "the page kept")
	again, pageAgain := diga.do("GET", "/v1/agent/?limit=5", "")
	assert.Equal(t, http.StatusOK, again)
	assert.Equal(t, page, pageAgain, "the same bytes")
	assert.Equal(t, 1, kept(s))

	status, other := diga.withKey("Bearer sk-diga-other").do("GET", "/v1/agent/?limit=5", "")
	require.Equal(t, http.StatusOK, status, other)
	assert.NotEqual(t, page, other, "another tenant's page")
	assert.Equal(t, 2, kept(s))
	status, _ = diga.withKey("Bearer sk-diga-wrong").do("GET", "/v1/agent/?limit=5", "")
	assert.Equal(t, http.StatusUnauthorized, status, "a kept page is no way past the credentials")

	status, body := diga.do("PATCH", agent, `{"name":"Renamed by the test"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, after := diga.do("GET", "/v1/agent/?limit=5", "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, after, "Renamed by the test", "the write moved the answer on")
	assert.NotContains(t, page, "Renamed by the test")
	assert.Equal(t, 1, kept(s), "the entries of the generation before are gone")

	itl := app.Server("itellico")
	status, usage := demoClient(t, app, "itellico").do("GET", "/v1/accounts/me/analytics/usage", "")
	require.Equal(t, http.StatusOK, status, usage)
	assert.Zero(t, kept(itl), "usage looks back from now: never kept")
}

// TestKeptAnswersNeverLagAWrite: while readers GET an agent as fast as they
// can, each rename answered is in every GET sent after it.
func TestKeptAnswersNeverLagAWrite(t *testing.T) {
	app := openTestApp(t)
	diga := demoClient(t, app, "diga")
	srv := diga.srv
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
		status, body := diga.do("PATCH", agent, `{"name":"`+name+`"}`)
		require.Equal(t, http.StatusOK, status, body)
		status, body = diga.do("GET", agent, "")
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

// TestAnswersKeepOneGenerationWithinTheirBudget: a put for a later
// generation forgets the earlier one's answers, one for an earlier
// generation is dropped, an answer over answersLongest is not kept, and the
// answers never total more than answersBytes.
func TestAnswersKeepOneGenerationWithinTheirBudget(t *testing.T) {
	a := newAnswers()
	k := func(i int) opSum { return opSum{sum: a.fp.Of([]byte(fmt.Sprint(i)))} }
	a.put(2, k(1), []byte("one"))
	a.put(2, k(2), []byte("two"))
	got, ok := a.get(2, k(1))
	require.True(t, ok)
	assert.Equal(t, "one", string(got))
	_, ok = a.get(3, k(1))
	assert.False(t, ok, "another generation's")

	a.put(1, k(3), []byte("old"))
	_, ok = a.get(1, k(3))
	assert.False(t, ok, "an earlier generation's put is dropped")
	a.put(3, k(3), []byte("new"))
	_, ok = a.get(2, k(1))
	assert.False(t, ok, "a later generation forgets the earlier")
	assert.Len(t, a.m, 1)

	a.put(3, k(4), make([]byte, answersLongest+1))
	_, ok = a.get(3, k(4))
	assert.False(t, ok, "too long to keep")
	for i := range 2 * answersBytes / answersLongest {
		a.put(3, k(10+i), make([]byte, answersLongest))
		assert.LessOrEqual(t, a.bytes, answersBytes)
	}
	_, ok = a.get(3, k(10+2*answersBytes/answersLongest-1))
	assert.True(t, ok, "the newest is kept")
}
