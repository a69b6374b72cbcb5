package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second process on the same database is TestProcessLifecycle's check.

// TestSIGTERMDrainsInFlightRequests slows requests down with the fault API,
// sends SIGTERM while they are in flight, and checks that each still gets
// its 200, that the process exits 0, and that the database reopens with the
// in-flight writes in it.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	testenv.Slow(t)
	bin := buildAgentmock(t)
	db := filepath.Join(t.TempDir(), "drain.db")
	p := startProcess(t, bin, db, nil, "--log-format", "json")
	const delay = 500 * time.Millisecond

	for _, f := range []struct{ base, method, path string }{
		{p.digaURL, "GET", "/v1/agent/{agent_id}"},
		{p.itURL, "PATCH", "/v1/accounts/{account_id}/agents/{agent_id}"},
	} {
		body := fmt.Sprintf(`{"method":%q,"path":%q,"delay_ms":%d}`, f.method, f.path, delay.Milliseconds())
		res, err := http.Post(f.base+"/_mock/faults", "application/json", bytes.NewReader([]byte(body)))
		require.NoError(t, err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusCreated, res.StatusCode, "%s", raw)
	}

	type flight struct {
		name     string
		req      *http.Request
		status   int
		body     []byte
		fault    string
		err      error
		finished time.Time
	}
	var flights []*flight
	for i := range 4 {
		req, err := http.NewRequest("GET", p.digaURL+"/v1/agent/"+fixtureDigaAgent, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer sk-diga-demo")
		flights = append(flights, &flight{name: "diga GET " + strconv.Itoa(i), req: req})
	}
	for i := range 2 {
		body := fmt.Sprintf(`{"metadata":{"drain%d":%d}}`, i, i)
		req, err := http.NewRequest("PATCH", p.itURL+itlAgentsPath+"/"+fixtureItlAgent, bytes.NewReader([]byte(body)))
		require.NoError(t, err)
		req.Header.Set("X-API-Key", "itl-demo")
		req.Header.Set("Content-Type", "application/json")
		flights = append(flights, &flight{name: "itellico PATCH " + strconv.Itoa(i), req: req})
	}

	// Every request is on the wire before the signal.
	var written sync.WaitGroup
	var done sync.WaitGroup
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{}}
	began := time.Now()
	for _, f := range flights {
		written.Add(1)
		var once sync.Once
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(written.Done) }}
		f.req = f.req.WithContext(httptrace.WithClientTrace(f.req.Context(), trace))
		done.Go(func() {
			res, err := client.Do(f.req)
			if err != nil {
				f.err = err
				once.Do(written.Done)
				return
			}
			defer res.Body.Close()
			f.body, f.err = io.ReadAll(res.Body)
			f.status, f.fault, f.finished = res.StatusCode, res.Header.Get("X-Agentmock-Fault"), time.Now()
		})
	}
	written.Wait()
	time.Sleep(50 * time.Millisecond) // the server has read them: they wait in the fault's delay
	signalled := time.Now()
	require.Less(t, signalled.Sub(began), delay, "the requests were not in flight when the signal went")
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	done.Wait()
	exit := p.terminateWait(t)

	for _, f := range flights {
		require.NoError(t, f.err, f.name)
		assert.Equal(t, http.StatusOK, f.status, "%s: %s", f.name, f.body)
		assert.NotEmpty(t, f.fault, "%s was slowed by the fault rule", f.name)
		assert.True(t, f.finished.After(signalled), "%s finished after SIGTERM", f.name)
		assert.GreaterOrEqual(t, f.finished.Sub(began), delay, f.name)
	}
	require.NoError(t, exit, "exit status after draining: %s", p.logs.String())
	assert.Contains(t, p.logs.String(), strconv.Quote("shutting down: draining requests"))
	assert.Contains(t, p.logs.String(), strconv.Quote("database closed"), "the database is closed, not left to the exit")
	assert.NotContains(t, p.logs.String(), "panic")

	// The database reopens cleanly and holds what the drained PATCHes wrote.
	q := startProcess(t, bin, db, nil)
	c := &http.Client{Timeout: 5 * time.Second}
	q.diga(c, "GET", "/v1/agent/"+fixtureDigaAgent, nil).must(t, http.StatusOK)
	m := q.itellico(c, "GET", itlAgentsPath+"/"+fixtureItlAgent, nil).must(t, http.StatusOK)
	meta, _ := m["metadata"].(map[string]any)
	assert.Equal(t, json.Number("0"), number(meta["drain0"]))
	assert.Equal(t, json.Number("1"), number(meta["drain1"]))
	require.NoError(t, q.terminate(t), "%s", q.logs.String())
	checkDBFile(t, db)
}

// number shows a decoded JSON number the way it was sent.
func number(v any) json.Number {
	if f, ok := v.(float64); ok {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return json.Number(fmt.Sprint(v))
}
