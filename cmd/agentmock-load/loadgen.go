package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A loadgen runs n closed-loop clients of one scenario for d.
type loadgen interface {
	name() string
	drive(ctx context.Context, n int, d time.Duration, s scenario) (result, error)
}

// findLoadgen picks the load generator. wrk is the default: a Go client in
// this process costs as much CPU per request as the server, on the same two
// cores, and measured agentmock's PATCH at half its rate with a p99 set by
// the client's own scheduling (an invalid PATCH, which never touches the
// store, had the same p99). When wrk is missing and apt-get can install it,
// it is installed.
func findLoadgen(ctx context.Context, want, dir string, out io.Writer) (loadgen, error) {
	if want == "go" {
		return goLoad{}, nil
	}
	if want != "auto" && want != "wrk" {
		return nil, fmt.Errorf("-loadgen: %q is not auto, wrk or go", want)
	}
	bin, err := exec.LookPath("wrk")
	if err != nil {
		bin, err = installWrk(ctx, out)
	}
	switch {
	case err == nil:
		return wrkLoad{bin: bin, dir: dir}, nil
	case want == "wrk":
		return nil, fmt.Errorf("-loadgen wrk: %w (apt-get install wrk)", err)
	}
	fmt.Fprintf(out, "%v (apt-get install wrk): driving the load from Go, which shares the cores and understates agentmock\n", err)
	return goLoad{}, nil
}

// installWrk installs wrk with apt-get, when this runs as root on a
// machine that has it, and returns its path.
func installWrk(ctx context.Context, out io.Writer) (string, error) {
	if os.Geteuid() != 0 {
		return "", errors.New("wrk is not installed, and installing it needs root")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("wrk is not installed, and there is no apt-get: %w", err)
	}
	fmt.Fprintln(out, "installing wrk with apt-get")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "wrk"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	return exec.LookPath("wrk")
}

// goLoad drives the load with net/http clients in this process.
type goLoad struct{}

func (goLoad) name() string { return "Go net/http clients in the harness" }

func (goLoad) drive(ctx context.Context, n int, d time.Duration, s scenario) (result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type worker struct {
		lat      []time.Duration
		errors   int
		statuses map[int]int
	}
	ws := make([]worker, n)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &ws[c]
			w.statuses = map[int]int{}
			for i := 0; ctx.Err() == nil; i++ {
				t := time.Now()
				res, err := client.Do(s.request(c, i).WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil { // not the measurement ending
						w.errors++
						time.Sleep(time.Millisecond)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				w.lat = append(w.lat, time.Since(t))
				w.statuses[res.StatusCode]++
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	r := result{statuses: map[int]int{}}
	for _, w := range ws {
		all = append(all, w.lat...)
		r.errors += w.errors
		for k, v := range w.statuses {
			r.statuses[k] += v
		}
	}
	slices.Sort(all)
	r.rps = float64(len(all)) / elapsed.Seconds()
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r, nil
}

// wrkLoad drives the load with wrk (Debian's wrk 4.1), from a Lua script
// written for the scenario.
type wrkLoad struct{ bin, dir string }

func (wrkLoad) name() string { return "wrk" }

func (w wrkLoad) drive(ctx context.Context, n int, d time.Duration, s scenario) (result, error) {
	script := filepath.Join(w.dir, "scenario.lua")
	if err := os.WriteFile(script, []byte(s.lua()), 0o600); err != nil {
		return result{}, err
	}
	// One wrk thread: it drives 30,000 GETs a second on its own, and a
	// second one competes with the server for the two cores. With two, GET
	// at 64 clients had the same rate and a p99 of 40 ms instead of 9.
	cmd := exec.CommandContext(ctx, w.bin, "-t", "1", "-c", strconv.Itoa(n),
		"-d", fmt.Sprintf("%.0fs", max(d.Seconds(), 1)), "--timeout", "10s", "-s", script, s.target.BaseURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, stderr.String())
	}
	return parseWrk(stdout.String())
}

// parseWrk reads the lines the script's done() prints.
func parseWrk(out string) (result, error) {
	r := result{statuses: map[int]int{}}
	var requests, durationUS, p50, p99 int64
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "AGENTMOCK" {
			continue
		}
		switch {
		case len(f) == 4 && f[1] == "status":
			code, err1 := strconv.Atoi(f[2])
			count, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil {
				return r, fmt.Errorf("wrk: bad status line %q", sc.Text())
			}
			r.statuses[code] += count
		case len(f) == 7 && f[1] == "summary":
			var errs int64
			for i, dst := range []*int64{&requests, &durationUS, &p50, &p99, &errs} {
				v, err := strconv.ParseInt(f[2+i], 10, 64)
				if err != nil {
					return r, fmt.Errorf("wrk: bad summary line %q", sc.Text())
				}
				*dst = v
			}
			r.errors = int(errs)
			found = true
		}
	}
	if !found || durationUS <= 0 {
		return r, fmt.Errorf("wrk printed no summary: %s", out)
	}
	r.rps = float64(requests) / (float64(durationUS) / 1e6)
	r.p50, r.p99 = time.Duration(p50)*time.Microsecond, time.Duration(p99)*time.Microsecond
	return r, nil
}

// lua is the wrk script for the scenario. Each thread starts at its own
// place in s.paths and walks on, so that, as with the Go clients, concurrent
// requests spread over the scenario's agents.
func (s scenario) lua() string {
	var b strings.Builder
	b.WriteString("local paths = {")
	for _, p := range s.paths {
		fmt.Fprintf(&b, "%q,", p)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "local method = %q\n", s.method)
	fmt.Fprintf(&b, "local headers = {[%q] = %q", s.target.Header, s.target.Value)
	if s.body != "" {
		b.WriteString(`, ["Content-Type"] = "application/json"`)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "local function body(n) return %s end\n", s.luaBody())
	b.WriteString(`local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
n = 0
counts = {}
function request()
  n = n + 1
  local p = paths[((tid - 1) * 7919 + n) % #paths + 1]
  return wrk.format(method, p, headers, body(n))
end
function response(status, hdrs, b)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("AGENTMOCK summary %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout))
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("counts")) do
      io.write(string.format("AGENTMOCK status %d %d\n", code, count))
    end
  end
end
`)
	return b.String()
}

// luaBody turns s.body into a Lua expression of n.
func (s scenario) luaBody() string {
	if s.body == "" {
		return "nil"
	}
	var parts []string
	rest := s.body
	for rest != "" {
		i := strings.Index(rest, "{n")
		if i < 0 {
			parts = append(parts, fmt.Sprintf("%q", rest))
			break
		}
		if i > 0 {
			parts = append(parts, fmt.Sprintf("%q", rest[:i]))
		}
		switch {
		case strings.HasPrefix(rest[i:], placeholderN):
			parts = append(parts, "n")
			rest = rest[i+len(placeholderN):]
		case strings.HasPrefix(rest[i:], placeholderDigit):
			parts = append(parts, "(n % 10)")
			rest = rest[i+len(placeholderDigit):]
		default:
			parts = append(parts, fmt.Sprintf("%q", rest[:i+2]))
			rest = rest[i+2:]
		}
	}
	return strings.Join(parts, " .. ")
}

const (
	placeholderN     = "{n}"
	placeholderDigit = "{n%10}"
)
