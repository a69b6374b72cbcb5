package mock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
)

// Options configure a whole agentmock: every provider of the Registry on
// one database.
type Options struct {
	// DB is the bbolt file; it is created, and seeded with the fixtures, when
	// it does not exist.
	DB string
	// FixturesDir replaces the embedded fixtures when set.
	FixturesDir string
	// Specs maps a provider's name to a document (a file or an http(s)
	// URL) replacing its embedded one.
	Specs map[string]string
	// Strict rejects request members the document does not declare with
	// the provider's 422, as a test for typos wants. By default they are
	// accepted and dropped, as the vendors do, each recorded as a warning
	// in the journal. AllowUnknownFields names the default, and wins.
	Strict             bool
	AllowUnknownFields bool
	// SkipResponseValidation turns off the check of every response.
	SkipResponseValidation bool
	// NoSync skips fsync: for throwaway databases.
	NoSync bool
	Logger *slog.Logger
	// Seed makes generated ids (and generated example data) repeatable; 0
	// means random.
	Seed uint64
	// Clock fixes the time used for timestamps when not zero.
	Clock time.Time
	// NoControl turns the /_mock/ control API off.
	NoControl bool
	// JournalSize bounds each provider's request journal (0: 1000).
	JournalSize int
	// Reset puts an existing database back to the fixtures at start; by
	// default its data is kept, and the fixtures load only into a new one.
	Reset bool
	// Calls are the simulated calls' timings; zero members take
	// DefaultRing and DefaultTalk.
	Calls provider.CallTimings
	// Webhooks tune webhook deliveries.
	Webhooks WebhookConfig
}

// Default call timings: short, so that a test in real time waits little.
const (
	DefaultRing = 2 * time.Second
	DefaultTalk = 8 * time.Second
)

// spec is the document a provider is given, "" for its embedded one.
func (o Options) spec(name string) string { return o.Specs[name] }

// App is every provider's server over one store.
type App struct {
	Store *store.Store
	// Servers are the providers' servers, in Registry order.
	Servers  []*Server
	Fixtures *fixtures.Set
	// stop ends the servers' background work (the clock's steps, webhook
	// deliveries), which runs from Open to Close; done closes when it has.
	stop func()
	done chan struct{}
}

// Server returns a provider's server by name, or nil.
func (a *App) Server(name string) *Server {
	for _, s := range a.Servers {
		if s.prov.Name() == name {
			return s
		}
	}
	return nil
}

// Open loads the documents and fixtures, opens the database and builds
// every provider's server.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	fx, err := fixtures.Load(o.FixturesDir)
	if err != nil {
		return nil, err
	}
	reg := Registry()
	// Parsing a document is most of a cold start: the providers' are
	// parsed at once, one per core.
	specs := make([]*openapi.Spec, len(reg))
	errs := make([]error, len(reg))
	var control *openapi.Spec
	var controlErr error
	var wg sync.WaitGroup
	for i, d := range reg {
		wg.Go(func() { specs[i], errs[i] = LoadSpec(ctx, o.spec(d.Name), d.Name, o.Logger) })
	}
	if !o.NoControl {
		// Once for every provider's control API, beside the others.
		wg.Go(func() { control, controlErr = openapi.LoadEmbedded(ctx, "control") })
	}
	wg.Wait()
	if err := errors.Join(append(errs, controlErr)...); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o.DB, store.Options{NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, o, st, fx, specs, control)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	a.start()
	return a, nil
}

func (a *App) start() {
	ctx, stop := context.WithCancel(context.Background())
	a.stop, a.done = stop, make(chan struct{})
	go func() {
		defer close(a.done)
		var wg sync.WaitGroup
		for _, s := range a.Servers {
			wg.Go(func() { s.run(ctx) })
		}
		wg.Wait()
	}()
}

func build(ctx context.Context, o Options, st *store.Store, fx *fixtures.Set, specs []*openapi.Spec, control *openapi.Spec) (*App, error) {
	empty, err := st.Empty(ctx)
	if err != nil {
		return nil, err
	}
	cfg := o.config(empty)
	cfg.ControlSpec = control
	a := &App{Store: st, Fixtures: fx}
	for i, d := range Registry() {
		// Our own documents declare every status we send; a user's may not.
		cfg.StrictStatus = o.spec(d.Name) == ""
		// Each provider's port has a clock of its own.
		cfg.Clock = NewClock(o.Clock)
		srv, err := newServer(ctx, specs[i], st, d.New(fx), cfg)
		if err != nil {
			return nil, err
		}
		a.Servers = append(a.Servers, srv)
	}
	switch {
	case empty:
	case o.Reset:
		for _, srv := range a.Servers {
			if err := srv.resetData(ctx); err != nil {
				return nil, fmt.Errorf("mock: reset %s: %w", srv.prov.Name(), err)
			}
		}
		o.Logger.Info("database reset to the fixtures", "db", st.Path())
	default:
		o.Logger.Info("reusing the database as it is: the fixtures load only into a new one (--reset starts from them)", "db", st.Path())
	}
	return a, nil
}

// config is the servers' configuration; seed loads the fixtures.
func (o Options) config(seed bool) Config {
	return Config{
		AllowUnknownFields: !o.Strict || o.AllowUnknownFields,
		ValidateResponses:  !o.SkipResponseValidation,
		Logger:             o.Logger,
		Clock:              NewClock(o.Clock),
		IDs:                NewIDs(o.Seed),
		GenerationSeed:     o.Seed,
		NoControl:          o.NoControl,
		JournalSize:        o.JournalSize,
		Seed:               seed,
		Pages:              NewGate(runtime.GOMAXPROCS(0)),
		Calls:              provider.CallTimings{Ring: cmp.Or(o.Calls.Ring, DefaultRing), Talk: cmp.Or(o.Calls.Talk, DefaultTalk)},
		Webhooks:           o.Webhooks,
	}
}

// Close stops the background work, waiting for deliveries in flight, and
// closes the database.
func (a *App) Close() error {
	if a.stop != nil {
		a.stop()
		<-a.done
	}
	return a.Store.Close()
}

// Document is one document served on its own (agentmock mock), over its
// own database.
type Document struct {
	Store  *store.Store
	Server *Server
}

// OpenDocument loads a document from file and serves it with the engine
// alone: Options' DB, fixtures and provider documents aside from DB are
// not used.
func OpenDocument(ctx context.Context, file string, o Options) (*Document, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	spec, err := LoadSpec(ctx, file, "document", o.Logger)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o.DB, store.Options{NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	srv, err := NewDocument(ctx, spec, st, o.config(false))
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &Document{Store: st, Server: srv}, nil
}

// Close closes the database.
func (d *Document) Close() error { return d.Store.Close() }

// LoadSpec reads a provider's document (by its registry name) from file, or
// the embedded one when file is "", and logs what strict validation found.
func LoadSpec(ctx context.Context, file, name string, log *slog.Logger) (*openapi.Spec, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if file == "" {
		// Our own documents pass strict validation (their tests say so)
		// and are OpenAPI 3: there is nothing to log or convert.
		spec, err := openapi.LoadEmbedded(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("%s document: %w", name, err)
		}
		return spec, nil
	}
	var data []byte
	var err error
	if strings.HasPrefix(file, "http://") || strings.HasPrefix(file, "https://") {
		data, err = fetch(ctx, file)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("%s document: %w", name, err)
	}
	if converted, ok, err := openapi.FromSwagger2(data); err != nil {
		return nil, fmt.Errorf("%s document: %w", name, err)
	} else if ok {
		log.Warn("the document is Swagger 2.0: serving it converted to OpenAPI 3", "provider", name)
		data = converted
	}
	spec, err := openapi.Load(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%s document: %w", name, err)
	}
	for _, w := range spec.Warnings {
		log.Warn("the document does not pass strict OpenAPI validation; serving it anyway", "provider", name, "warning", w)
	}
	return spec, nil
}

// fetchTimeout bounds fetching a document from a URL at start.
const fetchTimeout = 15 * time.Second

// fetch reads a document from an http(s) URL, as users have the vendors'.
func fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", url, res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	return data, nil
}
