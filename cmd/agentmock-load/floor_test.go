package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agentmock/agentmock/contracttests"
	"github.com/agentmock/agentmock/store"
)

// TestFloorAnswersWhatItIsGiven: once configured, the floor answers any
// request, body and all, with exactly the status and bytes it was given.
func TestFloorAnswersWhatItIsGiven(t *testing.T) {
	srv := httptest.NewServer(floorHandler(nil))
	t.Cleanup(srv.Close)
	f := &floorProcess{url: srv.URL, client: srv.Client()}
	ctx := context.Background()

	res, err := http.Get(srv.URL + "/v1/agent/x")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "an unconfigured floor says so rather than answer made-up bytes")

	want := `{"detail":[{"loc":["body","max_reminder_count"],"msg":"Input should be greater than or equal to 0"}]}` + "\n"
	require.NoError(t, f.configure(ctx, http.StatusUnprocessableEntity, []byte(want)))
	s := scenario{
		name: "test", target: contracttests.Target{BaseURL: srv.URL, Header: "X-API-Key", Value: "k"},
		method: "PATCH", paths: []string{"/v1/agent/a"}, body: `{"max_reminder_count":-1,"name":"load {n}"}`,
	}
	for i := range 3 {
		res, err := srv.Client().Do(s.request(0, i))
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		assert.Equal(t, want, string(body), "the configured bytes, exactly")
	}

	// answer takes what a server gave the scenario's first request, for
	// configure: here the floor's own.
	status, body, err := answer(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, want, string(body))

	require.NoError(t, f.configure(ctx, http.StatusOK, nil))
	res, err = http.Get(srv.URL + "/v1/accounts/me/agents?limit=100")
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "a new configuration replaces the old")
	assert.Empty(t, body)

	for _, bad := range []string{"", "ok", "99", "600"} {
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/_floor", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("X-Floor-Status", bad)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "X-Floor-Status %q", bad)
	}
	assert.Error(t, f.configure(ctx, 700, nil))
}

// TestMain lets the test binary be the floor's process, as startFloor runs
// the command's own binary: os.Executable is the test binary here.
func TestMain(m *testing.M) {
	if len(os.Args) >= 3 && os.Args[1] == "-serve-floor" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := run(ctx, os.Args[1:], io.Discard); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// TestFloorProcess starts the floor as its own process, as measure does,
// configures it, and stops it with SIGTERM.
func TestFloorProcess(t *testing.T) {
	ports, err := freePortList(1)
	require.NoError(t, err)
	ctx := context.Background()
	f, err := startFloor(ctx, ports[0], nil)
	require.NoError(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			f.stop()
		}
	})
	require.NoError(t, f.configure(ctx, http.StatusCreated, []byte(`{"agent_id":"a"}`)))
	res, err := http.Post(f.url+"/v1/agent/", "application/json", strings.NewReader(`{"name":"x"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, `{"agent_id":"a"}`, string(body))

	f.stop()
	stopped = true
	assert.True(t, f.cmd.ProcessState.Success(), "SIGTERM ends the floor cleanly: %v", f.cmd.ProcessState)
}

// TestStoredFloorStoresEachWrite: the stored floor answers as the floor
// does, and has stored each write's answer under its path, reads storing
// nothing, beside the filler records it was started with. It runs as its
// own process, as measure runs it, and what it stored is read back from its
// file once it has stopped.
func TestStoredFloorStoresEachWrite(t *testing.T) {
	ports, err := freePortList(1)
	require.NoError(t, err)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "floor.db")
	f, err := startFloor(ctx, ports[0], &floorStore{db: db, fsync: true, records: 25})
	require.NoError(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			f.stop()
		}
	})
	for i, want := range []string{`{"agent_id":"a","name":"one"}`, `{"agent_id":"a","name":"two"}`} {
		require.NoError(t, f.configure(ctx, http.StatusOK, []byte(want)))
		req, err := http.NewRequest(http.MethodPatch, f.url+"/v1/agent/a", strings.NewReader(fmt.Sprintf(`{"name":"%d"}`, i)))
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, want, string(body))
	}
	res, err := http.Get(f.url + "/v1/agent/b")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	f.stop()
	stopped = true
	require.True(t, f.cmd.ProcessState.Success(), "SIGTERM ends the stored floor cleanly: %v", f.cmd.ProcessState)

	st, err := store.Open(ctx, db, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	rec, err := st.Get(ctx, floorCollection, floorTenant, "/v1/agent/a")
	require.NoError(t, err)
	assert.JSONEq(t, `{"agent_id":"a","name":"two"}`, string(rec.Doc), "the last write's answer, stored")
	_, err = st.Get(ctx, floorCollection, floorTenant, "/v1/agent/b")
	assert.ErrorIs(t, err, store.ErrNotFound, "a GET stores nothing")
	page, err := st.List(ctx, floorCollection, floorTenant, store.Query{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Records, 26, "25 filler records and the one written")
	assert.Len(t, page.Records[0].Doc, fillerBytes)
}

func TestMedianRoundIsTheMedianRatio(t *testing.T) {
	row := func(ours, floor float64, prof string) summaryRow {
		return summaryRow{name: "s", ours: result{rps: ours}, floor: &result{rps: floor}, profile: prof}
	}
	got := medianRound([]summaryRow{row(50, 100, "first"), row(90, 100, ""), row(30, 40, "")})
	assert.InDelta(t, 30, got.ours.rps, 0.001, "ratios 0.5, 0.9 and 0.75: the median is 0.75's round")
	assert.Equal(t, "first", got.profile, "the profile is the first round's")
	single := medianRound([]summaryRow{{name: "s", ours: result{rps: 7}}})
	assert.InDelta(t, 7, single.ours.rps, 0.001)
}

// TestSummaryGivesRatiosFirst: the table the README takes, with and without
// a floor and a profile.
func TestSummaryGivesRatiosFirst(t *testing.T) {
	var out strings.Builder
	printSummary(&out, []summaryRow{
		{name: "diga: GET an agent", ours: result{rps: 14615.4, p99: 16300 * time.Microsecond, cpu: 69 * time.Microsecond},
			floor: &result{rps: 31505, p99: 8200 * time.Microsecond, cpu: 35400 * time.Nanosecond}, profile: "syscalls 33% · other 67%"},
		{name: "diga: valid PATCH, persisted", ours: result{rps: 6301, p99: 21 * time.Millisecond, cpu: 181 * time.Microsecond},
			floor:  &result{rps: 30000, p99: 9 * time.Millisecond, cpu: 36 * time.Microsecond},
			stored: &result{rps: 9000, p99: 12 * time.Millisecond, cpu: 100 * time.Microsecond}},
		{name: "diga: list", ours: result{rps: 950, p99: 45 * time.Millisecond}},
	}, 64)
	assert.Equal(t, `
summary at 64 clients:

| scenario | % of floor req/s | stored floor, % of floor | agentmock req/s | p99 | floor req/s | p99 | CPU per request: agentmock, floor | CPU profile (% of samples) |
|---|---|---|---|---|---|---|---|---|
| diga: GET an agent | 46% | – | 14,615 | 16.3 ms | 31,505 | 8.2 ms | 69 µs, 35 µs | syscalls 33% · other 67% |
| diga: valid PATCH, persisted | 21% | 30%, p99 12.0 ms | 6,301 | 21.0 ms | 30,000 | 9.0 ms | 181 µs, 36 µs | – |
| diga: list | – | – | 950 | 45.0 ms | – | – | – | – |
`, out.String())
	out.Reset()
	printSummary(&out, nil, 64)
	assert.Empty(t, out.String(), "nothing measured, no table")
}
