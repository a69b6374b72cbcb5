// Command agentmock-load measures agentmock on loopback: cold start, then
// req/s, p50 and p99 at several client counts for GET, a valid persisted
// PATCH, an invalid PATCH and a list page out of 100,000 stored agents, for
// both providers, with fsync on and off. When Prism is installed it runs the
// same valid PATCH and cold start against Prism serving openapi/diga.yaml,
// and prints the ratios.
//
//	go run ./cmd/agentmock-load                     # from the repository root
//	go run ./cmd/agentmock-load -prism /opt/prism/node_modules/.bin/prism
//
// It builds agentmock itself unless -agentmock names a binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	bin, prism, spec string
	duration         time.Duration
	clients          []int
	agents           int
	coldRuns         int
	prismColdRuns    int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "agentmock-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("agentmock-load", flag.ContinueOnError)
	var c config
	var clients string
	fs.StringVar(&c.bin, "agentmock", "", "agentmock binary (default: go build ./cmd/agentmock)")
	fs.StringVar(&c.prism, "prism", "", "prism binary (default: prism on PATH, else /opt/prism/node_modules/.bin/prism; none skips Prism)")
	fs.StringVar(&c.spec, "spec", "openapi/diga.yaml", "document Prism serves")
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "how long each measurement runs")
	fs.StringVar(&clients, "clients", "1,16,64", "concurrent clients")
	fs.IntVar(&c.agents, "agents", 100000, "agents stored per provider before measuring")
	fs.IntVar(&c.coldRuns, "cold-runs", 10, "cold starts to take the median of")
	fs.IntVar(&c.prismColdRuns, "prism-cold-runs", 10, "Prism cold starts to take the median of")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, f := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-clients: %q is not a positive number", f)
		}
		c.clients = append(c.clients, n)
	}
	dir, err := os.MkdirTemp("", "agentmock-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.bin == "" {
		c.bin = filepath.Join(dir, "agentmock")
		build := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "./cmd/agentmock")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build agentmock (run from the repository root, or pass -agentmock): %w", err)
		}
	}
	if c.prism == "" {
		if p, err := exec.LookPath("prism"); err == nil {
			c.prism = p
		} else if _, err := os.Stat("/opt/prism/node_modules/.bin/prism"); err == nil {
			c.prism = "/opt/prism/node_modules/.bin/prism"
		}
	} else if c.prism == "none" {
		c.prism = ""
	}
	fmt.Fprintf(out, "# agentmock load: %d cores (GOMAXPROCS %d), %s per measurement, %d agents per provider\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), c.duration, c.agents)
	return measure(ctx, c, dir, out)
}

func measure(ctx context.Context, c config, dir string, out io.Writer) error {
	cold, err := coldStarts(ctx, c.coldRuns, func(port1, port2 int) *exec.Cmd {
		return exec.Command(c.bin, "--db", filepath.Join(dir, fmt.Sprintf("cold-%d.db", port1)), "--diga-addr", fmt.Sprint("127.0.0.1:", port1), "--itellico-addr", fmt.Sprint("127.0.0.1:", port2))
	}, digaGet)
	if err != nil {
		return fmt.Errorf("cold start: %w", err)
	}
	fmt.Fprintf(out, "cold start, exec to first 200 (GET an agent), median of %d: %s (min %s, max %s)\n\n", len(cold), ms(median(cold)), ms(slices.Min(cold)), ms(slices.Max(cold)))

	db := filepath.Join(dir, "load.db")
	ports := [2]int{freePort(), freePort()}
	srv, err := start(ctx, c.bin, db, ports, false)
	if err != nil {
		return err
	}
	t0 := time.Now()
	digaIDs, itlIDs, err := seed(ctx, srv, c.agents)
	if err != nil {
		srv.stop()
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(out, "seeded %d agents per provider over HTTP in %s (fsync off)\n", c.agents, time.Since(t0).Round(time.Millisecond))
	srv.stop()

	results := map[string]result{}
	for _, fsync := range []bool{true, false} {
		srv, err := start(ctx, c.bin, db, ports, fsync)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "RSS with %d agents per provider stored, after start (fsync=%v): %d MB\n", c.agents, fsync, srv.rssMB())
		var scen []scenario
		if fsync {
			scen = scenarios(srv, digaIDs, itlIDs)
		} else {
			for _, s := range scenarios(srv, digaIDs, itlIDs) {
				if strings.Contains(s.name, "valid PATCH") && !strings.Contains(s.name, "invalid") {
					s.name += ", fsync off"
					scen = append(scen, s)
				}
			}
		}
		for _, s := range scen {
			for _, n := range c.clients {
				r := drive(ctx, n, c.duration, s.req)
				results[fmt.Sprintf("%s@%d", s.name, n)] = r
				fmt.Fprintf(out, "%-52s %3d clients  %s\n", s.name, n, r)
			}
		}
		fmt.Fprintf(out, "RSS after the load (fsync=%v): %d MB\n\n", fsync, srv.rssMB())
		srv.stop()
	}

	if c.prism == "" {
		fmt.Fprintln(out, "Prism not found (npm install --prefix /opt/prism @stoplight/prism-cli, or -prism PATH): no comparison")
		return nil
	}
	pcold, err := coldStarts(ctx, c.prismColdRuns, func(port, _ int) *exec.Cmd {
		return exec.Command(c.prism, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), c.spec)
	}, digaGet)
	if err != nil {
		return fmt.Errorf("prism cold start: %w", err)
	}
	fmt.Fprintf(out, "Prism cold start, median of %d: %s; agentmock is %.0fx faster\n", len(pcold), ms(median(pcold)), float64(median(pcold))/float64(median(cold)))
	port := freePort()
	cmd := exec.Command(c.prism, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), c.spec)
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	prism := &server{diga: fmt.Sprint("http://127.0.0.1:", port)}
	if _, err := waitFor(ctx, prism.diga, digaGet, 60*time.Second); err != nil {
		return fmt.Errorf("prism: %w", err)
	}
	patch := scenarios(prism, digaIDs, itlIDs)[1]
	for _, n := range c.clients {
		r := drive(ctx, n, c.duration, patch.req)
		ours := results[fmt.Sprintf("%s@%d", patch.name, n)]
		fmt.Fprintf(out, "Prism %-46s %3d clients  %s   agentmock (fsync on) %.1fx its req/s\n", patch.name, n, r, ours.rps/r.rps)
	}
	return nil
}

// A scenario is one kind of request; req makes the i-th request of client c.
type scenario struct {
	name string
	req  func(client, i int) *http.Request
}

const digaAgent = "11111111-1111-4111-8111-111111111111"

func digaGet(base string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/agent/"+digaAgent, nil)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	return req
}

func scenarios(srv *server, digaIDs, itlIDs []string) []scenario {
	diga := func(method, path, body string) *http.Request {
		req, _ := http.NewRequest(method, srv.diga+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk-diga-demo")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	itl := func(method, path, body string) *http.Request {
		req, _ := http.NewRequest(method, srv.itellico+path, strings.NewReader(body))
		req.Header.Set("X-API-Key", "itl-demo")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	pick := func(ids []string, c int, fallback string) string {
		if len(ids) == 0 {
			return fallback
		}
		return ids[c%len(ids)]
	}
	return []scenario{
		{"diga: GET an agent", func(c, _ int) *http.Request {
			return diga("GET", "/v1/agent/"+pick(digaIDs, c, digaAgent), "")
		}},
		{"diga: valid PATCH, persisted", func(c, i int) *http.Request {
			return diga("PATCH", "/v1/agent/"+pick(digaIDs, c, digaAgent), fmt.Sprintf(`{"name":"load %d-%d","max_reminder_count":%d}`, c, i, i%10))
		}},
		{"diga: invalid PATCH (422)", func(c, _ int) *http.Request {
			return diga("PATCH", "/v1/agent/"+pick(digaIDs, c, digaAgent), `{"max_reminder_count":-1}`)
		}},
		{"diga: list 100 of the stored agents", func(int, int) *http.Request {
			return diga("GET", "/v1/agent/?limit=100", "")
		}},
		{"itellico: GET an agent", func(c, _ int) *http.Request {
			return itl("GET", "/v1/accounts/me/agents/"+pick(itlIDs, c, ""), "")
		}},
		{"itellico: valid PATCH, persisted", func(c, i int) *http.Request {
			return itl("PATCH", "/v1/accounts/me/agents/"+pick(itlIDs, c, ""), fmt.Sprintf(`{"name":"load %d-%d","metadata":{"n":%d}}`, c, i, i))
		}},
		{"itellico: invalid PATCH (400/422)", func(c, _ int) *http.Request {
			return itl("PATCH", "/v1/accounts/me/agents/"+pick(itlIDs, c, ""), `{"max_duration_seconds":"long"}`)
		}},
		{"itellico: list 100 of the stored agents", func(int, int) *http.Request {
			return itl("GET", "/v1/accounts/me/agents?limit=100", "")
		}},
	}
}

// result is one measurement.
type result struct {
	n        int
	errors   int
	rps      float64
	p50, p99 time.Duration
	statuses map[int]int
}

func (r result) String() string {
	codes := make([]string, 0, len(r.statuses))
	for code, n := range r.statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", code, n))
	}
	slices.Sort(codes)
	return fmt.Sprintf("%9.0f req/s  p50 %7s  p99 %7s  (%s; %d transport errors)", r.rps, ms(r.p50), ms(r.p99), strings.Join(codes, " "), r.errors)
}

// drive runs n closed-loop clients for d and collects every latency.
func drive(ctx context.Context, n int, d time.Duration, req func(client, i int) *http.Request) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}, Timeout: 30 * time.Second}
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
				r := req(c, i)
				t := time.Now()
				res, err := client.Do(r)
				if err != nil {
					w.errors++
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
	r.n = len(all)
	r.rps = float64(len(all)) / elapsed.Seconds()
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return r
}

type server struct {
	cmd            *exec.Cmd
	diga, itellico string
}

func start(ctx context.Context, bin, db string, ports [2]int, fsync bool) (*server, error) {
	cmd := exec.Command(bin, "--db", db, "--diga-addr", fmt.Sprint("127.0.0.1:", ports[0]), "--itellico-addr", fmt.Sprint("127.0.0.1:", ports[1]), "--fsync="+strconv.FormatBool(fsync))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, diga: fmt.Sprint("http://127.0.0.1:", ports[0]), itellico: fmt.Sprint("http://127.0.0.1:", ports[1])}
	if _, err := waitFor(ctx, s.diga, digaGet, 30*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func (s *server) rssMB() int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return -1
}

// seed creates n agents per provider through the API and returns the ids of
// the first 64 of each, for the clients to work on.
func seed(ctx context.Context, s *server, n int) (diga, itl []string, err error) {
	type job struct {
		url, header, key, body string
		idKey                  string
	}
	jobs := []job{
		{s.diga + "/v1/agent/", "Authorization", "Bearer sk-diga-demo", `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es","name":"seeded"}`, `"agent_id":"`},
		{s.itellico + "/v1/accounts/me/agents", "X-API-Key", "itl-demo", `{"name":"seeded","model":{"provider":"azure_openai","model":"gpt-5-mini"},"transcriber":{"provider":"deepgram"},"voice":{"provider":"elevenlabs","voice_id":"pMsXgVXv3BLzUgSXRplE"}}`, `"id":"`},
	}
	ids := [2][]string{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for j, jb := range jobs {
		var mu sync.Mutex
		var wg sync.WaitGroup
		var first error
		next := make(chan int)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, jb.url, strings.NewReader(jb.body))
					req.Header.Set(jb.header, jb.key)
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						mu.Lock()
						first = cmpOr(first, err)
						mu.Unlock()
						continue
					}
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					mu.Lock()
					if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
						first = cmpOr(first, fmt.Errorf("POST %s: %d %s", jb.url, res.StatusCode, body))
					} else if len(ids[j]) < 64 {
						if i := strings.Index(string(body), jb.idKey); i >= 0 {
							rest := string(body[i+len(jb.idKey):])
							ids[j] = append(ids[j], rest[:strings.IndexByte(rest, '"')])
						}
					}
					mu.Unlock()
				}
			}()
		}
		for i := range n {
			if ctx.Err() != nil || first != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		if first != nil {
			return nil, nil, first
		}
	}
	return ids[0], ids[1], ctx.Err()
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// coldStarts runs the command runs times and measures exec to the first 200.
func coldStarts(ctx context.Context, runs int, cmd func(port1, port2 int) *exec.Cmd, probe func(string) *http.Request) ([]time.Duration, error) {
	var out []time.Duration
	for range runs {
		p1, p2 := freePort(), freePort()
		c := cmd(p1, p2)
		t0 := time.Now()
		if err := c.Start(); err != nil {
			return nil, err
		}
		_, err := waitFor(ctx, fmt.Sprint("http://127.0.0.1:", p1), probe, 60*time.Second)
		took := time.Since(t0)
		_ = c.Process.Signal(syscall.SIGTERM)
		_ = c.Wait()
		if err != nil {
			return nil, err
		}
		out = append(out, took)
	}
	return out, nil
}

// waitFor polls base until probe answers 200 and says how long that took.
func waitFor(ctx context.Context, base string, probe func(string) *http.Request, limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for time.Since(t0) < limit {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		res, err := client.Do(probe(base).WithContext(ctx))
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		var op *net.OpError
		if errors.As(err, &op) {
			time.Sleep(time.Millisecond) // not listening yet
		} else {
			time.Sleep(2 * time.Millisecond)
		}
	}
	return 0, fmt.Errorf("%s gave no 200 within %s", base, limit)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
