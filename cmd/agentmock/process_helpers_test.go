package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/require"
)

// buildAgentmock builds the command into a temporary directory, as
// TestProcessLifecycle does, and returns the binary's path.
func buildAgentmock(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "agentmock")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// mockProcess is one running agentmock binary.
type mockProcess struct {
	cmd            *exec.Cmd
	logs           *lockedBuffer
	digaURL, itURL string
	exited         chan struct{}
	exitErr        error // set before exited is closed
}

// startProcess runs bin on db with fresh loopback ports and waits until both
// providers answer /_mock/health (which needs the database open). Extra
// arguments go after the defaults; setup, when given, may change the command
// before it starts.
func startProcess(t *testing.T, bin, db string, setup func(*exec.Cmd), extra ...string) *mockProcess {
	t.Helper()
	diga, itl := freeAddrs(t)
	args := append([]string{"serve", "--db", db, "--diga-addr", diga, "--itellico-addr", itl}, extra...)
	p := &mockProcess{
		cmd:     exec.Command(bin, args...),
		logs:    &lockedBuffer{},
		digaURL: "http://" + diga,
		itURL:   "http://" + itl,
		exited:  make(chan struct{}),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if setup != nil {
		setup(p.cmd)
	}
	require.NoError(t, p.cmd.Start())
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for _, base := range []string{p.digaURL, p.itURL} {
		for {
			res, err := http.Get(base + "/_mock/health")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-p.exited:
				t.Fatalf("agentmock exited before it was healthy (%v): %s", p.exitErr, p.logs.String())
			default:
			}
			require.True(t, time.Now().Before(deadline), "agentmock not healthy after 15 s: %s", p.logs.String())
			time.Sleep(5 * time.Millisecond)
		}
	}
	return p
}

// kill sends SIGKILL and waits until the process is gone (and its file
// lock released).
func (p *mockProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGKILL did not end agentmock")
	}
}

// terminate sends SIGTERM and returns how the process exited.
func (p *mockProcess) terminate(t *testing.T) error {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	return p.terminateWait(t)
}

// terminateWait waits for a process already sent SIGTERM.
func (p *mockProcess) terminateWait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.exitErr
	case <-time.After(15 * time.Second):
		t.Fatalf("SIGTERM did not stop agentmock: %s", p.logs.String())
		return nil
	}
}

// call is one HTTP exchange with a running process. It never fails the
// test, so goroutines may use it; a body that breaks off is an error.
func call(c *http.Client, method, url, header, key string, body any) result {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return result{err: err}
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return result{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if header == "Authorization" {
		key = "Bearer " + key
	}
	req.Header.Set(header, key)
	res, err := c.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return result{status: res.StatusCode, err: fmt.Errorf("reading the body: %w", err)}
	}
	return result{status: res.StatusCode, body: raw}
}

// result is one answer, or the error that stood for it.
type result struct {
	status int
	body   []byte
	err    error
}

// diga and itellico send one request with the fixtures' default keys. They
// never fail the test, so goroutines may use them.
func (p *mockProcess) diga(c *http.Client, method, path string, body any) result {
	return call(c, method, p.digaURL+path, "Authorization", "sk-diga-demo", body)
}

func (p *mockProcess) itellico(c *http.Client, method, path string, body any) result {
	return call(c, method, p.itURL+path, "X-API-Key", "itl-demo", body)
}

// must requires the status and decodes the answer.
func (r result) must(t *testing.T, want int) map[string]any {
	t.Helper()
	require.NoError(t, r.err)
	require.Equal(t, want, r.status, "body: %s", r.body)
	var m map[string]any
	if len(r.body) > 0 {
		require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	}
	return m
}

const (
	fixtureDigaAgent = "11111111-1111-4111-8111-111111111111"
	fixtureItlAgent  = "22222222-2222-4222-8222-222222222222"
	digaVoice        = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	itlAgentsPath    = "/v1/accounts/me/agents"
)

// itlCreateBody is the smallest valid itellico agent.
func itlCreateBody(name string) map[string]any {
	return map[string]any{
		"name":        name,
		"model":       map[string]any{"model": "gpt-5-mini", "provider": "azure_openai"},
		"transcriber": map[string]any{"provider": "deepgram"},
		"voice":       map[string]any{"voice_id": "pMsXgVXv3BLzUgSXRplE", "provider": "elevenlabs"},
	}
}

// checkDBFile checks a database file no process holds: bbolt's own check,
// and every collection's index against its documents.
func checkDBFile(t *testing.T, db string) store.VerifyReport {
	t.Helper()
	rep, errs := store.Verify(db)
	for _, err := range errs {
		t.Error(err)
	}
	require.Positive(t, rep.Docs)
	return rep
}
