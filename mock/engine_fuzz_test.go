package mock

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEngine sends what a client may send to every kind of derived
// operation (create, patch, nested, singleton, action, list filters) and
// holds the engine to an answer below 500 with a JSON body.
func FuzzEngine(f *testing.F) {
	doc, err := os.ReadFile("../openapi/resources/testdata/widgets.yaml")
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	file := filepath.Join(dir, "doc.yaml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		f.Fatal(err)
	}
	app, err := Open(context.Background(), Options{DB: filepath.Join(dir, "app.db"), NoSync: true, Specs: map[string]string{"diga": file}, Seed: 3})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = app.Close() })
	seeds := []struct{ method, path, body string }{
		{"POST", "/v1/widget/", `{"name":"a","tags":["x"],"parent_widget_id":null}`},
		{"POST", "/v1/widget/", `{"name":"a","parent_widget_id":"0f0f0f0f-0000-4000-8000-000000000000"}`},
		{"PATCH", "/v1/widget/0f0f0f0f-0000-4000-8000-000000000000", `{"name":null}`},
		{"GET", "/v1/widget/?color=blue&start_created_date=2026-01-01T00:00:00Z&page=2&limit=1", ``},
		{"GET", "/v1/widget/?after=0f0f0f0f-0000-4000-8000-000000000000", ``},
		{"POST", "/v1/widget/0f0f0f0f-0000-4000-8000-000000000000/part", `{"label":"l"}`},
		{"PATCH", "/v1/settings/", `{"threshold":3,"email":"a@b"}`},
		{"PATCH", "/v1/settings/", `[1,2]`},
		{"POST", "/v1/widget/0f0f0f0f-0000-4000-8000-000000000000/duplicate", `{"tags":["\u0000"]}`},
		{"GET", "/v1/report/usage?x=%ff", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if len(path) == 0 || path[0] != '/' {
			return
		}
		req := fuzzRequest(t, method, path, []byte(body))
		req.Header.Set("Authorization", "Bearer sk-diga-demo")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		app.Server("diga").ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: not JSON: %q", method, path, rec.Body.Bytes())
		}
	})
}
