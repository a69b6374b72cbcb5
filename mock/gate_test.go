package mock

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agentmock/agentmock/openapi"
)

// TestPageOperations: the collections of both documents wait at the gate;
// single resources, even with array members, and writes do not.
func TestPageOperations(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		doc       string
		pages     []string
		notPages  []string
		wantPages int
	}{
		{"diga",
			[]string{"GET /v1/agent/", "GET /v1/agent/{}/version", "GET /v1/voice/", "GET /v1/knowledge/base/"},
			[]string{"GET /v1/agent/{}", "POST /v1/agent/", "PATCH /v1/agent/{}", "GET /v1/voice/{}"},
			16},
		{"itellico",
			[]string{"GET /v1/accounts/{}/agents", "GET /v1/accounts/{}/subaccounts", "GET /v1/accounts/{}/phone-numbers", "GET /v1/accounts/{}/conversations"},
			[]string{"GET /v1/accounts/{}/agents/{}", "POST /v1/accounts/{}/agents"},
			9},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			data, err := openapi.Embedded(tc.doc)
			require.NoError(t, err)
			spec, err := openapi.Load(ctx, data)
			require.NoError(t, err)
			pages := pageOperations(spec)
			for _, k := range tc.pages {
				assert.True(t, pages[k], k)
			}
			for _, k := range tc.notPages {
				assert.False(t, pages[k], k)
			}
			assert.Len(t, pages, tc.wantPages, "%v", pages)
		})
	}
}

// TestGateHoldsListPages: with every slot taken, a list waits, a client
// that gives up frees nothing and gets nothing, and the list is answered
// in full once a slot is free. Single agents never wait.
func TestGateHoldsListPages(t *testing.T) {
	app := openTestApp(t)
	srv := httptest.NewServer(app.Server("diga"))
	t.Cleanup(srv.Close)
	gate := app.Server("diga").cfg.Pages
	require.Same(t, gate, app.Server("itellico").cfg.Pages, "one gate for the process")
	for range cap(gate.slots) {
		require.True(t, gate.enter(context.Background()))
	}

	get := func(ctx context.Context, path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer sk-diga-demo")
		return http.DefaultClient.Do(req)
	}

	res, err := get(context.Background(), "/v1/agent/11111111-1111-4111-8111-111111111111")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "a single agent does not wait")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = get(ctx, "/v1/agent/")
	require.ErrorIs(t, err, context.DeadlineExceeded, "the list waited")
	assert.Len(t, gate.slots, cap(gate.slots), "the client that gave up took no slot")
	require.Eventually(t, func() bool {
		n, entries := app.Server("diga").journal.query(filter{path: "/v1/agent/"}, 1)
		return n == 1 && entries[0].Status == 0 && entries[0].ResponseBody == ""
	}, 5*time.Second, 10*time.Millisecond, "the journal records that no answer was sent")

	type answer struct {
		status int
		body   map[string]any
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := get(context.Background(), "/v1/agent/?limit=5")
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		var body map[string]any
		err = json.Unmarshal(data, &body)
		done <- answer{res.StatusCode, body, err}
	}()
	select {
	case a := <-done:
		t.Fatalf("a list was answered while every slot was taken: %+v", a)
	case <-time.After(100 * time.Millisecond):
	}
	gate.leave()
	select {
	case a := <-done:
		require.NoError(t, a.err)
		assert.Equal(t, http.StatusOK, a.status)
		assert.NotEmpty(t, a.body["data"], "the page came in full")
	case <-time.After(5 * time.Second):
		t.Fatal("the list was not answered once a slot was free")
	}
	for range cap(gate.slots) - 1 {
		gate.leave()
	}
	assert.Empty(t, gate.slots, "the list gave its slot back")
}
