// Command agentmock serves faithful, stateful mocks of the Diga and
// itellico.ai agent APIs from their OpenAPI documents.
//
//	agentmock [serve] [flags]
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
	"strings"
	"syscall"
	"time"

	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "agentmock:", err)
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
	return fs, o
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
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

	app, err := open(ctx, o, log)
	if err != nil {
		return err
	}
	defer app.store.Close()
	return app.serve(ctx, log)
}

type app struct {
	store    *store.Store
	diga     *mock.Server
	itellico *mock.Server
	fx       *fixtures.Set
	o        *options
}

func loadSpec(ctx context.Context, file, embedded string, log *slog.Logger) (*openapi.Spec, bool, error) {
	var data []byte
	var err error
	if file != "" {
		data, err = os.ReadFile(file)
	} else {
		data, err = openapi.Embedded(embedded)
	}
	if err != nil {
		return nil, false, err
	}
	spec, err := openapi.Load(ctx, data)
	if err != nil {
		return nil, false, fmt.Errorf("%s document: %w", embedded, err)
	}
	for _, w := range spec.Warnings {
		log.Warn("the document does not pass strict OpenAPI validation; serving it anyway", "provider", embedded, "warning", w)
	}
	return spec, file == "", nil
}

func open(ctx context.Context, o *options, log *slog.Logger) (*app, error) {
	fx, err := fixtures.Load(o.fixtures)
	if err != nil {
		return nil, err
	}
	digaSpec, digaOurs, err := loadSpec(ctx, o.digaSpec, "diga", log)
	if err != nil {
		return nil, err
	}
	itlSpec, itlOurs, err := loadSpec(ctx, o.itellicoSpec, "itellico", log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o.db, store.Options{NoSync: !o.fsync})
	if err != nil {
		return nil, err
	}
	empty, err := st.Empty(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg := mock.Config{AllowUnknownFields: o.allowUnknown, ValidateResponses: o.validateResponses, Logger: log, Seed: empty}
	a := &app{store: st, fx: fx, o: o}
	cfg.StrictStatus = digaOurs
	if a.diga, err = mock.NewDiga(ctx, digaSpec, st, &fx.Diga, cfg); err != nil {
		st.Close()
		return nil, err
	}
	cfg.StrictStatus = itlOurs
	if a.itellico, err = mock.NewItellico(ctx, itlSpec, st, &fx.Itellico, cfg); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) serve(ctx context.Context, log *slog.Logger) error {
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
		{"diga", a.o.digaAddr, a.diga, firstKey(a.fx.Diga.Projects)},
		{"itellico", a.o.itellicoAddr, a.itellico, firstKey(a.fx.Itellico.Accounts)},
	} {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			for _, l := range ls {
				l.ln.Close()
			}
			return fmt.Errorf("%s: %w", p.name, err)
		}
		srv := &http.Server{
			Handler:           p.h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		ls = append(ls, listener{p.name, p.key, ln, srv})
		log.Info("serving", "provider", p.name, "base_url", baseURL(ln.Addr()), "default_key", p.key)
	}
	log.Info("ready", "db", a.store.Path())

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

func firstKey(ts []fixtures.Tenant) string {
	for _, t := range ts {
		if t.Key != "" {
			return t.Key
		}
	}
	return ""
}

func baseURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

var _ = strings.TrimSpace
