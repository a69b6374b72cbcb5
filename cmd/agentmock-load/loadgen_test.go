package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agentmock/agentmock/contracttests"
)

func TestLuaBody(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"", "nil"},
		{`{"a":1}`, `"{\"a\":1}"`},
		{`{"name":"load {n}","max_reminder_count":{n%10}}`, `"{\"name\":\"load " .. n .. "\",\"max_reminder_count\":" .. (n % 10) .. "}"`},
		{`{n}`, `n`},
		{`{"x":{"n":{n}}}`, `"{\"x\":{\"n\":" .. n .. "}}"`},
	} {
		assert.Equal(t, tc.want, scenario{body: tc.body}.luaBody(), tc.body)
	}
}

func TestScenarioRequest(t *testing.T) {
	s := scenario{
		target: contracttests.Target{BaseURL: "http://h", Header: "X-API-Key", Value: "k"},
		method: "PATCH", paths: []string{"/a", "/b"}, body: `{"name":"load {n}","d":{n%10}}`,
	}
	req := s.request(3, 42)
	assert.Equal(t, "http://h/b", req.URL.String(), "client 3 works on paths[1]")
	assert.Equal(t, "k", req.Header.Get("X-API-Key"))
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"load 42","d":2}`, string(body))
}

func TestParseWrk(t *testing.T) {
	r, err := parseWrk("Running 3s test\nAGENTMOCK summary 3000 2000000 1500 9000 2\nAGENTMOCK status 200 2990\nAGENTMOCK status 422 8\n")
	require.NoError(t, err)
	assert.InDelta(t, 1500, r.rps, 0.01)
	assert.Equal(t, 1500*time.Microsecond, r.p50)
	assert.Equal(t, 9*time.Millisecond, r.p99)
	assert.Equal(t, 2, r.errors)
	assert.Equal(t, map[int]int{200: 2990, 422: 8}, r.statuses)

	for _, bad := range []string{"", "Running\n", "AGENTMOCK summary 1 x 1 1 0\n", "AGENTMOCK summary 1 0 1 1 0\n", "AGENTMOCK summary 1 1 1 1 0\nAGENTMOCK status x 1\n"} {
		_, err := parseWrk(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// TestWrkDrivesTheScenario runs the generated Lua script in the real wrk
// against a server that records what it gets. CI installs wrk.
func TestWrkDrivesTheScenario(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.Path+" "+r.Header.Get("X-API-Key")+" "+r.Header.Get("Content-Type")]++
		bodies = append(bodies, string(data))
		n := len(bodies)
		mu.Unlock()
		if n%2 == 0 {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	s := scenario{
		name: "test", target: contracttests.Target{BaseURL: srv.URL, Header: "X-API-Key", Value: "k"},
		method: "PATCH", paths: []string{"/v1/a", "/v1/b"}, body: `{"name":"load {n}","d":{n%10}}`,
	}
	r, err := wrkLoad{bin: bin, dir: t.TempDir()}.drive(context.Background(), 4, time.Second, s)
	require.NoError(t, err)
	assert.Positive(t, r.rps)
	assert.Positive(t, r.p99)
	assert.Zero(t, r.errors)
	assert.Positive(t, r.statuses[200])
	assert.Positive(t, r.statuses[422])
	assert.Len(t, r.statuses, 2, "%v", r.statuses)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"PATCH /v1/a k application/json", "PATCH /v1/b k application/json"}, slices.Sorted(maps.Keys(seen)))
	require.NotEmpty(t, bodies)
	for _, b := range bodies[:min(len(bodies), 100)] {
		var v struct {
			Name string `json:"name"`
			D    int    `json:"d"`
		}
		require.NoError(t, json.Unmarshal([]byte(b), &v), b)
		assert.True(t, strings.HasPrefix(v.Name, "load "), b)
		assert.Less(t, v.D, 10)
	}
}

func TestFindLoadgen(t *testing.T) {
	ctx := context.Background()
	lg, err := findLoadgen(ctx, "go", t.TempDir(), io.Discard)
	require.NoError(t, err)
	assert.IsType(t, goLoad{}, lg)

	_, err = findLoadgen(ctx, "hey", t.TempDir(), io.Discard)
	assert.ErrorContains(t, err, `"hey" is not auto, wrk or go`)

	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	for _, want := range []string{"auto", "wrk"} {
		lg, err := findLoadgen(ctx, want, t.TempDir(), io.Discard)
		require.NoError(t, err)
		assert.IsType(t, wrkLoad{}, lg, want)
	}
}
