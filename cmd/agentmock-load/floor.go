package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/store"
)

// The floor is what agentmock's answers cost with nothing of agentmock in
// them: the same HTTP server settings and router package, the request body
// read, and the bytes agentmock answered written back, with no validation,
// storage or encoding. agentmock's req/s as a share of the floor's says how
// much of the cost is agentmock's own; the rest is net/http, echo and the
// kernel, which no change to agentmock removes. It runs as a process of its
// own, as agentmock does, so that it has the cores to itself in the same way
// and the harness's clients do not share its runtime.
//
// The stored floor is the floor with a write behind each change: every
// request but a GET or HEAD stores the answer's bytes under its path
// through agentmock's store, in its group commit, with fsync on or off as
// agentmock runs, in a file that holds as many other records as agentmock
// holds agents. It decodes, merges, checks and journals nothing, so its
// share of the floor is what bbolt's commit alone leaves a persisted write
// on this host: a bound on agentmock's that no change to the handlers
// lifts.

// floorAnswer is what the floor answers every request with.
type floorAnswer struct {
	status int
	body   []byte
}

// floorHandler answers PUT /_floor, whose X-Floor-Status header and body
// become the answer, with 204, and every other request with the answer,
// stored first when st is not nil and the request is not a read.
func floorHandler(st *store.Store) http.Handler {
	// An atomic pointer, so that the hot handler takes no lock: the answer
	// changes only between measurements.
	var answer atomic.Pointer[floorAnswer]
	answer.Store(&floorAnswer{status: http.StatusServiceUnavailable, body: []byte(`{"error":"the floor has not been configured: PUT /_floor"}`)})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.PUT("/_floor", func(c echo.Context) error {
		status, err := strconv.Atoi(c.Request().Header.Get("X-Floor-Status"))
		if err != nil || status < 200 || status > 599 {
			return c.String(http.StatusBadRequest, "X-Floor-Status must be a status from 200 to 599\n")
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		answer.Store(&floorAnswer{status: status, body: body})
		return c.NoContent(http.StatusNoContent)
	})
	e.Any("/*", func(c echo.Context) error {
		// Read as agentmock reads it: the whole body, before answering.
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		a := answer.Load()
		if m := c.Request().Method; st != nil && m != http.MethodGet && m != http.MethodHead {
			if err := keep(c.Request().Context(), st, c.Request().URL.Path, a.body); err != nil {
				return err
			}
		}
		return mock.Blob(c, a.status, echo.MIMEApplicationJSON, a.body) // as agentmock answers, length and all
	})
	return e
}

const (
	floorCollection = "floor"
	floorTenant     = "t"
	// fillerBytes is about an agent's size as agentmock stores it.
	fillerBytes = 900
)

// keep stores doc under id, as a PATCH stores an agent: one write of the
// group commit.
func keep(ctx context.Context, st *store.Store, id string, doc []byte) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Update(floorCollection, floorTenant, id, func([]byte, *store.Meta) ([]byte, error) { return doc, nil })
		if errors.Is(err, store.ErrNotFound) {
			_, err = tx.Create(floorCollection, floorTenant, id, doc)
		}
		return err
	})
}

// fill stores n records under random ids, as agentmock's agents have
// (UUIDs), so that the stored floor's writes land in a tree of the size
// agentmock's do.
func fill(ctx context.Context, st *store.Store, n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	doc := bytes.Repeat([]byte("x"), fillerBytes)
	for done := 0; done < n; {
		// Drawn outside: a write function may run more than once.
		ids := make([]string, min(n-done, 10000))
		for i := range ids {
			ids[i] = fmt.Sprintf("filler-%016x-%d", rng.Uint64(), done+i)
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, id := range ids {
				if _, err := tx.Create(floorCollection, floorTenant, id, doc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill the stored floor: %w", err)
		}
		done += len(ids)
	}
	return nil
}

// floorStore is what the stored floor writes to: nil for the plain floor.
type floorStore struct {
	db      string
	fsync   bool
	records int
}

func (o *floorStore) args() []string {
	if o == nil {
		return nil
	}
	return []string{"-store", o.db, "-fsync=" + strconv.FormatBool(o.fsync), "-records", strconv.Itoa(o.records)}
}

// serveFloor is the process mode, -serve-floor ADDR [-store DB -fsync BOOL
// -records N]: it serves the floor on addr until ctx ends, as agentmock
// serves until SIGTERM; with -store, the stored floor.
func serveFloor(ctx context.Context, addr string, args []string) error {
	fs := flag.NewFlagSet("serve-floor", flag.ContinueOnError)
	db := fs.String("store", "", "bbolt file to store each write in (the stored floor)")
	fsync := fs.Bool("fsync", true, "fsync every commit")
	records := fs.Int("records", 0, "records to store before serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st *store.Store
	if *db != "" {
		var err error
		if st, err = store.Open(ctx, *db, store.Options{NoSync: !*fsync}); err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		defer st.Close()
		if err := fill(ctx, st, *records); err != nil {
			return err
		}
	}
	// agentmock runs its collector at GOGC=400 (cmd/agentmock's tuneGC):
	// the floor does too, so that the two differ in the work, not in how
	// often the heap is collected.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	srv := mock.HTTPServer(floorHandler(st), nil, 1) // agentmock's own timeouts
	srv.Addr = addr
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	select {
	case err := <-errs:
		return fmt.Errorf("floor: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// floorProcess is the floor running as this program's child.
type floorProcess struct {
	cmd    *exec.Cmd
	url    string
	client *http.Client
}

// startFloor runs this program again in floor mode on the port, storing
// each write as st says unless st is nil, and waits until it answers.
func startFloor(ctx context.Context, port int, st *floorStore) (*floorProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	addr := fmt.Sprint("127.0.0.1:", port)
	f := &floorProcess{
		cmd:    exec.Command(self, append([]string{"-serve-floor", addr}, st.args()...)...),
		url:    "http://" + addr,
		client: &http.Client{Timeout: 10 * time.Second},
	}
	f.cmd.Stderr = os.Stderr
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	t0 := time.Now()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/", nil)
		if err != nil {
			f.stop()
			return nil, err
		}
		res, err := f.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return f, nil
		}
		if ctx.Err() != nil || time.Since(t0) > 30*time.Second {
			f.stop()
			return nil, fmt.Errorf("the floor at %s did not answer: %w", f.url, errors.Join(err, ctx.Err()))
		}
		time.Sleep(time.Millisecond)
	}
}

// configure makes the floor answer status and body.
func (f *floorProcess) configure(ctx context.Context, status int, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.url+"/_floor", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Floor-Status", strconv.Itoa(status))
	res, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("configure the floor: %w", err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("configure the floor: %s: %s", res.Status, msg)
	}
	return nil
}

func (f *floorProcess) stop() {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	_ = f.cmd.Wait()
}

// answer makes the scenario's first request and returns agentmock's
// answer, for the floor to give.
func answer(ctx context.Context, s scenario) (int, []byte, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(s.request(0, 0).WithContext(ctx))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: the floor's answer: %w", s.name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: the floor's answer: %w", s.name, err)
	}
	return res.StatusCode, body, nil
}
