package agentmocktest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
)

func TestAgentLifecycleWithRetries(t *testing.T) {
	srv := agentmocktest.New(t)

	// Create an agent and patch it.
	res := send(t, srv, "POST", "/v1/agent/", `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`)
	var agent struct {
		ID string `json:"agent_id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&agent); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %v", res.StatusCode, err)
	}
	if res := send(t, srv, "PATCH", "/v1/agent/"+agent.ID, `{"name":"Front desk","max_reminder_count":1}`); res.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d", res.StatusCode)
	}

	// The journal saw the PATCH, and no request broke the document.
	patches := srv.Requests(t, agentmocktest.RequestFilter{Method: "PATCH", Path: "/v1/agent/{agent_id}"})
	if len(patches) != 1 || patches[0].Status != http.StatusOK {
		t.Fatalf("journal: %+v", patches)
	}
	if bad := srv.Requests(t, agentmocktest.RequestFilter{OnlyInvalid: true}); len(bad) != 0 {
		t.Fatalf("invalid requests: %+v", bad)
	}

	// Rate-limit the next GET once: a client that honours Retry-After gets through.
	now := time.Duration(0)
	srv.AddFault(t, agentmocktest.Fault{Method: "GET", Path: "/v1/agent/{agent_id}", RetryAfter: &now, Count: 1})
	res, attempts := getWithRetry(t, srv, "/v1/agent/"+agent.ID)
	if res.StatusCode != http.StatusOK || attempts != 2 {
		t.Fatalf("after retries: %d in %d attempts", res.StatusCode, attempts)
	}
	if limited := srv.Requests(t, agentmocktest.RequestFilter{Status: http.StatusTooManyRequests}); len(limited) != 1 {
		t.Fatalf("429s: %d", len(limited))
	}
}

// getWithRetry is the client under test: it retries a 429 after Retry-After.
func getWithRetry(t *testing.T, srv *agentmocktest.Server, path string) (*http.Response, int) {
	for attempt := 1; ; attempt++ {
		res := send(t, srv, "GET", path, "")
		if res.StatusCode != http.StatusTooManyRequests || attempt == 3 {
			return res, attempt
		}
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		time.Sleep(time.Duration(secs) * time.Second)
	}
}

func send(t *testing.T, srv *agentmocktest.Server, method, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.DigaURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.DigaKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
