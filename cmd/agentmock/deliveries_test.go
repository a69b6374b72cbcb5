package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeliveriesSurviveSIGKILL: a delivery its receiver refused waits in
// the outbox; the process is killed with SIGKILL, restarted on the same
// database, and delivers it, signed, once the receiver takes it.
func TestDeliveriesSurviveSIGKILL(t *testing.T) {
	testenv.Slow(t)
	var accept atomic.Bool
	got := make(chan []byte, 16)
	var secret atomic.Value
	secret.Store("")
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !accept.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if delivery.Verify(r.Header.Get(delivery.Header), secret.Load().(string), body, time.Time{}, 0) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		got <- body
	}))
	defer rcv.Close()

	bin := buildAgentmock(t)
	db := filepath.Join(t.TempDir(), "agentmock.db")
	// Calls that ring for an hour: the only event is the call's dialing.
	p := startProcess(t, bin, db, nil, "--call-ring", "1h")
	c := &http.Client{Timeout: 5 * time.Second}
	wh := p.diga(c, "POST", "/v1/webhook/", map[string]any{"url": rcv.URL, "subscribed_events": []string{"status_changed"}}).must(t, http.StatusOK)
	secret.Store(wh["secret"].(string))
	v := p.diga(c, "POST", "/v1/agent/11111111-1111-4111-8111-111111111111/version", map[string]any{"version_name": "calls"}).must(t, http.StatusCreated)
	p.diga(c, "PATCH", "/v1/phone/e7d6c5b4-a392-4817-8615-243342516001", map[string]any{"outbound_version_id": v["version_id"]}).must(t, http.StatusOK)
	call := p.diga(c, "POST", "/v1/call/", map[string]any{"from_number": "+34910000001", "to_number": "+34600123456"}).must(t, http.StatusCreated)

	// Refused at least once, so it waits in the outbox.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call2(c, p.digaURL+"/_mock/deliveries?state=pending")
		var out struct {
			Items []struct {
				Attempts []any `json:"attempts"`
			} `json:"items"`
		}
		require.NoError(t, json.Unmarshal(r.body, &out))
		if len(out.Items) == 1 && len(out.Items[0].Attempts) > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the delivery was never attempted: %s", r.body)
		time.Sleep(20 * time.Millisecond) // another process's progress: polled
	}
	p.kill(t)

	accept.Store(true)
	p2 := startProcess(t, bin, db, nil, "--call-ring", "1h")
	defer p2.terminate(t)
	select {
	case body := <-got:
		var ev delivery.Event
		require.NoError(t, json.Unmarshal(body, &ev))
		var data map[string]any
		require.NoError(t, json.Unmarshal(ev.Data, &data))
		assert.Equal(t, call["id"], data["id"])
		assert.Equal(t, "dialing", data["status"])
	case <-time.After(15 * time.Second):
		t.Fatalf("the delivery was lost across SIGKILL; logs:\n%s", p2.logs.String())
	}
}

func call2(c *http.Client, url string) result { return call(c, http.MethodGet, url, "X-None", "", nil) }
