// Package agentmocktest starts agentmock inside a Go test, the way
// net/http/httptest starts a server: both providers on free loopback ports,
// a temporary database, and cleanup when the test ends.
//
//	srv := agentmocktest.New(t)
//	req, _ := http.NewRequest("GET", srv.DigaURL+"/v1/agent/", nil)
//	req.Header.Set("Authorization", "Bearer "+srv.DigaKey)
package agentmocktest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/mock"
)

// Server is a running agentmock.
type Server struct {
	DigaURL     string
	ItellicoURL string
	// DigaKey and ItellicoKey are the fixtures' default keys.
	DigaKey     string
	ItellicoKey string
	// DBPath is the database file, for tests that restart on it.
	DBPath string

	App *mock.App

	close func()
}

// Close stops both providers and closes the database before the test ends,
// for tests that reopen the same file. It is safe to call twice.
func (s *Server) Close() { s.close() }

// Option changes how New starts the server.
type Option func(*mock.Options)

// WithAllowUnknownFields accepts and drops undeclared request members.
func WithAllowUnknownFields() Option { return func(o *mock.Options) { o.AllowUnknownFields = true } }

// WithDB uses the given database file instead of a new temporary one.
func WithDB(path string) Option { return func(o *mock.Options) { o.DB = path } }

// WithDigaSpec serves the given Diga document instead of the embedded one.
func WithDigaSpec(file string) Option { return func(o *mock.Options) { o.DigaSpec = file } }

// WithClock fixes the time used for timestamps.
func WithClock(at time.Time) Option { return func(o *mock.Options) { o.Clock = at } }

// WithoutControl turns the /_mock/ control API off.
func WithoutControl() Option { return func(o *mock.Options) { o.NoControl = true } }

// WithJournalSize bounds each provider's request journal.
func WithJournalSize(n int) Option { return func(o *mock.Options) { o.JournalSize = n } }

// WithSeed makes generated ids repeatable.
func WithSeed(seed uint64) Option { return func(o *mock.Options) { o.Seed = seed } }

// New starts both providers and stops them when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := mock.Options{DB: filepath.Join(t.TempDir(), "agentmock.db"), NoSync: true}
	for _, opt := range opts {
		opt(&o)
	}
	app, err := mock.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("agentmocktest: %v", err)
	}
	diga := httptest.NewServer(app.Diga)
	itl := httptest.NewServer(app.Itellico)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			diga.Close()
			itl.Close()
			if err := app.Close(); err != nil {
				t.Errorf("agentmocktest: close database: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &Server{
		close:       stop,
		DigaURL:     diga.URL,
		ItellicoURL: itl.URL,
		DigaKey:     mock.DefaultKey(app.Fixtures.Diga.Projects),
		ItellicoKey: mock.DefaultKey(app.Fixtures.Itellico.Accounts),
		DBPath:      o.DB,
		App:         app,
	}
}
