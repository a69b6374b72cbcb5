package mock

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
)

// The hot paths of a PATCH, one benchmark each, then the whole handler:
//
//	go test ./mock/ -run '^$' -bench . -benchmem
//
// The figures are in the README's performance section.

const (
	benchDigaAgent = "/v1/agent/11111111-1111-4111-8111-111111111111"
	benchDigaPatch = `{"name":"Bench","max_reminder_count":2,"reminder_messages":["hola"],"language":"es"}`
)

func benchApp(b *testing.B, o Options) *App {
	b.Helper()
	o.DB = filepath.Join(b.TempDir(), "bench.db")
	app, err := Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Close() })
	return app
}

func benchPatchRequest(body string) *http.Request {
	req := httptest.NewRequest(http.MethodPatch, benchDigaAgent, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	return req
}

// BenchmarkRouteAndValidate: find the operation, decode the body once, check
// parameters (openapi3filter) and the body (compiled schema).
func BenchmarkRouteAndValidate(b *testing.B) {
	s := benchApp(b, Options{NoSync: true}).Server("diga")
	b.ReportAllocs()
	for b.Loop() {
		req := benchPatchRequest(benchDigaPatch)
		route, err := s.spec.FindRoute(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, body, err := s.readBody(req, route)
		if err != nil {
			b.Fatal(err)
		}
		if vs := s.validate(req, route, raw, body); len(vs) > 0 {
			b.Fatal(vs)
		}
	}
}

// BenchmarkMergeAndValidate: RFC 7396 merge of a PATCH into the stored
// agent, completion, and validation of the result.
func BenchmarkMergeAndValidate(b *testing.B) {
	app := benchApp(b, Options{NoSync: true})
	s := app.Server("diga")
	agents, err := provider.NewResource(s.spec, "POST /v1/agent/", "GET /v1/agent/{}", 200)
	if err != nil {
		b.Fatal(err)
	}
	rec, err := app.Store.Get(context.Background(), "diga/agents", "d1000000-0000-4000-8000-000000000001", "11111111-1111-4111-8111-111111111111")
	if err != nil {
		b.Fatal(err)
	}
	v, _ := provider.DecodeJSON([]byte(benchDigaPatch))
	patch := v.(map[string]any)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := agents.Merge(rec.Doc, patch, func(doc, _ map[string]any) error {
			doc["modified_at"] = "2025-01-01T00:00:00Z"
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreUpdate: one read-modify-write transaction, with and without
// fsync.
func BenchmarkStoreUpdate(b *testing.B) {
	for _, tc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, filepath.Join(b.TempDir(), "s.db"), store.Options{NoSync: tc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			doc := bytes.Repeat([]byte("x"), 2048)
			if _, err := st.Create(ctx, "c", "t", "a", doc); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Update(ctx, "c", "t", "a", func(d []byte, _ *store.Meta) ([]byte, error) { return d, nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResponseValidation: openapi3filter.ValidateResponse on the bytes
// a PATCH answers with.
func BenchmarkResponseValidation(b *testing.B) {
	app := benchApp(b, Options{NoSync: true})
	s := app.Server("diga")
	req := benchPatchRequest(benchDigaPatch)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	data := rec.Body.Bytes()
	route, err := s.spec.FindRoute(benchPatchRequest(benchDigaPatch))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.checkResponse(req, route, http.StatusOK, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchHandler: the whole PATCH through ServeHTTP (no network),
// with and without fsync, for both providers. A PATCH's answer is the agent
// validated as it was merged, so it is not validated twice: its cost with
// and without --validate-responses is the same (see BenchmarkGetHandler for
// an answer validated as it is sent).
func BenchmarkPatchHandler(b *testing.B) {
	cases := []struct {
		name string
		opts Options
		itl  bool
	}{
		{"diga/nosync", Options{NoSync: true}, false},
		{"diga/fsync", Options{}, false},
		{"itellico/nosync", Options{NoSync: true}, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			app := benchApp(b, tc.opts)
			var h http.Handler = app.Server("diga")
			newReq := func() *http.Request { return benchPatchRequest(benchDigaPatch) }
			if tc.itl {
				h = app.Server("itellico")
				newReq = func() *http.Request {
					req := httptest.NewRequest(http.MethodPatch, "/v1/accounts/me/agents/22222222-2222-4222-8222-222222222222",
						bytes.NewReader([]byte(`{"name":"Bench","max_duration_seconds":600,"metadata":{"team":"qa"}}`)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-API-Key", "itl-demo")
					return req
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, newReq())
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkGetHandler: GET an agent through ServeHTTP, with and without
// response validation, which GETs pay in full.
func BenchmarkGetHandler(b *testing.B) {
	for _, tc := range []struct {
		name string
		skip bool
	}{{"validated", false}, {"not-validated", true}} {
		b.Run(tc.name, func(b *testing.B) {
			app := benchApp(b, Options{NoSync: true, SkipResponseValidation: tc.skip})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, benchDigaAgent, nil)
				req.Header.Set("Authorization", "Bearer sk-diga-demo")
				rec := httptest.NewRecorder()
				app.Server("diga").ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkInvalidPatchHandler: a PATCH the document refuses, answered
// with the provider's 422 (itellico's 400 for a wrong type), through
// ServeHTTP: the violations come from the failing members alone.
func BenchmarkInvalidPatchHandler(b *testing.B) {
	app := benchApp(b, Options{NoSync: true})
	for _, tc := range []struct {
		name, provider, path, header, key, body string
		status                                  int
	}{
		{"diga", "diga", benchDigaAgent, "Authorization", "Bearer sk-diga-demo", `{"max_reminder_count":-1}`, http.StatusUnprocessableEntity},
		{"itellico", "itellico", "/v1/accounts/me/agents/22222222-2222-4222-8222-222222222222", "X-API-Key", "itl-demo",
			`{"max_duration_seconds":"long"}`, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := app.Server(tc.provider)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPatch, tc.path, bytes.NewReader([]byte(tc.body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(tc.header, tc.key)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code < 400 || rec.Code >= 500 || (tc.status != 0 && rec.Code != tc.status) {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkOpenAPILoad: what a cold start spends on our documents (loaded
// from their JSON copies), and on the same documents given as YAML files.
func BenchmarkOpenAPILoad(b *testing.B) {
	for _, name := range []string{"diga", "itellico"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := openapi.LoadEmbedded(context.Background(), name); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"-yaml", func(b *testing.B) {
			data, err := openapi.Embedded(name)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := openapi.Load(context.Background(), data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListPage: one page of 100 out of n stored agents, both providers.
// The load harness (cmd/agentmock-load) measures it at 100,000.
func BenchmarkListPage(b *testing.B) {
	const n = 2000
	app := benchApp(b, Options{NoSync: true})
	for _, tc := range []struct {
		name, create, list, header, key, body string
		h                                     http.Handler
	}{
		{"diga", "/v1/agent/", "/v1/agent/?limit=100", "Authorization", "Bearer sk-diga-demo",
			`{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`, app.Server("diga")},
		{"itellico", "/v1/accounts/me/agents", "/v1/accounts/me/agents?limit=100", "X-API-Key", "itl-demo",
			`{"model":{"provider":"azure_openai","model":"gpt-5-mini"},"transcriber":{"provider":"deepgram"},"voice":{"provider":"elevenlabs","voice_id":"pMsXgVXv3BLzUgSXRplE"}}`, app.Server("itellico")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range n {
				req := httptest.NewRequest(http.MethodPost, tc.create, bytes.NewReader([]byte(tc.body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(tc.header, tc.key)
				rec := httptest.NewRecorder()
				tc.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, tc.list, nil)
				req.Header.Set(tc.header, tc.key)
				rec := httptest.NewRecorder()
				tc.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkReset: POST /_mock/reset back to the default fixtures, fsync on,
// as the "well under 50 ms" asks.
func BenchmarkReset(b *testing.B) {
	app := benchApp(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		app.Server("diga").ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_mock/reset", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkOpen: what a cold start does before it serves, on a new database
// with fsync on, as `agentmock` starts: both documents parsed, the
// resources derived, the fixtures written.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		app, err := Open(context.Background(), Options{DB: filepath.Join(dir, fmt.Sprintf("open-%d.db", n))})
		if err != nil {
			b.Fatal(err)
		}
		if err := app.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
