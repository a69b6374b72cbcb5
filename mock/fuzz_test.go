package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/mock"
)

func openApp(t testing.TB) *mock.App {
	t.Helper()
	app, err := mock.Open(context.Background(), mock.Options{DB: filepath.Join(t.TempDir(), "f.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	return app
}

// call sends one request through the handler and fails the test on anything
// a client must never see: a 500 (a panic or a non-conforming response) or a
// body that is not JSON.
func call(t *testing.T, h http.Handler, method, target, header, key string, body []byte) (int, []byte) {
	var req *http.Request
	func() {
		defer func() { _ = recover() }() // httptest panics on a request line net/http would refuse
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
	}()
	if req == nil {
		t.Skipf("%s %q is no request line a client could send", method, target)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Body)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, data)
	}
	if len(data) > 0 && !json.Valid(data) {
		t.Fatalf("%s %s: body is not JSON: %q", method, target, data)
	}
	return rec.Code, data
}

// FuzzPatch drives both providers' PATCH, which decodes the body, validates
// it, merges it (RFC 7396) and validates the result. Whatever the bytes, the
// answer is a documented 2xx or 4xx, and an accepted patch reads back as
// stored.
func FuzzPatch(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"name":"x"}`, `{"max_reminder_count":null}`, `{"max_reminder_count":-1}`,
		`{"reminder_messages":["a"],"language":"en"}`, `{"integrations":[{"integration_id":"8e3b2c1a-4f5d-4a6b-8c7d-2e3f4a5b6c01","tool_ids":[]}]}`,
		`{"initial_message":{"delay_ms":null}}`, `{"metadata":{"a":{"b":[1,{"c":null}]}}}`,
		`{"model":{"foo":"bar"}}`, `{"transcriber":{"provider":"azure","language":"af-ZA"}}`,
		`{"max_duration_seconds":1e400}`, `{"max_duration_seconds":123456789012345678901234567890}`,
		"{\"name\":\"\xff\xfe\"}", `{"a":1,"a":2}`, `[[[[[[[[[[]]]]]]]]]]`, `null`, `"s"`, `{"name":`, ``,
	} {
		f.Add([]byte(seed))
	}
	app := openApp(f)
	create := func(t *testing.T, h http.Handler, path, header, key, body, idField string) string {
		_, data := call(t, h, "POST", path, header, key, []byte(body))
		var created map[string]any
		if err := json.Unmarshal(data, &created); err != nil || created[idField] == nil {
			t.Fatalf("create: %s", data)
		}
		return strings.TrimSuffix(path, "/") + "/" + created[idField].(string)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Fresh agents each time: a failure must not depend on what earlier
		// inputs did, or it could not be reproduced.
		for _, p := range []struct {
			h                           http.Handler
			header, key, path, body, id string
		}{
			{app.Server("diga"), "Authorization", "Bearer sk-diga-demo", "/v1/agent/", `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`, "agent_id"},
			{app.Server("itellico"), "X-API-Key", "itl-demo", "/v1/accounts/me/agents", itlCreate, "id"},
		} {
			target := create(t, p.h, p.path, p.header, p.key, p.body, p.id)
			status, data := call(t, p.h, "PATCH", target, p.header, p.key, body)
			if status == http.StatusOK {
				_, got := call(t, p.h, "GET", target, p.header, p.key, nil)
				if !bytes.Equal(data, got) {
					t.Fatalf("PATCH answered %s but GET reads %s", data, got)
				}
			}
		}
	})
}

const itlCreate = `{"model":{"model":"gpt-5-mini","provider":"azure_openai"},"transcriber":{"provider":"deepgram"},"voice":{"voice_id":"pMsXgVXv3BLzUgSXRplE","provider":"elevenlabs"}}`

// FuzzListQuery drives the list endpoints' query parsing: pagination cursors
// and limits for Diga, filters for itellico.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "limit=1", "limit=0", "limit=101", "order=asc&after=11111111-1111-4111-8111-111111111111",
		"before=11111111-1111-4111-8111-111111111111", "after=x&before=y", "page=2&limit=1", "page=0",
		"mode=path", "is_published=true", "offset=-1", "tags=a,b&tags=c", "name=SUP", "is_archived=true",
		"created_ge=2025-01-01T00:00:00Z", "modified_lt=2025-13-01", "created_gt=2025-01-01T00:00:00%2B02:00", "%zz", "a b",
	} {
		f.Add(seed)
	}
	app := openApp(f)
	f.Fuzz(func(t *testing.T, query string) {
		call(t, app.Server("diga"), "GET", "/v1/agent/?"+query, "Authorization", "Bearer sk-diga-demo", nil)
		call(t, app.Server("diga"), "GET", "/v1/voice/?"+query, "Authorization", "Bearer sk-diga-demo", nil)
		call(t, app.Server("itellico"), "GET", "/v1/accounts/me/agents?"+query, "X-API-Key", "itl-demo", nil)
	})
}
