// Command agentmock serves faithful, stateful mocks of the Diga and
// itellico.ai agent APIs from their OpenAPI documents.
//
//	agentmock [serve] [flags]
//	agentmock healthcheck [--url URL]
//	agentmock contract [--provider diga|itellico] [--base-url URL] [--key KEY] [--spec FILE] [--write]
//
// Every flag can also be set with an environment variable, named in its help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	// Importing net/http/pprof also registers its handlers on
	// http.DefaultServeMux, which agentmock never serves: the profiles are
	// reachable only on --pprof's own listener.
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/mock/provider"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage was printed, and asking for it is no failure
		}
		if !errors.Is(err, errChecksFailed) {
			fmt.Fprintln(os.Stderr, "agentmock:", err)
		}
		os.Exit(1)
	}
}

// gcMemoryLimit is the soft limit tuneGC sets. The bbolt file is mapped,
// not on the heap, so what lives there is small: requests in flight, the
// journals, the compiled documents. The limit leaves room for the mapped
// file's pages within 150 MB of RSS with 100,000 agents stored.
const gcMemoryLimit = 80 << 20

// tuneGC lets the heap grow to five times what is live (GOGC=400), within
// gcMemoryLimit, unless GOGC or GOMEMLIMIT are set. With Go's default of
// twice, the collector ran so often that it cost 28% of PATCH
// throughput at 64 clients (cmd/agentmock-load: 10,421 req/s against
// 14,394, p99 10.1 ms against 8.4). Set in main, not in run, so that tests
// calling run keep their own settings.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}

type options struct {
	// addrs and specs map each registered provider to its --NAME-addr and
	// --NAME-spec.
	addrs, specs      map[string]*string
	db                string
	fixtures          string
	reset             bool
	allowUnknown      bool
	strict            bool
	validateResponses bool
	fsync             bool
	logFormat         string
	control           bool
	journalSize       int
	seed              uint64
	clock             string
	callRing          time.Duration
	callTalk          time.Duration
	webhookTimeout    time.Duration
	webhookAttempts   int
	pprof             string
	envErr            error // environment variables that did not parse
}

// flags binds every option to a flag whose default comes from its
// environment variable, so that both spellings work in compose files.
func flags(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *options) {
	fs := flag.NewFlagSet("agentmock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{addrs: map[string]*string{}, specs: map[string]*string{}}
	for _, d := range mock.Registry() {
		o.addrs[d.Name] = fs.String(d.Name+"-addr", d.DefaultAddr, "address the "+d.Title+" API listens on")
	}
	fs.StringVar(&o.db, "db", "agentmock.db", "bbolt database file")
	fs.StringVar(&o.fixtures, "fixtures", "", "directory with diga.json and itellico.json replacing the embedded fixtures")
	fs.BoolVar(&o.reset, "reset", false, "put an existing database back to the fixtures at start (by default its data is kept)")
	for _, d := range mock.Registry() {
		o.specs[d.Name] = fs.String(d.Name+"-spec", "", "OpenAPI document (YAML or JSON) replacing the embedded "+d.Title+" document")
	}
	fs.BoolVar(&o.strict, "strict", false, "reject request members the document does not declare with a 422 (by default they are accepted, dropped and journaled as warnings, as the vendors drop them)")
	fs.BoolVar(&o.allowUnknown, "allow-unknown-fields", false, "accept and drop request members the document does not declare: the default; wins over --strict")
	fs.BoolVar(&o.validateResponses, "validate-responses", true, "check every response against the document; a mismatch becomes a 500")
	fs.BoolVar(&o.fsync, "fsync", true, "fsync every commit; false is for throwaway CI databases")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&o.control, "control", true, "serve the control API under /_mock/ on each port")
	fs.IntVar(&o.journalSize, "journal-size", 1000, "requests each provider's journal keeps")
	fs.Uint64Var(&o.seed, "seed", 0, "make generated ids and example data repeatable; 0 is random")
	fs.StringVar(&o.clock, "clock", "", "fix the time used for timestamps, e.g. 2025-01-01T00:00:00Z")
	fs.DurationVar(&o.callRing, "call-ring", mock.DefaultRing, "how long a simulated call dials before it is answered, or not")
	fs.DurationVar(&o.callTalk, "call-talk", mock.DefaultTalk, "how long an answered simulated call lasts")
	fs.DurationVar(&o.webhookTimeout, "webhook-timeout", 5*time.Second, "how long a webhook delivery attempt waits for the receiver")
	fs.IntVar(&o.webhookAttempts, "webhook-attempts", 6, "attempts per webhook delivery, 1 s apart and doubling (1 s, 2 s, 4 s, …)")
	fs.StringVar(&o.pprof, "pprof", "", "address to serve net/http/pprof on, apart from the APIs, e.g. 127.0.0.1:6060; empty is off (serve only)")
	// Every flag has an environment variable, AGENTMOCK_ and its name, for
	// compose files. It sets the flag as the command line would, through
	// the flag's own parser, so a bad value is an error rather than a
	// silent default; the command line, parsed after, wins.
	fs.VisitAll(func(f *flag.Flag) {
		env := "AGENTMOCK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		f.Usage += " (env " + env + ")"
		if v := getenv(env); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				o.envErr = errors.Join(o.envErr, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return fs, o
}

// usage prints the subcommands, then serve's flags.
func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `agentmock: a stateful mock of the Diga and itellico.ai APIs

Usage:
  agentmock [serve] [flags]          serve every provider (the default)
  agentmock mock DOCUMENT [flags]    serve any OpenAPI document on its own
  agentmock routes [flags] [--json]  how every operation is answered
  agentmock contract [flags]         spec-driven contract checks against a service
  agentmock healthcheck [flags]      exit 0 when a running agentmock is ready
  agentmock version                  the module version and VCS revision
  agentmock help                     this text

Flags of serve (and of mock and routes):
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parse parses flags with a one-line error and a hint, and the whole usage
// only when it is asked for.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(fs, stderr)
		return err
	}
	if err != nil {
		return fmt.Errorf("%w (agentmock help lists the flags)", err)
	}
	return nil
}

// version names the build: the module version and, when the binary was
// built from a checkout, its VCS revision and time.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "agentmock (no build information)"
	}
	v := "agentmock " + info.Main.Version
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	if at != "" {
		v += " " + at
	}
	return v + " " + info.GoVersion
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			args = args[1:]
		case "healthcheck":
			return healthcheck(ctx, args[1:], getenv, stderr)
		case "contract":
			return contract(ctx, args[1:], getenv, stdout, stderr)
		case "routes":
			return routes(ctx, args[1:], getenv, stdout, stderr)
		case "mock":
			return mockDocument(ctx, args[1:], getenv, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, version())
			return nil
		case "help", "--help", "-help", "-h":
			fs, _ := flags(getenv, stderr)
			usage(fs, stdout)
			return nil
		}
	}
	fs, o := flags(getenv, stderr)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if o.envErr != nil {
		return o.envErr
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	mo, err := o.mockOptions(log)
	if err != nil {
		return err
	}
	// Listen before the database is opened: a port in use or a bad
	// address fails the start without creating or seeding the file.
	lns, err := bind(mock.Registry(), o)
	if err != nil {
		return err
	}
	var prof net.Listener
	if o.pprof != "" {
		if prof, err = net.Listen("tcp", o.pprof); err != nil {
			closeAll(lns)
			return fmt.Errorf("--pprof: %w", err)
		}
	}
	a, err := mock.Open(ctx, mo)
	if err != nil {
		closeAll(lns)
		if prof != nil {
			prof.Close()
		}
		return err
	}
	served := serve(ctx, a, lns, prof, log)
	if err := a.Close(); err != nil {
		return errors.Join(served, fmt.Errorf("close the database: %w", err))
	}
	log.Info("database closed", "db", o.db)
	return served
}

// logger is the log --log-format asks for.
func (o *options) logger(stderr io.Writer) (*slog.Logger, error) {
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, nil)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)
}

// specFiles are the documents given, by provider.
func (o *options) specFiles() map[string]string {
	out := map[string]string{}
	for name, f := range o.specs {
		if *f != "" {
			out[name] = *f
		}
	}
	return out
}

// mockOptions turns the command's options into the server's.
func (o *options) mockOptions(log *slog.Logger) (mock.Options, error) {
	var clock time.Time
	if o.clock != "" {
		var err error
		if clock, err = time.Parse(time.RFC3339, o.clock); err != nil {
			return mock.Options{}, fmt.Errorf("--clock must be an RFC 3339 time such as 2025-01-01T00:00:00Z: %w", err)
		}
	}
	if o.journalSize < 1 {
		return mock.Options{}, fmt.Errorf("--journal-size must be at least 1, not %d", o.journalSize)
	}
	if o.callRing <= 0 || o.callTalk <= 0 || o.webhookTimeout <= 0 {
		return mock.Options{}, errors.New("--call-ring, --call-talk and --webhook-timeout must be positive durations such as 2s")
	}
	if o.webhookAttempts < 1 || o.webhookAttempts > 20 {
		return mock.Options{}, fmt.Errorf("--webhook-attempts must be from 1 to 20, not %d", o.webhookAttempts)
	}
	backoff := []time.Duration{}
	for i := range o.webhookAttempts - 1 {
		backoff = append(backoff, time.Second<<i)
	}
	return mock.Options{
		DB:                     o.db,
		FixturesDir:            o.fixtures,
		Specs:                  o.specFiles(),
		Reset:                  o.reset,
		AllowUnknownFields:     o.allowUnknown,
		Strict:                 o.strict,
		SkipResponseValidation: !o.validateResponses,
		NoSync:                 !o.fsync,
		Logger:                 log,
		Seed:                   o.seed,
		Clock:                  clock,
		NoControl:              !o.control,
		JournalSize:            o.journalSize,
		Calls:                  provider.CallTimings{Ring: o.callRing, Talk: o.callTalk},
		Webhooks:               mock.WebhookConfig{Timeout: o.webhookTimeout, Backoff: backoff},
	}, nil
}

// bind listens on every provider's address, in registry order.
func bind(reg []provider.Descriptor, o *options) ([]net.Listener, error) {
	var lns []net.Listener
	for _, d := range reg {
		ln, err := net.Listen("tcp", *o.addrs[d.Name])
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// serve serves the providers on lns and, when prof is not nil, the
// profiles on prof, all drained together.
func serve(ctx context.Context, a *mock.App, lns []net.Listener, prof net.Listener, log *slog.Logger) error {
	var eps []endpoint
	for i, d := range mock.Registry() {
		eps = append(eps, endpoint{name: d.Name, ln: lns[i], h: a.Servers[i], key: d.DefaultKey(a.Fixtures)})
	}
	if prof != nil {
		eps = append(eps, endpoint{name: "pprof", ln: prof, h: pprofHandler(), debug: true})
	}
	return listen(ctx, eps, a.Store.Path(), log)
}

// pprofHandler serves net/http/pprof on a mux of its own, so that nothing
// else registered on http.DefaultServeMux is exposed with it.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and the named profiles: heap, goroutine, allocs, …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// endpoint is one server to listen for: on ln, or else on addr.
type endpoint struct {
	name, addr string
	ln         net.Listener
	h          http.Handler
	key        string
	debug      bool // the profiles, logged as such rather than as a provider
}

// listen serves every endpoint until ctx ends or one fails, then drains
// them all. A server that fails is the error it returns, so that the
// process exits non-zero and a restart policy fires.
func listen(ctx context.Context, eps []endpoint, db string, log *slog.Logger) error {
	type listener struct {
		name, key string
		ln        net.Listener
		srv       *http.Server
	}
	var ls []listener
	for _, p := range eps {
		ln := p.ln
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", p.addr); err != nil {
				for _, l := range ls {
					l.ln.Close()
				}
				return fmt.Errorf("%s: %w", p.name, err)
			}
		}
		srv := mock.HTTPServer(p.h, log, 1)
		ls = append(ls, listener{p.name, p.key, ln, srv})
		base, _ := dialURL(ln.Addr().String())
		switch {
		case p.debug:
			log.Info("serving profiles", "url", base+"/debug/pprof/")
		case p.key != "":
			log.Info("serving", "provider", p.name, "base_url", base, "default_key", p.key)
		default:
			log.Info("serving", "provider", p.name, "base_url", base)
		}
	}
	log.Info("ready", "db", db)

	errs := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errs <- l.srv.Serve(l.ln) }()
	}
	var failed error
	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("server failed", "err", err)
			failed = fmt.Errorf("a server failed: %w", err)
		}
	}
	log.Info("shutting down: draining requests")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, l := range ls {
		if err := l.srv.Shutdown(shutdown); err != nil {
			log.Warn("shutdown", "provider", l.name, "err", err)
		}
	}
	return failed
}
