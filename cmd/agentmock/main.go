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
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/agentmock/agentmock/mock"
)

func main() {
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

type options struct {
	digaAddr, itellicoAddr string
	db                     string
	fixtures               string
	digaSpec, itellicoSpec string
	allowUnknown           bool
	validateResponses      bool
	fsync                  bool
	logFormat              string
	control                bool
	journalSize            int
	seed                   uint64
	clock                  string
}

// flags binds every option to a flag whose default comes from its
// environment variable, so that both spellings work in compose files.
func flags(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *options) {
	fs := flag.NewFlagSet("agentmock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	str := func(p *string, name, env, def, usage string) {
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" (env "+env+")")
	}
	boolean := func(p *bool, name, env string, def bool, usage string) {
		if v, err := strconv.ParseBool(getenv(env)); err == nil {
			def = v
		}
		fs.BoolVar(p, name, def, usage+" (env "+env+")")
	}
	str(&o.digaAddr, "diga-addr", "AGENTMOCK_DIGA_ADDR", ":3000", "address the Diga API listens on")
	str(&o.itellicoAddr, "itellico-addr", "AGENTMOCK_ITELLICO_ADDR", ":4010", "address the itellico API listens on")
	str(&o.db, "db", "AGENTMOCK_DB", "agentmock.db", "bbolt database file")
	str(&o.fixtures, "fixtures", "AGENTMOCK_FIXTURES", "", "directory with diga.json and itellico.json replacing the embedded fixtures")
	str(&o.digaSpec, "diga-spec", "AGENTMOCK_DIGA_SPEC", "", "OpenAPI document (YAML or JSON) replacing the embedded Diga document")
	str(&o.itellicoSpec, "itellico-spec", "AGENTMOCK_ITELLICO_SPEC", "", "OpenAPI document replacing the embedded itellico document")
	boolean(&o.allowUnknown, "allow-unknown-fields", "AGENTMOCK_ALLOW_UNKNOWN_FIELDS", false, "accept and drop request members the document does not declare")
	boolean(&o.validateResponses, "validate-responses", "AGENTMOCK_VALIDATE_RESPONSES", true, "check every response against the document; a mismatch becomes a 500")
	boolean(&o.fsync, "fsync", "AGENTMOCK_FSYNC", true, "fsync every commit; false is for throwaway CI databases")
	str(&o.logFormat, "log-format", "AGENTMOCK_LOG_FORMAT", "text", "log format: text or json")
	boolean(&o.control, "control", "AGENTMOCK_CONTROL", true, "serve the control API under /_mock/ on each port")
	integer := func(p *int, name, env string, def int, usage string) {
		if v, err := strconv.Atoi(getenv(env)); err == nil {
			def = v
		}
		fs.IntVar(p, name, def, usage+" (env "+env+")")
	}
	integer(&o.journalSize, "journal-size", "AGENTMOCK_JOURNAL_SIZE", 1000, "requests each provider's journal keeps")
	seed := uint64(0)
	if v, err := strconv.ParseUint(getenv("AGENTMOCK_SEED"), 10, 64); err == nil {
		seed = v
	}
	fs.Uint64Var(&o.seed, "seed", seed, "make generated ids and example data repeatable; 0 is random (env AGENTMOCK_SEED)")
	str(&o.clock, "clock", "AGENTMOCK_CLOCK", "", "fix the time used for timestamps, e.g. 2025-01-01T00:00:00Z")
	return fs, o
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
		}
	}
	fs, o := flags(getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var handler slog.Handler
	switch o.logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(stderr, nil)
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)
	}
	log := slog.New(handler)
	mo, err := o.mockOptions(log)
	if err != nil {
		return err
	}
	a, err := mock.Open(ctx, mo)
	if err != nil {
		return err
	}
	served := serve(ctx, a, o, log)
	if err := a.Close(); err != nil {
		return errors.Join(served, fmt.Errorf("close the database: %w", err))
	}
	log.Info("database closed", "db", o.db)
	return served
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
	return mock.Options{
		DB:                     o.db,
		FixturesDir:            o.fixtures,
		DigaSpec:               o.digaSpec,
		ItellicoSpec:           o.itellicoSpec,
		AllowUnknownFields:     o.allowUnknown,
		SkipResponseValidation: !o.validateResponses,
		NoSync:                 !o.fsync,
		Logger:                 log,
		Seed:                   o.seed,
		Clock:                  clock,
		NoControl:              !o.control,
		JournalSize:            o.journalSize,
	}, nil
}

func serve(ctx context.Context, a *mock.App, o *options, log *slog.Logger) error {
	type listener struct {
		name, key string
		ln        net.Listener
		srv       *http.Server
	}
	var ls []listener
	for _, p := range []struct {
		name, addr string
		h          http.Handler
		key        string
	}{
		{"diga", o.digaAddr, a.Diga, mock.DefaultKey(a.Fixtures.Diga.Projects)},
		{"itellico", o.itellicoAddr, a.Itellico, mock.DefaultKey(a.Fixtures.Itellico.Accounts)},
	} {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			for _, l := range ls {
				l.ln.Close()
			}
			return fmt.Errorf("%s: %w", p.name, err)
		}
		srv := mock.HTTPServer(p.h, log, 1)
		ls = append(ls, listener{p.name, p.key, ln, srv})
		base, _ := dialURL(ln.Addr().String())
		log.Info("serving", "provider", p.name, "base_url", base, "default_key", p.key)
	}
	log.Info("ready", "db", a.Store.Path())

	errs := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errs <- l.srv.Serve(l.ln) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("server failed", "err", err)
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
	return nil
}
