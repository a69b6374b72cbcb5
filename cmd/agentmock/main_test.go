package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsReadTheEnvironment(t *testing.T) {
	env := map[string]string{"AGENTMOCK_DIGA_ADDR": ":9999", "AGENTMOCK_FSYNC": "false", "AGENTMOCK_ALLOW_UNKNOWN_FIELDS": "1"}
	fs, o := flags(func(k string) string { return env[k] }, &bytes.Buffer{})
	require.NoError(t, fs.Parse(nil))
	assert.Equal(t, ":9999", *o.addrs["diga"])
	assert.Equal(t, ":4010", *o.addrs["itellico"])
	assert.False(t, o.fsync)
	assert.True(t, o.allowUnknown)
	require.NoError(t, fs.Parse([]string{"--diga-addr", ":1"}))
	assert.Equal(t, ":1", *o.addrs["diga"], "a flag beats its environment variable")
}

// TestOptionsReachTheServer checks the wiring from flags to the server's
// options, --control=false and the determinism flags among them.
func TestOptionsReachTheServer(t *testing.T) {
	fs, o := flags(func(k string) string {
		return map[string]string{"AGENTMOCK_SEED": "42"}[k]
	}, &bytes.Buffer{})
	require.NoError(t, fs.Parse([]string{"--control=false", "--clock", "2025-01-01T00:00:00Z", "--journal-size", "7",
		"--fsync=false", "--validate-responses=false", "--db", "x.db", "--fixtures", "fx", "--diga-spec", "d.json", "--itellico-spec", "i.yaml"}))
	mo, err := o.mockOptions(nil)
	require.NoError(t, err)
	assert.True(t, mo.NoControl)
	assert.Equal(t, uint64(42), mo.Seed)
	assert.Equal(t, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), mo.Clock)
	assert.Equal(t, 7, mo.JournalSize)
	assert.True(t, mo.NoSync)
	assert.True(t, mo.SkipResponseValidation)
	assert.Equal(t, []string{"x.db", "fx", "d.json", "i.yaml"}, []string{mo.DB, mo.FixturesDir, mo.Specs["diga"], mo.Specs["itellico"]})

	fs, o = flags(func(string) string { return "" }, &bytes.Buffer{})
	require.NoError(t, fs.Parse([]string{"--strict"}))
	mo, err = o.mockOptions(nil)
	require.NoError(t, err)
	assert.True(t, mo.Strict, "--strict reaches the server")
	assert.False(t, mo.AllowUnknownFields)

	for _, bad := range [][]string{{"--clock", "yesterday"}, {"--journal-size", "0"}} {
		fs, o := flags(func(string) string { return "" }, &bytes.Buffer{})
		require.NoError(t, fs.Parse(bad))
		_, err := o.mockOptions(nil)
		assert.Error(t, err, "%v", bad)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	none := func(string) string { return "" }
	bad := func(k string) string {
		return map[string]string{"AGENTMOCK_JOURNAL_SIZE": "lots", "AGENTMOCK_FSYNC": "maybe"}[k]
	}
	err := run(context.Background(), nil, bad, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err, "a bad environment value is an error, not a silent default")
	assert.Contains(t, err.Error(), `AGENTMOCK_JOURNAL_SIZE="lots"`)
	assert.Contains(t, err.Error(), `AGENTMOCK_FSYNC="maybe"`)
	assert.Error(t, run(context.Background(), []string{"--log-format", "xml"}, none, &bytes.Buffer{}, &bytes.Buffer{}))
	assert.Error(t, run(context.Background(), []string{"extra"}, none, &bytes.Buffer{}, &bytes.Buffer{}))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// freeAddrs returns two distinct free loopback addresses: both listeners are
// held open until both are known, so the kernel cannot hand out one twice.
func freeAddrs(t *testing.T) (string, string) {
	t.Helper()
	a, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer a.Close()
	b, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer b.Close()
	return a.Addr().String(), b.Addr().String()
}

// TestProcessLifecycle runs the real binary: it serves, a second process on
// the same database gives up quickly and says why, and SIGTERM ends the
// first one cleanly.
func TestProcessLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildAgentmock(t)
	db := filepath.Join(t.TempDir(), "a.db")
	p := startProcess(t, bin, db, nil, "--log-format", "json")
	p.diga(http.DefaultClient, "GET", "/v1/voice/", nil).must(t, http.StatusOK)

	start := time.Now()
	a2, b2 := freeAddrs(t)
	second := exec.Command(bin, "--db", db, "--diga-addr", a2, "--itellico-addr", b2)
	msg, err := second.CombinedOutput()
	require.Error(t, err, "a second process on the same database must fail")
	assert.Less(t, time.Since(start), 2*time.Second, "the issue asks for a clear failure within 2 s")
	assert.Contains(t, string(msg), "in use by another process")

	require.NoError(t, p.terminate(t), "logs: %s", p.logs.String())
	logs := p.logs.String()
	assert.Contains(t, logs, `"base_url":"`+p.digaURL+`"`)
	assert.Contains(t, logs, `"default_key":"sk-diga-demo"`)
	assert.Contains(t, logs, strconv.Quote("shutting down: draining requests"))
	assert.Contains(t, logs, strconv.Quote("database closed"))
}

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTuneGC: the collector's defaults apply unless the environment sets
// its own.
func TestTuneGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"defaults", nil, 400, gcMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "50"}, 100, gcMemoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, math.MaxInt64},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, 100, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			tuneGC(func(k string) string { return tc.env[k] })
			assert.Equal(t, tc.wantPercent, debug.SetGCPercent(100))
			assert.Equal(t, tc.wantLimit, debug.SetMemoryLimit(-1))
		})
	}
}

// TestStartFailsCleanly: a port in use is an error before the database is
// created, a flag error is one line with a hint, and help and version
// answer without serving.
func TestStartFailsCleanly(t *testing.T) {
	none := func(string) string { return "" }
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	db := filepath.Join(t.TempDir(), "never.db")
	err = run(context.Background(), []string{"--db", db, "--diga-addr", freeAddr(t), "--itellico-addr", busy.Addr().String()}, none, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "itellico")
	assert.NoFileExists(t, db, "a start that fails leaves no database behind")

	var stderr bytes.Buffer
	err = run(context.Background(), []string{"--no-such-flag"}, none, io.Discard, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agentmock help")
	assert.Empty(t, stderr.String(), "a flag error is one line, not the whole usage")

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"help"}, none, &out, io.Discard))
	for _, sub := range []string{"mock DOCUMENT", "routes", "contract", "healthcheck", "version", "-diga-addr", "-itellico-spec"} {
		assert.Contains(t, out.String(), sub)
	}
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"version"}, none, &out, io.Discard))
	assert.True(t, strings.HasPrefix(out.String(), "agentmock "), out.String())
}

// TestPprofServesOnItsOwnListener: --pprof serves the profiles on its own
// address, not on the APIs' ports, and closes with the rest; a busy --pprof
// address fails the start before the database is created.
func TestPprofServesOnItsOwnListener(t *testing.T) {
	none := func(string) string { return "" }
	dir := t.TempDir()
	diga, itl := freeAddrs(t)
	prof := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		done <- run(ctx, []string{"--db", filepath.Join(dir, "a.db"), "--fsync=false", "--diga-addr", diga,
			"--itellico-addr", itl, "--pprof", prof, "--log-format", "json"}, none, io.Discard, logs)
	}()
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	require.Eventually(t, func() bool {
		code, _ := get("http://" + diga + "/_mock/health")
		return code == http.StatusOK
	}, 15*time.Second, 20*time.Millisecond, "%s", logs)

	code, body := get("http://" + prof + "/debug/pprof/cmdline")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, strings.Join(os.Args, "\x00"), body, "the cmdline handler answers with the process's arguments")
	code, _ = get("http://" + prof + "/debug/pprof/goroutine?debug=1")
	assert.Equal(t, http.StatusOK, code, "the named profiles are served too")
	code, _ = get("http://" + diga + "/debug/pprof/cmdline")
	assert.NotEqual(t, http.StatusOK, code, "the profiles are not on the API's port")
	assert.Contains(t, logs.String(), `"url":"http://`+prof+`/debug/pprof/"`)

	cancel()
	require.NoError(t, <-done, logs.String())
	_, err := net.Dial("tcp", prof)
	assert.Error(t, err, "the profiles' listener closes with the server")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	a, b := freeAddrs(t)
	db := filepath.Join(dir, "never.db")
	err = run(context.Background(), []string{"--db", db, "--diga-addr", a, "--itellico-addr", b, "--pprof", busy.Addr().String()}, none, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--pprof")
	assert.NoFileExists(t, db, "a start that fails leaves no database behind")
}
