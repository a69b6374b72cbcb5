// Command agentmock-load measures agentmock on loopback: cold start, then
// req/s, p50 and p99 at several client counts for GET, a valid persisted
// PATCH, an invalid PATCH and a list page out of 100,000 stored agents, for
// both providers, with fsync on and off.
//
// Each scenario is also driven, the same way, against the floor: a process
// of this command (floor.go) that answers every request with the bytes
// agentmock gave the scenario's first one, on the same HTTP server and
// router, validating and storing nothing. agentmock's req/s as a percentage
// of the floor's says how much of the cost is agentmock's own (-floor=false
// skips it). A scenario that persists is driven against the stored floor
// too, which also stores each write through agentmock's store: what bbolt's
// commit alone leaves a persisted write. At the largest client count agentmock's CPU profile is taken
// through its --pprof listener and summarized by category: syscalls,
// net/http, routing, validation, merge, commit, JSON, collector, scheduler
// (-profile=false skips it). The run ends with a markdown table of both per
// scenario at that count.
//
// When Prism is installed it runs the same valid PATCH and cold start
// against Prism serving openapi/diga.yaml, and prints the ratios. The load
// comes from wrk (installed with apt-get when missing and possible) or, with
// -loadgen go, from net/http clients in this process.
//
//	go run ./cmd/agentmock-load                     # from the repository root
//	go run ./cmd/agentmock-load -prism /opt/prism/node_modules/.bin/prism
//
// It builds agentmock itself unless -agentmock names a binary.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentmock/agentmock/contracttests"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock"
)

type config struct {
	bin, prism, spec string
	duration         time.Duration
	clients          []int
	agents           int
	coldRuns         int
	prismColdRuns    int
	run              *regexp.Regexp
	loadgen          string
	floor, profile   bool
	rounds           int
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
	// The floor's process mode, started by startFloor: not a flag, so that
	// -h does not offer it.
	if len(args) >= 2 && args[0] == "-serve-floor" {
		return serveFloor(ctx, args[1], args[2:])
	}
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
	only := fs.String("run", "", "measure only the scenarios whose names match this regular expression")
	fs.StringVar(&c.loadgen, "loadgen", "auto", "load generator: wrk, go (net/http clients in this process), or auto (wrk, installed with apt-get if missing and possible; else go)")
	fs.IntVar(&c.rounds, "rounds", 1, "measurements of each scenario and client count, alternating agentmock and the floor; the median round is reported")
	fs.BoolVar(&c.floor, "floor", true, "drive each scenario against the floor too: a server answering agentmock's bytes with nothing behind them")
	fs.BoolVar(&c.profile, "profile", true, "take agentmock's CPU profile (its --pprof) at the largest client count of each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if c.run, err = regexp.Compile(*only); err != nil {
		return fmt.Errorf("-run: %w", err)
	}
	if c.coldRuns < 1 || c.prismColdRuns < 1 || c.agents < 1 || c.rounds < 1 {
		return errors.New("-cold-runs, -prism-cold-runs, -agents and -rounds must be at least 1")
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
	lg, err := findLoadgen(ctx, c.loadgen, dir, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# agentmock load: %d cores (GOMAXPROCS %d), %s per measurement, %d agents per provider, load from %s\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), c.duration, c.agents, lg.name())
	return measure(ctx, c, lg, dir, out)
}

func measure(ctx context.Context, c config, lg loadgen, dir string, out io.Writer) error {
	run := 0
	cold, err := coldStarts(ctx, c.coldRuns, func(ports [2]int) *exec.Cmd {
		run++
		return agentmock(c.bin, filepath.Join(dir, fmt.Sprintf("cold-%d.db", run)), ports, true)
	})
	if err != nil {
		return fmt.Errorf("cold start: %w", err)
	}
	fmt.Fprintf(out, "cold start, exec to first 200 (GET an agent), median of %d: %s (min %s, max %s)\n\n", len(cold), ms(median(cold)), ms(slices.Min(cold)), ms(slices.Max(cold)))

	db := filepath.Join(dir, "load.db")
	// agentmock's two providers, its --pprof, the floor and the stored floor.
	free, err := freePortList(5)
	if err != nil {
		return err
	}
	ports := [2]int{free[0], free[1]}
	srv, err := start(ctx, c.bin, db, ports, false, 0)
	if err != nil {
		return err
	}
	t0 := time.Now()
	digaIDs, itlIDs, err := seed(ctx, srv, c.agents)
	srv.stop()
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// Seeding ran with fsync off and left the file's pages dirty: the first
	// fsyncs measured would write them out (a 1-client PATCH p99 of 23 ms
	// against 1 ms on a second run).
	if err := syncFile(db); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d agents per provider over HTTP in %s (fsync off)\n", c.agents, time.Since(t0).Round(time.Millisecond))

	var floor *floorProcess
	if c.floor {
		if floor, err = startFloor(ctx, free[3], nil); err != nil {
			return err
		}
		defer floor.stop()
	}
	pprofPort := 0
	if c.profile {
		pprofPort = free[2]
	}
	largest := slices.Max(c.clients)
	results := map[string]result{}
	var rows []summaryRow
	for _, fsync := range []bool{true, false} {
		srv, err := start(ctx, c.bin, db, ports, fsync, pprofPort)
		var exited *exitError
		if pprofPort != 0 && errors.As(err, &exited) && strings.Contains(exited.stderr, "pprof") {
			fmt.Fprintf(out, "%v\nagentmock does not serve --pprof (a binary older than the flag?): measuring without CPU profiles\n", err)
			pprofPort = 0
			srv, err = start(ctx, c.bin, db, ports, fsync, 0)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "RSS with %d agents per provider stored, after start (fsync=%v): %d MB\n", c.agents, fsync, srv.rss("VmRSS"))
		ss := scenarios(srv, digaIDs, itlIDs)
		stored, err := startStoredFloor(ctx, c, ss, free[4], filepath.Join(dir, fmt.Sprintf("floor-fsync-%v.db", fsync)), fsync)
		if err != nil {
			srv.stop()
			return err
		}
		for _, s := range ss {
			if !fsync && !s.persists {
				continue // fsync matters only to writes
			}
			if !c.run.MatchString(s.name) {
				continue
			}
			if !fsync {
				s.name += ", fsync off"
			}
			// The floor gives every request the answer to the first, made
			// here, before the load.
			var atFloor, atStored scenario
			if floor != nil {
				status, body, err := answer(ctx, s)
				if err != nil {
					return err
				}
				if err := floor.configure(ctx, status, body); err != nil {
					return err
				}
				atFloor = s
				atFloor.target.BaseURL = floor.url
				if stored != nil && s.persists {
					if err := stored.configure(ctx, status, body); err != nil {
						return err
					}
					atStored = s
					atStored.target.BaseURL = stored.url
				}
			}
			for _, n := range c.clients {
				// Rounds alternate agentmock and the floor, so that a change
				// in the shared host's speed shows in both; the median round
				// (by the ratio) is the one reported.
				var rounds []summaryRow
				for round := range c.rounds {
					profiling := ""
					if n == largest && round == 0 {
						profiling = srv.pprof
					}
					var prof *profiled
					r, err := measured(srv.cmd.Process.Pid, func() (r result, err error) {
						r, prof, err = driveProfiled(ctx, lg, n, c.duration, s, profiling)
						return r, err
					})
					if err != nil {
						return fmt.Errorf("%s, %d clients: %w", s.name, n, err)
					}
					fmt.Fprintf(out, "%-52s %3d clients  %s  RSS %d MB (anon %d, file %d)\n", s.name, n, r, srv.rss("VmRSS"), srv.rss("RssAnon"), srv.rss("RssFile"))
					row := summaryRow{name: s.name, ours: r}
					if floor != nil {
						fr, err := measured(floor.cmd.Process.Pid, func() (result, error) { return lg.drive(ctx, n, c.duration, atFloor) })
						if err != nil {
							return fmt.Errorf("the floor: %s, %d clients: %w", s.name, n, err)
						}
						row.floor = &fr
						fmt.Fprintf(out, "%-52s %3d clients  %s  agentmock %.0f%% of its req/s, p99 %s against %s\n",
							"  the floor", n, fr, percent(r.rps, fr.rps), ms(r.p99), ms(fr.p99))
						if atStored.target.BaseURL != "" {
							sr, err := measured(stored.cmd.Process.Pid, func() (result, error) { return lg.drive(ctx, n, c.duration, atStored) })
							if err != nil {
								return fmt.Errorf("the stored floor: %s, %d clients: %w", s.name, n, err)
							}
							row.stored = &sr
							fmt.Fprintf(out, "%-52s %3d clients  %s  %.0f%% of the floor's req/s; agentmock %.0f%% of its\n",
								"  the floor, storing each write", n, sr, percent(sr.rps, fr.rps), percent(r.rps, sr.rps))
						}
					}
					if prof != nil {
						row.profile = prof.String()
						fmt.Fprintf(out, "profile %s @%d: %s\n", s.name, n, prof)
					}
					rounds = append(rounds, row)
				}
				row := medianRound(rounds)
				results[fmt.Sprintf("%s@%d", s.name, n)] = row.ours
				if n == largest {
					rows = append(rows, row)
				}
			}
		}
		fmt.Fprintf(out, "RSS after the load (fsync=%v): %d MB, peak %d MB\n\n", fsync, srv.rss("VmRSS"), srv.rss("VmHWM"))
		srv.stop()
		if stored != nil {
			stored.stop()
		}
	}
	err = comparePrism(ctx, c, lg, cold, results, digaIDs, itlIDs, out)
	printSummary(out, rows, largest)
	return err
}

// startStoredFloor starts the stored floor for the fsync setting when the
// floor runs and a scenario that persists is to be measured; nil otherwise.
func startStoredFloor(ctx context.Context, c config, ss []scenario, port int, db string, fsync bool) (*floorProcess, error) {
	if !c.floor || !slices.ContainsFunc(ss, func(s scenario) bool { return s.persists && c.run.MatchString(s.name) }) {
		return nil, nil
	}
	return startFloor(ctx, port, &floorStore{db: db, fsync: fsync, records: c.agents})
}

// medianRound is the round whose agentmock/floor ratio is the median (by
// agentmock's req/s without a floor), keeping the first round's profile.
func medianRound(rounds []summaryRow) summaryRow {
	key := func(r summaryRow) float64 {
		if r.floor != nil && r.floor.rps > 0 {
			return r.ours.rps / r.floor.rps
		}
		return r.ours.rps
	}
	sorted := slices.Clone(rounds)
	slices.SortFunc(sorted, func(a, b summaryRow) int { return cmp.Compare(key(a), key(b)) })
	m := sorted[len(sorted)/2]
	m.profile = rounds[0].profile
	return m
}

// comparePrism measures Prism's cold start and drives it with the Diga
// scenarios that persist, printing agentmock's ratios to it.
func comparePrism(ctx context.Context, c config, lg loadgen, cold []time.Duration, results map[string]result, digaIDs, itlIDs []string, out io.Writer) error {
	if c.prism == "" {
		fmt.Fprintln(out, "no Prism (-prism none, or not found: npm install --prefix /opt/prism @stoplight/prism-cli, or -prism PATH): no comparison")
		return nil
	}
	prismCmd := func(ports [2]int) *exec.Cmd {
		return exec.Command(c.prism, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(ports[0]), c.spec)
	}
	pcold, err := coldStarts(ctx, c.prismColdRuns, prismCmd)
	if err != nil {
		return fmt.Errorf("prism cold start: %w", err)
	}
	fmt.Fprintf(out, "Prism cold start, median of %d: %s; agentmock is %.0fx faster\n", len(pcold), ms(median(pcold)), float64(median(pcold))/float64(median(cold)))
	ports, err := freePorts()
	if err != nil {
		return err
	}
	cmd := prismCmd(ports)
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	prism := newServer(cmd, ports)
	if err := waitFor(ctx, prism.diga, 60*time.Second); err != nil {
		return fmt.Errorf("prism: %w", err)
	}
	for _, s := range scenarios(prism, digaIDs, itlIDs) {
		if s.provider != "diga" || !s.persists {
			continue // Prism serves only our Diga document, and it is compared on PATCH
		}
		if !c.run.MatchString(s.name) {
			continue
		}
		for _, n := range c.clients {
			r, err := lg.drive(ctx, n, c.duration, s)
			if err != nil {
				return fmt.Errorf("prism: %s, %d clients: %w", s.name, n, err)
			}
			ours := results[fmt.Sprintf("%s@%d", s.name, n)]
			fmt.Fprintf(out, "Prism %-46s %3d clients  %s   agentmock (fsync on) %.1fx its req/s\n", s.name, n, r, ours.rps/r.rps)
		}
	}
	return nil
}

// driveProfiled drives the scenario and, when pprof (agentmock's --pprof
// URL) is set, takes agentmock's CPU profile for the measurement's whole
// seconds meanwhile. The profile is nil when none was asked for, and says
// why when none could be taken: it never fails the measurement.
func driveProfiled(ctx context.Context, lg loadgen, n int, d time.Duration, s scenario, pprof string) (result, *profiled, error) {
	if pprof == "" {
		r, err := lg.drive(ctx, n, d, s)
		return r, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan profiled, 1)
	go func() {
		b, err := fetchProfile(ctx, pprof, max(1, int(d/time.Second)))
		done <- profiled{b, err}
	}()
	r, err := lg.drive(ctx, n, d, s)
	if err != nil {
		return r, nil, err
	}
	p := <-done
	return r, &p, nil
}

// profiled is a profile's summary, or why there is none.
type profiled struct {
	b   breakdown
	err error
}

func (p profiled) String() string {
	if p.err != nil {
		return "no profile: " + p.err.Error()
	}
	return p.b.String()
}

// summaryRow is one scenario at the largest client count.
type summaryRow struct {
	name    string
	ours    result
	floor   *result // nil with -floor=false
	stored  *result // the stored floor: nil but for a persisting scenario
	profile string  // empty with -profile=false
}

// printSummary prints the rows as a markdown table, for the README.
func printSummary(out io.Writer, rows []summaryRow, clients int) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(out, "\nsummary at %d clients:\n\n", clients)
	fmt.Fprintln(out, "| scenario | % of floor req/s | stored floor, % of floor | agentmock req/s | p99 | floor req/s | p99 | CPU per request: agentmock, floor | CPU profile (% of samples) |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio, storedRatio, floorRPS, floorP99, cpu := "–", "–", "–", "–", cpuSpaced(r.ours.cpu)
		if r.floor != nil {
			ratio = fmt.Sprintf("%.0f%%", percent(r.ours.rps, r.floor.rps))
			floorRPS, floorP99 = grouped(r.floor.rps), msSpaced(r.floor.p99)
			cpu += ", " + cpuSpaced(r.floor.cpu)
			if r.stored != nil {
				storedRatio = fmt.Sprintf("%.0f%%, p99 %s", percent(r.stored.rps, r.floor.rps), msSpaced(r.stored.p99))
			}
		}
		prof := r.profile
		if prof == "" {
			prof = "–"
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, ratio, storedRatio, grouped(r.ours.rps), msSpaced(r.ours.p99), floorRPS, floorP99, cpu, prof)
	}
}

// percent is a as a percentage of b.
func percent(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}

// grouped writes a rate as the README does: 12,204.
func grouped(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// msSpaced writes a latency as the README does: 9.1 ms.
func msSpaced(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// A scenario is one kind of request, made the same way by either load
// generator.
type scenario struct {
	name     string
	provider string
	persists bool // a valid write, measured with fsync on and off
	target   contracttests.Target
	method   string
	// paths are the URLs' paths; client c works on paths[c%len(paths)].
	paths []string
	// body is the JSON body, if any: placeholderN becomes the request's
	// number, placeholderDigit its last digit.
	body string
}

// request makes the i-th request of client c.
func (s scenario) request(c, i int) *http.Request {
	var body io.Reader = http.NoBody
	if s.body != "" {
		b := strings.ReplaceAll(s.body, placeholderN, strconv.Itoa(i))
		body = strings.NewReader(strings.ReplaceAll(b, placeholderDigit, strconv.Itoa(i%10)))
	}
	req, _ := http.NewRequest(s.method, s.target.BaseURL+s.paths[c%len(s.paths)], body)
	req.Header.Set(s.target.Header, s.target.Value)
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func scenarios(srv *server, digaIDs, itlIDs []string) []scenario {
	diga, itl := srv.diga, srv.itellico
	// Each client works on its own agent.
	agents := func(prefix string, ids []string, fallback string) []string {
		if len(ids) == 0 {
			ids = []string{fallback}
		}
		paths := make([]string, len(ids))
		for i, id := range ids {
			paths[i] = prefix + id
		}
		return paths
	}
	digaAgents := agents("/v1/agent/", digaIDs, contracttests.FixtureDigaAgent)
	itlAgents := agents("/v1/accounts/me/agents/", itlIDs, contracttests.FixtureItellicoAgent)
	return []scenario{
		{"diga: GET an agent", "diga", false, diga, "GET", digaAgents, ""},
		{"diga: valid PATCH, persisted", "diga", true, diga, "PATCH", digaAgents,
			`{"name":"load {n}","max_reminder_count":{n%10}}`},
		{"diga: invalid PATCH (422)", "diga", false, diga, "PATCH", digaAgents, `{"max_reminder_count":-1}`},
		{"diga: list 100 of the stored agents", "diga", false, diga, "GET", []string{"/v1/agent/?limit=100"}, ""},
		{"itellico: GET an agent", "itellico", false, itl, "GET", itlAgents, ""},
		{"itellico: valid PATCH, persisted", "itellico", true, itl, "PATCH", itlAgents,
			`{"name":"load {n}","metadata":{"n":{n}}}`},
		{"itellico: invalid PATCH (400/422)", "itellico", false, itl, "PATCH", itlAgents, `{"max_duration_seconds":"long"}`},
		{"itellico: list 100 of the stored agents", "itellico", false, itl, "GET", []string{"/v1/accounts/me/agents?limit=100"}, ""},
	}
}

// result is one measurement.
type result struct {
	errors   int
	rps      float64
	p50, p99 time.Duration
	statuses map[int]int
	// cpu is the server process's CPU time per request answered (cpu.go);
	// 0 when unknown.
	cpu time.Duration
}

// requests is how many requests were answered, whatever the status.
func (r result) requests() int {
	n := 0
	for _, c := range r.statuses {
		n += c
	}
	return n
}

func (r result) String() string {
	codes := make([]string, 0, len(r.statuses))
	for code, n := range r.statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", code, n))
	}
	slices.Sort(codes)
	return fmt.Sprintf("%9.0f req/s  p50 %7s  p99 %7s  CPU %6s/req  (%s; %d transport errors)", r.rps, ms(r.p50), ms(r.p99), cpuSpaced(r.cpu), strings.Join(codes, " "), r.errors)
}

// server is a running agentmock (or Prism): how to reach and authenticate
// to each provider, with the embedded fixtures' demo keys.
type server struct {
	cmd            *exec.Cmd
	diga, itellico contracttests.Target
	pprof          string        // agentmock's --pprof URL, if it was given one
	exited         chan struct{} // closed when an agentmock from start exits
	exitErr        error         // why, set before exited is closed
}

func newServer(cmd *exec.Cmd, ports [2]int) *server {
	fx, _ := fixtures.Load("") // embedded: checked by agentmock's own tests
	diga, _ := contracttests.DefaultTarget("diga", fmt.Sprint("http://127.0.0.1:", ports[0]), digaKey(fx))
	itl, _ := contracttests.DefaultTarget("itellico", fmt.Sprint("http://127.0.0.1:", ports[1]), itellicoKey(fx))
	return &server{cmd: cmd, diga: diga, itellico: itl}
}

func agentmock(bin, db string, ports [2]int, fsync bool) *exec.Cmd {
	return exec.Command(bin, "--db", db, "--diga-addr", fmt.Sprint("127.0.0.1:", ports[0]),
		"--itellico-addr", fmt.Sprint("127.0.0.1:", ports[1]), "--fsync="+strconv.FormatBool(fsync))
}

// start runs agentmock, serving its profiles on pprofPort unless that is
// 0, and waits until it answers. An agentmock that exits first is an
// *exitError, with what it printed.
func start(ctx context.Context, bin, db string, ports [2]int, fsync bool, pprofPort int) (*server, error) {
	cmd := agentmock(bin, db, ports, fsync)
	if pprofPort != 0 {
		cmd.Args = append(cmd.Args, "--pprof", fmt.Sprint("127.0.0.1:", pprofPort))
	}
	stderr := &headBuffer{limit: 4096}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := newServer(cmd, ports)
	if pprofPort != 0 {
		s.pprof = fmt.Sprint("http://127.0.0.1:", pprofPort)
	}
	s.exited = make(chan struct{})
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	// An agentmock that exits at start (a flag it lacks, a port in use)
	// ends the wait at once rather than after its 30 s.
	wait, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.exited:
			cancel()
		case <-wait.Done():
		}
	}()
	err := waitFor(wait, s.diga, 30*time.Second)
	cancel()
	select {
	case <-s.exited:
		return nil, &exitError{err: s.exitErr, stderr: stderr.String()}
	default:
	}
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// exitError is an agentmock that exited before it answered.
type exitError struct {
	err    error
	stderr string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("agentmock exited at start (%v): %s", e.err, strings.TrimSpace(e.stderr))
}

// headBuffer keeps the first limit bytes written to it and drops the rest:
// enough of agentmock's log to say why it did not start, without holding a
// long run's. Read it only once the process has exited.
type headBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *headBuffer) String() string { return b.buf.String() }

// stop ends an agentmock from start with SIGTERM, and waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.exited
}

// rss reads a memory figure of the server process from /proc, in MB: VmRSS
// now, or VmHWM, the peak.
func (s *server) rss(field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return -1
}

// seed creates n agents per provider through the API and returns the ids of
// the first 64 of each, for the clients to work on. The first failure stops
// it.
func seed(ctx context.Context, s *server, n int) (diga, itl []string, err error) {
	jobs := []struct {
		target                 contracttests.Target
		path, createKey, idKey string
		ids                    *[]string
	}{
		{s.diga, "/v1/agent/", "POST /v1/agent/", "agent_id", &diga},
		{s.itellico, "/v1/accounts/me/agents", "POST /v1/accounts/{}/agents", "id", &itl},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for _, jb := range jobs {
		// The create body the contract checks use: one the provider accepts.
		body, err := json.Marshal(jb.target.BaseBodies[jb.createKey])
		if err != nil {
			return nil, nil, err
		}
		t := jb.target
		t.BaseURL += jb.path
		ctx, cancel := context.WithCancelCause(ctx)
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := make(chan struct{})
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					id, err := create(ctx, client, t, body, jb.idKey)
					if err != nil {
						cancel(err)
						return
					}
					mu.Lock()
					if len(*jb.ids) < 64 {
						*jb.ids = append(*jb.ids, id)
					}
					mu.Unlock()
				}
			}()
		}
	feed:
		for range n {
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
		err = context.Cause(ctx)
		cancel(nil)
		if err != nil {
			return nil, nil, err
		}
	}
	return diga, itl, nil
}

// create POSTs one agent and returns its id.
func create(ctx context.Context, client *http.Client, t contracttests.Target, body []byte, idKey string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.BaseURL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set(t.Header, t.Value)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var created map[string]any
	if err := json.NewDecoder(res.Body).Decode(&created); err != nil {
		return "", fmt.Errorf("POST %s: %d, body not JSON: %w", t.BaseURL, res.StatusCode, err)
	}
	id, _ := created[idKey].(string)
	if res.StatusCode >= 300 || id == "" {
		return "", fmt.Errorf("POST %s: %d %v", t.BaseURL, res.StatusCode, created)
	}
	return id, nil
}

// coldStarts runs a command runs times and measures exec to the first 200.
func coldStarts(ctx context.Context, runs int, cmd func(ports [2]int) *exec.Cmd) ([]time.Duration, error) {
	var out []time.Duration
	for range runs {
		ports, err := freePorts()
		if err != nil {
			return nil, err
		}
		c := cmd(ports)
		t0 := time.Now()
		if err := c.Start(); err != nil {
			return nil, err
		}
		err = waitFor(ctx, newServer(c, ports).diga, 60*time.Second)
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

// waitFor polls until GET of the fixture Diga agent answers 200.
func waitFor(ctx context.Context, diga contracttests.Target, limit time.Duration) error {
	t0 := time.Now()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for time.Since(t0) < limit {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, diga.BaseURL+"/v1/agent/"+contracttests.FixtureDigaAgent, nil)
		if err != nil {
			return err
		}
		req.Header.Set(diga.Header, diga.Value)
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s gave no 200 within %s", diga.BaseURL, limit)
}

// freePorts finds two distinct free loopback ports.
func freePorts() ([2]int, error) {
	p, err := freePortList(2)
	if err != nil {
		return [2]int{}, err
	}
	return [2]int{p[0], p[1]}, nil
}

// freePortList finds n distinct free loopback ports, holding them all until
// all are known.
func freePortList(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return f.Close()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func digaKey(fx *fixtures.Set) string { d, _ := mock.Descriptor("diga"); return d.DefaultKey(fx) }
func itellicoKey(fx *fixtures.Set) string {
	d, _ := mock.Descriptor("itellico")
	return d.DefaultKey(fx)
}
