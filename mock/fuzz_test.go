package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

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
	app := openTestApp(f)
	diga, itl := fzClients(app)
	create := func(t *testing.T, c fzClient, path, body, idField string) string {
		_, data := c.do(t, "POST", path, []byte(body))
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
			c              fzClient
			path, body, id string
		}{
			{diga, "/v1/agent/", `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`, "agent_id"},
			{itl, "/v1/accounts/me/agents", itlCreate, "id"},
		} {
			target := create(t, p.c, p.path, p.body, p.id)
			status, data := p.c.do(t, "PATCH", target, body)
			if status == http.StatusOK {
				_, got := p.c.do(t, "GET", target, nil)
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
	diga, itl := fzClients(openTestApp(f))
	f.Fuzz(func(t *testing.T, query string) {
		diga.do(t, "GET", "/v1/agent/?"+query, nil)
		diga.do(t, "GET", "/v1/voice/?"+query, nil)
		itl.do(t, "GET", "/v1/accounts/me/agents?"+query, nil)
	})
}
