package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
)

// The floor is what agentmock's answers cost with nothing of agentmock in
// them: the same HTTP server settings and router package, the request body
// read, and the bytes agentmock answered written back, with no validation,
// storage or encoding. agentmock's req/s as a share of the floor's says how
// much of the cost is agentmock's own; the rest is net/http, echo and the
// kernel, which no change to agentmock removes. It runs as a process of its
// own, as agentmock does, so that it has the cores to itself in the same way
// and the harness's clients do not share its runtime.

// floorAnswer is what the floor answers every request with.
type floorAnswer struct {
	status int
	body   []byte
}

// floorHandler answers PUT /_floor, whose X-Floor-Status header and body
// become the answer, with 204, and every other request with the answer.
func floorHandler() http.Handler {
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
		return mock.Blob(c, a.status, echo.MIMEApplicationJSON, a.body) // as agentmock answers, length and all
	})
	return e
}

// serveFloor is the process mode, -serve-floor ADDR: it serves the floor on
// addr until ctx ends, as agentmock serves until SIGTERM.
func serveFloor(ctx context.Context, addr string) error {
	// agentmock runs its collector at GOGC=400 (cmd/agentmock's tuneGC):
	// the floor does too, so that the two differ in the work, not in how
	// often the heap is collected.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	srv := mock.HTTPServer(floorHandler(), nil, 1) // agentmock's own timeouts
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

// startFloor runs this program again in floor mode on the port, and waits
// until it answers.
func startFloor(ctx context.Context, port int) (*floorProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	addr := fmt.Sprint("127.0.0.1:", port)
	f := &floorProcess{
		cmd:    exec.Command(self, "-serve-floor", addr),
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
