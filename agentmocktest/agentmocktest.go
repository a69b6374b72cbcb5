// Package agentmocktest starts agentmock inside a Go test, the way
// net/http/httptest starts a server: both providers on free loopback ports,
// a temporary database, and cleanup when the test ends.
//
//	srv := agentmocktest.New(t)
//	req, _ := http.NewRequest("GET", srv.DigaURL+"/v1/agent/", nil)
//	req.Header.Set("Authorization", "Bearer "+srv.DigaKey)
//
// Reset, Requests, AddFault and SetClock drive the control API that every
// agentmock serves under /_mock/, so tests written against a container work
// the same way.
package agentmocktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/mock"
)

// Provider names one of the APIs of agentmock's registry.
type Provider string

const (
	Diga     Provider = "diga"
	Itellico Provider = "itellico"
)

// TB is what the Server's methods need of a test: *testing.T and
// *testing.B have it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

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

	urls, keys map[Provider]string
	close      func()
}

// Option changes how New starts the server.
type Option func(*mock.Options)

// WithStrict rejects undeclared request members with the provider's 422,
// instead of accepting, dropping and journaling them as warnings.
func WithStrict() Option { return func(o *mock.Options) { o.Strict = true } }

// WithAllowUnknownFields accepts and drops undeclared request members: the
// default, and it wins over WithStrict.
func WithAllowUnknownFields() Option { return func(o *mock.Options) { o.AllowUnknownFields = true } }

// WithDB uses the given database file instead of a new temporary one.
func WithDB(path string) Option { return func(o *mock.Options) { o.DB = path } }

// WithSpec serves the given document (a file or an http(s) URL) for a
// provider instead of its embedded one.
func WithSpec(p Provider, file string) Option {
	return func(o *mock.Options) { o.Specs = withSpec(o.Specs, string(p), file) }
}

// WithDigaSpec serves the given Diga document instead of the embedded one.
func WithDigaSpec(file string) Option {
	return func(o *mock.Options) { o.Specs = withSpec(o.Specs, "diga", file) }
}

// WithItellicoSpec serves the given itellico document instead of ours.
func WithItellicoSpec(file string) Option {
	return func(o *mock.Options) { o.Specs = withSpec(o.Specs, "itellico", file) }
}

// WithFixtures loads diga.json and itellico.json from dir instead of the
// embedded fixtures.
func WithFixtures(dir string) Option { return func(o *mock.Options) { o.FixturesDir = dir } }

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
	dir := t.TempDir()
	srv, err := start(filepath.Join(dir, "agentmock.db"), opts)
	if err != nil {
		t.Fatalf("agentmocktest: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// Start starts both providers outside a test (an example, a TestMain). The
// caller must Close it, which also removes its temporary database.
func Start(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "agentmock-")
	if err != nil {
		return nil, err
	}
	srv, err := start(filepath.Join(dir, "agentmock.db"), opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	inner := srv.close
	srv.close = func() { inner(); os.RemoveAll(dir) }
	return srv, nil
}

func start(db string, opts []Option) (*Server, error) {
	o := mock.Options{DB: db, NoSync: true}
	for _, opt := range opts {
		opt(&o)
	}
	app, err := mock.Open(context.Background(), o)
	if err != nil {
		return nil, err
	}
	// One loopback server per provider of agentmock's registry.
	srv := &Server{DBPath: o.DB, App: app, urls: map[Provider]string{}, keys: map[Provider]string{}}
	var servers []*httptest.Server
	for i, d := range mock.Registry() {
		hs := httptest.NewServer(app.Servers[i])
		servers = append(servers, hs)
		srv.urls[Provider(d.Name)], srv.keys[Provider(d.Name)] = hs.URL, d.DefaultKey(app.Fixtures)
	}
	srv.DigaURL, srv.ItellicoURL = srv.urls[Diga], srv.urls[Itellico]
	srv.DigaKey, srv.ItellicoKey = srv.keys[Diga], srv.keys[Itellico]
	var once sync.Once
	srv.close = func() {
		once.Do(func() {
			for _, hs := range servers {
				hs.Close()
			}
			_ = app.Close()
		})
	}
	return srv, nil
}

// Close stops both providers and closes the database. New calls it at
// cleanup; calling it earlier (to reopen the same file) is safe.
func (s *Server) Close() { s.close() }

// URL is a provider's base URL; the zero Provider is Diga.
func (s *Server) URL(p Provider) string { return s.urls[orDiga(p)] }

// Key is the fixtures' default key for a provider; the zero Provider is
// Diga.
func (s *Server) Key(p Provider) string { return s.keys[orDiga(p)] }

func orDiga(p Provider) Provider {
	if p == "" {
		return Diga
	}
	return p
}

// Providers lists the providers the server runs, in agentmock's registry
// order.
func (s *Server) Providers() []Provider {
	var out []Provider
	for _, d := range mock.Registry() {
		out = append(out, Provider(d.Name))
	}
	return out
}

// Reset puts both providers back to the fixtures and empties their
// journals and fault rules.
func (s *Server) Reset(t TB) {
	t.Helper()
	for _, p := range s.Providers() {
		s.control(t, p, "POST", "/_mock/reset", nil, nil)
	}
}

// Violation is one way a request broke the document.
type Violation struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// Request is one entry of a provider's request journal.
type Request struct {
	Method       string      `json:"method"`
	Path         string      `json:"path"`
	Query        string      `json:"query"`
	OperationID  string      `json:"operation_id"`
	PathTemplate string      `json:"path_template"`
	Status       int         `json:"status"`
	LatencyMS    float64     `json:"latency_ms"`
	Valid        bool        `json:"valid"`
	Violations   []Violation `json:"violations"`
	RequestBody  string      `json:"request_body"`
	ResponseBody string      `json:"response_body"`
	Fault        string      `json:"fault"`
}

// RequestFilter selects journal entries; zero fields match anything.
type RequestFilter struct {
	Provider  Provider // Diga when empty
	Method    string
	Path      string // a path or a path template
	Operation string // an operation id
	Status    int
	// OnlyInvalid keeps the requests that broke the document.
	OnlyInvalid bool
}

// Requests returns the matching journal entries, oldest first.
func (s *Server) Requests(t TB, f RequestFilter) []Request {
	t.Helper()
	q := url.Values{"limit": {"10000"}, "order": {"asc"}}
	for k, v := range map[string]string{"method": f.Method, "path": f.Path, "operation": f.Operation} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Status != 0 {
		q.Set("status", strconv.Itoa(f.Status))
	}
	if f.OnlyInvalid {
		q.Set("invalid", "true")
	}
	var out struct {
		Items []Request `json:"items"`
	}
	s.control(t, f.Provider, "GET", "/_mock/requests?"+q.Encode(), nil, &out)
	return out.Items
}

// Fault is a fault rule: which requests it matches, how often it fires, and
// what it does.
type Fault struct {
	Provider    Provider `json:"-"` // Diga when empty
	Method      string   `json:"method,omitempty"`
	Path        string   `json:"path,omitempty"` // a path or a path template
	OperationID string   `json:"operation_id,omitempty"`
	// Count fires the rule this many times; 0 means every time.
	Count int `json:"count,omitempty"`
	// Probability fires it on this share of matches, drawn from Seed.
	Probability float64 `json:"probability,omitempty"`
	Seed        int64   `json:"seed,omitempty"`
	// Status answers with the provider's error body.
	Status int `json:"status,omitempty"`
	// RetryAfter sends Retry-After (a 429 unless Status says otherwise).
	RetryAfter *time.Duration `json:"-"`
	Delay      time.Duration  `json:"-"`
	DelayMax   time.Duration  `json:"-"`
	// Break is "connection_reset", "empty_response" or "truncated_response".
	Break string `json:"fault,omitempty"`
}

// AddFault adds a fault rule and returns its id.
func (s *Server) AddFault(t TB, f Fault) string {
	t.Helper()
	type wire struct {
		Fault
		RetryAfterSeconds *int `json:"retry_after_seconds,omitempty"`
		DelayMS           int  `json:"delay_ms,omitempty"`
		DelayMaxMS        int  `json:"delay_max_ms,omitempty"`
	}
	w := wire{Fault: f, DelayMS: int(f.Delay / time.Millisecond), DelayMaxMS: int(f.DelayMax / time.Millisecond)}
	if f.RetryAfter != nil {
		secs := int(*f.RetryAfter / time.Second)
		w.RetryAfterSeconds = &secs
	}
	var out struct {
		ID string `json:"id"`
	}
	s.control(t, f.Provider, "POST", "/_mock/faults", w, &out)
	return out.ID
}

// SetClock fixes the time every provider stamps resources with: each port
// has a clock of its own, and this sets them all.
func (s *Server) SetClock(t TB, at time.Time) {
	t.Helper()
	for _, p := range s.Providers() {
		s.control(t, p, "POST", "/_mock/clock", map[string]string{"time": at.UTC().Format(time.RFC3339Nano)}, nil)
	}
}

// Control calls the control API of a provider's port: in is sent as JSON,
// out decoded from the answer; a status of 300 or more fails the test.
func (s *Server) Control(t TB, p Provider, method, path string, in, out any) {
	t.Helper()
	s.control(t, p, method, path, in, out)
}

func (s *Server) control(t TB, p Provider, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("agentmocktest: %v", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL(p)+path, body)
	if err != nil {
		t.Fatalf("agentmocktest: %v", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("agentmocktest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("agentmocktest: %s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("agentmocktest: %s %s: %v", method, path, fmt.Errorf("decode: %w", err))
		}
	}
}

// withSpec sets one provider's document in a specs map, making the map
// when there is none yet.
func withSpec(specs map[string]string, provider, file string) map[string]string {
	if specs == nil {
		specs = map[string]string{}
	}
	specs[provider] = file
	return specs
}
