//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storageFault makes the database's writes fail while the server runs, and
// repairs it.
type storageFault struct {
	name string
	// dir returns the directory the database goes in, or skips.
	dir func(t *testing.T) string
	// inject and repair act on the running process and its database.
	inject, repair func(t *testing.T, p *mockProcess, db string)
	// logged is what the server's log line says about the failed write.
	logged string
}

// TestStorageFailuresAnswer5xx makes writes fail under a running server
// (the file may not grow, the disk is full, the file became read-only) and
// checks that a write is answered with a 500 in the provider's error shape
// and logged, that the server keeps serving reads and neither panics nor
// exits, that the failed write left nothing behind, that writes work again
// once the fault is gone, and that the database reopens after SIGTERM.
func TestStorageFailuresAnswer5xx(t *testing.T) {
	testenv.Slow(t)
	bin := buildAgentmock(t)
	faults := []storageFault{
		{
			// RLIMIT_FSIZE is what a full disk looks like to bbolt when the
			// file must grow: the truncate fails with EFBIG (Go ignores
			// SIGXFSZ). Needs no privilege: the soft limit is lowered and
			// raised again under the unchanged hard limit.
			name: "file size limit",
			dir:  func(t *testing.T) string { return t.TempDir() },
			inject: func(t *testing.T, p *mockProcess, db string) {
				fi, err := os.Stat(db)
				require.NoError(t, err)
				setFileSizeLimit(t, p.cmd.Process.Pid, uint64(fi.Size()))
			},
			repair: func(t *testing.T, p *mockProcess, _ string) { setFileSizeLimit(t, p.cmd.Process.Pid, math.MaxUint64) },
			logged: "file too large",
		},
		{
			// A real full disk: a small tmpfs filled up (needs mount
			// privileges, skipped without them).
			name:   "full tmpfs",
			dir:    smallTmpfs,
			inject: func(t *testing.T, _ *mockProcess, db string) { fillDisk(t, filepath.Join(filepath.Dir(db), "filler")) },
			repair: func(t *testing.T, _ *mockProcess, db string) {
				require.NoError(t, os.Remove(filepath.Join(filepath.Dir(db), "filler")))
			},
			logged: "no space left on device",
		},
		{
			// The file turns read-only under the open database: chmod does
			// not stop an open descriptor (nor root), the immutable flag
			// does. Skipped where chattr is missing or not allowed.
			name: "immutable file",
			dir:  func(t *testing.T) string { return t.TempDir() },
			inject: func(t *testing.T, _ *mockProcess, db string) {
				out, err := exec.Command("chattr", "+i", db).CombinedOutput()
				if err != nil {
					t.Skipf("chattr +i: %v %s", err, out)
				}
				t.Cleanup(func() { _ = exec.Command("chattr", "-i", db).Run() })
			},
			repair: func(t *testing.T, _ *mockProcess, db string) {
				out, err := exec.Command("chattr", "-i", db).CombinedOutput()
				require.NoError(t, err, "%s", out)
			},
			logged: "operation not permitted",
		},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) { testStorageFault(t, bin, f) })
	}
}

func testStorageFault(t *testing.T, bin string, f storageFault) {
	db := filepath.Join(f.dir(t), "agentmock.db")
	p := startProcess(t, bin, db, nil)
	c := &http.Client{Timeout: 10 * time.Second}
	big := strings.Repeat("x", 300<<10) // more than the file has free
	itlPatch := map[string]any{"metadata": map[string]any{"big": big}}
	digaPatch := map[string]any{"prompt": big}
	before := p.itellico(c, "GET", itlAgentsPath+"/"+fixtureItlAgent, nil).must(t, http.StatusOK)
	beforeDiga := p.diga(c, "GET", "/v1/agent/"+fixtureDigaAgent, nil).must(t, http.StatusOK)

	f.inject(t, p, db)

	itl := p.itellico(c, "PATCH", itlAgentsPath+"/"+fixtureItlAgent, itlPatch)
	require.NoError(t, itl.err)
	assert.Equal(t, http.StatusInternalServerError, itl.status, "%s", itl.body)
	assertShape(t, itl.body, map[string]any{"code": "internal_error"}, "code", "message")
	diga := p.diga(c, "PATCH", "/v1/agent/"+fixtureDigaAgent, digaPatch)
	require.NoError(t, diga.err)
	assert.Equal(t, http.StatusInternalServerError, diga.status, "%s", diga.body)
	assertShape(t, diga.body, map[string]any{"status": "error", "error_code": "INTERNAL_SERVER_ERROR"}, "status", "error_code", "message")
	for _, body := range [][]byte{itl.body, diga.body} {
		assert.Contains(t, string(body), "agentmock could not write the database: ", "the message says what failed")
	}

	// Still up, still reading, and the failed writes left nothing behind.
	select {
	case <-p.exited:
		t.Fatalf("agentmock exited (%v): %s", p.exitErr, p.logs.String())
	default:
	}
	assert.Equal(t, before, p.itellico(c, "GET", itlAgentsPath+"/"+fixtureItlAgent, nil).must(t, http.StatusOK))
	assert.Equal(t, beforeDiga, p.diga(c, "GET", "/v1/agent/"+fixtureDigaAgent, nil).must(t, http.StatusOK))
	logs := p.logs.String()
	assert.Contains(t, logs, `level=ERROR msg="request failed" provider=itellico method=PATCH`)
	assert.Contains(t, logs, `level=ERROR msg="request failed" provider=diga method=PATCH`)
	assert.Contains(t, logs, f.logged)
	assert.NotContains(t, logs, "panic")

	f.repair(t, p, db)
	m := p.itellico(c, "PATCH", itlAgentsPath+"/"+fixtureItlAgent, itlPatch).must(t, http.StatusOK)
	assert.Equal(t, big, m["metadata"].(map[string]any)["big"])
	p.diga(c, "PATCH", "/v1/agent/"+fixtureDigaAgent, digaPatch).must(t, http.StatusOK)
	require.NoError(t, p.terminate(t), "%s", p.logs.String())

	q := startProcess(t, bin, db, nil)
	m = q.itellico(c, "GET", itlAgentsPath+"/"+fixtureItlAgent, nil).must(t, http.StatusOK)
	assert.Equal(t, big, m["metadata"].(map[string]any)["big"])
	m = q.diga(c, "GET", "/v1/agent/"+fixtureDigaAgent, nil).must(t, http.StatusOK)
	assert.Equal(t, big, m["prompt"])
	require.NoError(t, q.terminate(t), "%s", q.logs.String())
	checkDBFile(t, db)
	t.Logf("%s: itellico %d %s, Diga %d %s; logged: %s", f.name, itl.status, itl.body, diga.status, diga.body, lastLine(logs, "request failed"))
}

// assertShape checks an error body's members: exactly keys, with want's
// values and a non-empty message.
func assertShape(t *testing.T, body []byte, want map[string]any, keys ...string) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "%s", body)
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	assert.ElementsMatch(t, keys, got, "%s", body)
	for k, v := range want {
		assert.Equal(t, v, m[k], k)
	}
	assert.NotEmpty(t, m["message"])
}

func lastLine(logs, needle string) string {
	lines := strings.Split(logs, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], needle) {
			return lines[i]
		}
	}
	return ""
}

// setFileSizeLimit sets a process's soft RLIMIT_FSIZE, keeping its hard one.
func setFileSizeLimit(t *testing.T, pid int, soft uint64) {
	t.Helper()
	var lim syscall.Rlimit
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, 0, uintptr(unsafe.Pointer(&lim)), 0, 0)
	require.Zero(t, e, "prlimit: %v", e)
	if soft > lim.Max {
		soft = lim.Max
	}
	lim.Cur = soft
	_, _, e = syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	require.Zero(t, e, "prlimit: %v", e)
}

// smallTmpfs mounts a 4 MiB tmpfs for the test, or skips without the
// privilege.
func smallTmpfs(t *testing.T) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fillDisk writes file until its file system is full.
func fillDisk(t *testing.T, file string) {
	t.Helper()
	f, err := os.Create(file)
	require.NoError(t, err)
	defer f.Close()
	for _, size := range []int{64 << 10, 4 << 10, 1} {
		chunk := make([]byte, size)
		for {
			if _, err = f.Write(chunk); err != nil {
				break
			}
		}
		require.ErrorIs(t, err, syscall.ENOSPC)
	}
}

// TestReadOnlyDatabaseFailsToStart starts the server on a database it may
// not write: it exits 1 within a few seconds with a message naming the file
// and the reason, and no panic. Permission bits do not bind root, so as root
// the server runs as nobody (skipped where that is not allowed).
func TestReadOnlyDatabaseFailsToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildAgentmock(t)
	asUser := func(cmd *exec.Cmd) {}
	if os.Geteuid() == 0 {
		asUser = func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		// nobody must reach the binary.
		for dir := filepath.Dir(bin); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
			require.NoError(t, os.Chmod(dir, 0o755))
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T) string // returns the database path
	}{
		{"read-only file", func(t *testing.T) string {
			dir := openDir(t)
			db := filepath.Join(dir, "agentmock.db")
			require.NoError(t, startProcess(t, bin, db, nil).terminate(t))
			require.NoError(t, os.Chmod(db, 0o444))
			return db
		}},
		{"read-only directory, new file", func(t *testing.T) string {
			dir := openDir(t)
			require.NoError(t, os.Chmod(dir, 0o555))
			return filepath.Join(dir, "agentmock.db")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.setup(t)
			a, b := freeAddrs(t)
			cmd := exec.Command(bin, "--db", db, "--diga-addr", a, "--itellico-addr", b)
			asUser(cmd)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				assert.Equal(t, 1, exit.ExitCode(), "%s", out)
			} else if err != nil {
				t.Skipf("cannot run the server as another user: %v", err)
			} else {
				t.Fatalf("the server ran on a read-only database: %s", out)
			}
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Contains(t, string(out), "agentmock: store: open "+db)
			assert.Contains(t, string(out), "permission denied")
			assert.NotContains(t, string(out), "panic")
			t.Logf("%s: exit 1 after %s: %s", tc.name, time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))
		})
	}
}

// openDir is a temporary directory anyone may enter.
func openDir(t *testing.T) string {
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	return dir
}
