package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The engine's tests serve a small document of our own in Diga's style
// (openapi/resources/testdata/widgets.yaml) on the Diga provider: nothing
// in it has Go code of its own.

const (
	demoProject = "d1000000-0000-4000-8000-000000000001"
	engineClock = "2026-03-01T12:00:00Z"
)

type engineClient struct {
	t   *testing.T
	url string
	key string
}

// serveDoc serves a Diga-style document over real HTTP on loopback, with a
// fixed clock and seed.
func serveDoc(t *testing.T, doc []byte) (engineClient, *App) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "doc.yaml")
	require.NoError(t, os.WriteFile(file, doc, 0o600))
	at, err := time.Parse(time.RFC3339, engineClock)
	require.NoError(t, err)
	app, err := Open(context.Background(), Options{DB: filepath.Join(dir, "app.db"), NoSync: true, Specs: map[string]string{"diga": file}, Clock: at, Seed: 7})
	require.NoError(t, err)
	srv := httptest.NewServer(app.Server("diga"))
	t.Cleanup(func() { srv.Close(); _ = app.Close() })
	return engineClient{t: t, url: srv.URL, key: "sk-diga-demo"}, app
}

func widgetsDoc(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile("../openapi/resources/testdata/widgets.yaml")
	require.NoError(t, err)
	return doc
}

func (c engineClient) as(key string) engineClient { c.key = key; return c }

// do sends a request and decodes the JSON answer (nil for none).
func (c engineClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return res.StatusCode, nil
	}
	var out map[string]any
	require.NoError(c.t, json.Unmarshal(raw, &out), "%s %s: %s", method, path, raw)
	return res.StatusCode, out
}

func (c engineClient) must(status int, method, path string, body any) map[string]any {
	c.t.Helper()
	got, out := c.do(method, path, body)
	require.Equal(c.t, status, got, "%s %s: %v", method, path, out)
	return out
}

func TestEngineCRUD(t *testing.T) {
	c, app := serveDoc(t, widgetsDoc(t))
	w := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear", "tags": []string{"a"}})
	id, _ := w["widget_id"].(string)
	require.Len(t, id, 36, "the id goes in the member the item path names")
	assert.Equal(t, "red", w["color"], "the create schema's default")
	assert.Equal(t, 0.0, w["part_count"], "a required count starts at zero")
	assert.Equal(t, "2026-03-01T12:00:00Z", w["created_date"], "timestamps come from the server's clock")
	assert.Equal(t, demoProject, w["project_id"], "the tenant member is the project")
	secret, _ := w["secret"].(string)
	assert.Len(t, secret, 64, "the create answer shows the secret")

	got := c.must(200, "GET", "/v1/widget/"+id, nil)
	assert.NotContains(t, got, "secret", "a secret is shown once")
	for _, k := range []string{"widget_id", "name", "color", "tags", "part_count", "created_date", "serial"} {
		assert.Equal(t, w[k], got[k], k)
	}

	list := c.must(200, "GET", "/v1/widget/", nil)
	assert.Equal(t, false, list["has_more"])
	assert.Equal(t, id, list["first_id"])

	cleared := c.must(422, "PATCH", "/v1/widget/"+id, map[string]any{"tags": nil})
	assert.Contains(t, cleared, "detail", "a required member cannot be cleared")
	patched := c.must(200, "PATCH", "/v1/widget/"+id, map[string]any{"color": "blue", "tags": []string{"b"}})
	assert.Equal(t, "blue", patched["color"])
	assert.Equal(t, "Gear", patched["name"], "a merge patch keeps what it does not name")
	assert.Equal(t, "2026-03-01T12:00:00Z", patched["updated_at"])
	_, invalidPatch := c.do("PATCH", "/v1/widget/"+id, map[string]any{"color": "mauve"})
	assert.Contains(t, invalidPatch, "detail", "an invalid patch is FastAPI's 422")

	// Stored state, as the control API shows it.
	_, state := c.do("GET", "/_mock/state", nil)
	colls, _ := state["collections"].(map[string]any)
	require.Contains(t, colls, "diga/widget")
	assert.Contains(t, colls["diga/widget"], demoProject)

	c.must(204, "DELETE", "/v1/widget/"+id, nil)
	missing := c.must(404, "GET", "/v1/widget/"+id, nil)
	assert.Equal(t, "WIDGET_NOT_FOUND", missing["error_code"], "the code the document declares for the 404")
	assert.Equal(t, "error", missing["status"])
	c.must(404, "PATCH", "/v1/widget/"+id, map[string]any{"name": "x"})
	c.must(404, "DELETE", "/v1/widget/"+id, nil)
	_ = app
}

func TestEngineNestedGoesWithParent(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	id := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear"})["widget_id"].(string)
	p := c.must(201, "POST", "/v1/widget/"+id+"/part", map[string]any{"label": "cog"})
	assert.Equal(t, id, p["widget_id"], "a nested record names its parent")
	pid := p["id"].(string)
	c.must(200, "GET", "/v1/widget/"+id+"/part/"+pid, nil)
	parts := c.must(200, "GET", "/v1/widget/"+id+"/part", nil)
	assert.Len(t, parts["data"], 1)

	other := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Other"})["widget_id"].(string)
	c.must(404, "GET", "/v1/widget/"+other+"/part/"+pid, nil)

	c.must(204, "DELETE", "/v1/widget/"+id, nil)
	gone := c.must(404, "GET", "/v1/widget/"+id+"/part/"+pid, nil)
	assert.Contains(t, gone["message"], id, "the parent is what is missing")
	c.must(404, "GET", "/v1/widget/"+id+"/part", nil)
	c.must(404, "POST", "/v1/widget/"+id+"/part", map[string]any{"label": "cog"})
}

func TestEngineReferences(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	const ghost = "0f0f0f0f-0000-4000-8000-000000000000"
	bad := c.must(422, "POST", "/v1/widget/", map[string]any{"name": "Child", "parent_widget_id": ghost})
	detail, _ := bad["detail"].([]any)
	require.Len(t, detail, 1)
	first := detail[0].(map[string]any)
	assert.Equal(t, []any{"body", "parent_widget_id"}, first["loc"])
	assert.Contains(t, first["msg"], ghost)

	parent := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Parent"})["widget_id"].(string)
	child := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Child", "parent_widget_id": parent})["widget_id"].(string)
	c.must(422, "PATCH", "/v1/widget/"+child, map[string]any{"parent_widget_id": ghost})
	c.must(204, "DELETE", "/v1/widget/"+parent, nil)
	c.must(422, "PATCH", "/v1/widget/"+child, map[string]any{"parent_widget_id": parent})
	c.must(200, "PATCH", "/v1/widget/"+child, map[string]any{"parent_widget_id": nil})

	// Another project's record is no reference.
	theirs := c.as("sk-diga-other").must(201, "POST", "/v1/widget/", map[string]any{"name": "Theirs"})["widget_id"].(string)
	c.must(422, "POST", "/v1/widget/", map[string]any{"name": "Child", "parent_widget_id": theirs})
}

func TestEngineActions(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	w := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear"})
	id := w["widget_id"].(string)
	rotated := c.must(200, "POST", "/v1/widget/"+id+"/rotate", nil)
	assert.Len(t, rotated["secret"], 64)
	assert.NotEqual(t, w["secret"], rotated["secret"], "a rotated secret is new")
	assert.NotContains(t, c.must(200, "GET", "/v1/widget/"+id, nil), "secret")
	c.must(404, "POST", "/v1/widget/0f0f0f0f-0000-4000-8000-000000000000/rotate", nil)

	dup := c.must(201, "POST", "/v1/widget/"+id+"/duplicate", map[string]any{"name": "Gear 2"})
	assert.NotEqual(t, id, dup["widget_id"])
	assert.Equal(t, "Gear 2", dup["name"])
	c.must(200, "GET", "/v1/widget/"+dup["widget_id"].(string), nil)
	assert.Len(t, c.must(200, "GET", "/v1/widget/", nil)["data"], 2, "the duplicate is stored")
}

func TestEngineSingletonPerTenant(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	fresh := c.must(200, "GET", "/v1/settings/", nil)
	assert.Equal(t, 10.0, fresh["threshold"], "the schema's default")
	assert.Equal(t, false, fresh["enabled"])
	c.must(200, "PATCH", "/v1/settings/", map[string]any{"threshold": 3, "email": "ops@example.com"})
	got := c.must(200, "GET", "/v1/settings/", nil)
	assert.Equal(t, 3.0, got["threshold"])
	assert.Equal(t, "ops@example.com", got["email"])
	assert.Equal(t, 10.0, c.as("sk-diga-other").must(200, "GET", "/v1/settings/", nil)["threshold"], "one document per tenant")
	c.must(422, "PATCH", "/v1/settings/", map[string]any{"threshold": -1})
}

func TestEngineTenancyPermissionsFilters(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	id := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear"})["widget_id"].(string)
	c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Blue", "color": "blue"})

	other := c.as("sk-diga-other")
	other.must(404, "GET", "/v1/widget/"+id, nil)
	other.must(404, "DELETE", "/v1/widget/"+id, nil)
	assert.Empty(t, other.must(200, "GET", "/v1/widget/", nil)["data"])

	ro := c.as("sk-diga-readonly")
	ro.must(200, "GET", "/v1/widget/"+id, nil)
	for _, w := range []struct{ method, path string }{
		{"POST", "/v1/widget/"}, {"PATCH", "/v1/widget/" + id}, {"DELETE", "/v1/widget/" + id},
		{"POST", "/v1/widget/" + id + "/rotate"}, {"PATCH", "/v1/settings/"},
	} {
		body := map[string]any{"name": "x"}
		if w.method == "DELETE" || strings.HasSuffix(w.path, "rotate") {
			body = nil
		}
		res := ro.must(403, w.method, w.path, body)
		assert.Contains(t, res["message"], "Missing required permissions", "%s %s", w.method, w.path)
	}

	blue := c.must(200, "GET", "/v1/widget/?color=blue", nil)["data"].([]any)
	require.Len(t, blue, 1)
	assert.Equal(t, "Blue", blue[0].(map[string]any)["name"])
	assert.Len(t, c.must(200, "GET", "/v1/widget/?start_created_date=2026-03-01T12:00:00Z", nil)["data"], 2)
	assert.Empty(t, c.must(200, "GET", "/v1/widget/?start_created_date=2026-03-02T00:00:00Z", nil)["data"])
	named := c.must(200, "GET", "/v1/widget/?name=LU", nil)["data"].([]any)
	require.Len(t, named, 1, "a name matches by a part of it, ignoring case")
	assert.Equal(t, "Blue", named[0].(map[string]any)["name"])
	paged := c.must(200, "GET", "/v1/widget/?page=1&limit=1", nil)
	assert.Equal(t, 2.0, paged["total_pages"])
}

func TestEngineGeneratedIsStable(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	first := c.must(200, "GET", "/v1/report/usage", nil)
	assert.Equal(t, first, c.must(200, "GET", "/v1/report/usage", nil), "the same request answers the same body")

	// A view of a record needs the record, and names what exists.
	c.must(404, "GET", "/v1/report/widget/0f0f0f0f-0000-4000-8000-000000000000", nil)
	id := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear"})["widget_id"].(string)
	report := c.must(200, "GET", "/v1/report/widget/"+id, nil)
	assert.Equal(t, id, report["widget_id"], "the path's record")
	assert.Equal(t, id, report["parent_widget_id"], "a reference names a record the project has")
	assert.Equal(t, report, c.must(200, "GET", "/v1/report/widget/"+id, nil))
}

// A path added to a document gets state with no Go code.
func TestEngineStateFromAnAddedPath(t *testing.T) {
	gadget := `  /v1/gadget/:
    post:
      requestBody: {required: true, content: {application/json: {schema: {type: object, required: [label], properties: {label: {type: string}}}}}}
      responses:
        "201": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Gadget'}}}}
  /v1/gadget/{gadget_id}:
    get:
      parameters:
      - {name: gadget_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Gadget'}}}}
components:
  schemas:
    Gadget:
      type: object
      required: [id, label]
      properties:
        id: {type: string}
        label: {type: string}
`
	doc := strings.Replace(string(widgetsDoc(t)), "components:\n  securitySchemes:", strings.TrimSuffix(gadget, "components:\n  schemas:\n    Gadget:\n      type: object\n      required: [id, label]\n      properties:\n        id: {type: string}\n        label: {type: string}\n")+"components:\n  securitySchemes:", 1)
	doc = strings.Replace(doc, "  schemas:\n    Color:", "  schemas:\n    Gadget:\n      type: object\n      required: [id, label]\n      properties:\n        id: {type: string}\n        label: {type: string}\n    Color:", 1)
	c, _ := serveDoc(t, []byte(doc))
	g := c.must(201, "POST", "/v1/gadget/", map[string]any{"label": "new"})
	id, _ := g["id"].(string)
	require.NotEmpty(t, id)
	assert.Equal(t, "new", c.must(200, "GET", "/v1/gadget/"+id, nil)["label"])
	c.as("sk-diga-other").must(404, "GET", "/v1/gadget/"+id, nil)
}

func TestOperationsSayHowEachIsAnswered(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	got := c.must(200, "GET", "/_mock/operations", nil)
	ops, _ := got["operations"].([]any)
	assert.Equal(t, got["total"], float64(len(ops)))
	byKey := map[string]map[string]any{}
	for _, o := range ops {
		m := o.(map[string]any)
		byKey[m["method"].(string)+" "+m["path"].(string)] = m
	}
	tests := []struct{ key, behaviour, action, collection string }{
		{"POST /v1/widget/{widget_id}/rotate", "resource", "rotate", "diga/widget"},
		{"GET /v1/widget/{widget_id}/part", "resource", "list", "diga/widget.part"},
		{"PATCH /v1/settings/", "resource", "write", "diga/settings"},
		{"GET /v1/report/usage", "generated", "", ""},
	}
	for _, tt := range tests {
		o := byKey[tt.key]
		require.NotNil(t, o, tt.key)
		assert.Equal(t, tt.behaviour, o["behaviour"], tt.key)
		if tt.action == "" {
			assert.Nil(t, o["action"], tt.key)
			assert.Contains(t, o["detail"], "stable", tt.key)
			continue
		}
		assert.Equal(t, tt.action, o["action"], tt.key)
		assert.Equal(t, tt.collection, o["collection"], tt.key)
	}
	generated := 0
	for _, o := range byKey {
		if o["behaviour"] == "generated" {
			generated++
		}
	}
	assert.Equal(t, 2, generated, "the usage report and the widget report's body")
	assert.Equal(t, float64(len(ops)-generated), got["stateful"])
}

func TestEngineCreatedKeysAuthenticate(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	k := c.must(200, "POST", "/v1/api_key/", map[string]any{"name": "ci", "restricted": true, "permissions": []string{"widgets.view"}})
	value, _ := k["value"].(string)
	require.Len(t, value, 64, "the key's value is shown once, at creation")
	assert.Equal(t, value[60:], k["last_four_digits"])
	assert.NotContains(t, c.must(200, "GET", "/v1/api_key/"+k["id"].(string), nil), "value")

	mine := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear"})["widget_id"].(string)
	c.as("sk-diga-other").must(201, "POST", "/v1/widget/", map[string]any{"name": "Theirs"})

	key := c.as(value)
	assert.Len(t, key.must(200, "GET", "/v1/widget/", nil)["data"], 1, "the key acts for the project that made it")
	key.must(200, "GET", "/v1/widget/"+mine, nil)
	key.must(403, "POST", "/v1/widget/", map[string]any{"name": "x"})

	c.must(200, "PATCH", "/v1/api_key/"+k["id"].(string), map[string]any{"permissions": []string{"widgets.*"}})
	key.must(201, "POST", "/v1/widget/", map[string]any{"name": "x"})
	c.must(200, "PATCH", "/v1/api_key/"+k["id"].(string), map[string]any{"restricted": false})
	key.must(200, "PATCH", "/v1/settings/", map[string]any{"threshold": 1})

	c.must(200, "DELETE", "/v1/api_key/"+k["id"].(string), nil)
	gone := key.must(401, "GET", "/v1/widget/", nil)
	assert.Equal(t, "INVALID_API_KEY", gone["error_code"])

	expired := c.must(200, "POST", "/v1/api_key/", map[string]any{"name": "old", "expiry_date": "2026-03-01T11:00:00Z"})
	c.as(expired["value"].(string)).must(401, "GET", "/v1/widget/", nil)
	c.as("not-a-key").must(401, "GET", "/v1/widget/", nil)

	// A reset forgets created keys with the rest.
	live := c.must(200, "POST", "/v1/api_key/", map[string]any{"name": "live"})["value"].(string)
	c.as(live).must(200, "GET", "/v1/widget/", nil)
	c.must(200, "POST", "/_mock/reset", nil)
	c.as(live).must(401, "GET", "/v1/widget/", nil)
}

// A record written under another document (a fixture, an old snapshot)
// lacks members this one requires: reads and writes fill them, and what a
// patch clears stays cleared.
func TestEngineFillsRecordsFromElsewhere(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	const id = "0a0a0a0a-0000-4000-8000-000000000001"
	c.must(200, "PUT", "/_mock/state", map[string]any{"provider": "diga", "collections": map[string]any{
		"diga/widget": map[string]any{demoProject: []any{map[string]any{"id": id, "doc": map[string]any{"widget_id": id, "name": "Old"}}}},
	}})
	got := c.must(200, "GET", "/v1/widget/"+id, nil)
	assert.Equal(t, "Old", got["name"])
	assert.Equal(t, []any{}, got["tags"], "a required member filled as a fresh record's")
	patched := c.must(200, "PATCH", "/v1/widget/"+id, map[string]any{"color": "green"})
	assert.Equal(t, "green", patched["color"])
	assert.NotEmpty(t, patched["created_date"])
	c.must(422, "PATCH", "/v1/widget/"+id, map[string]any{"tags": nil})
}

// TestDocumentsOwnErrors: a 405 names the allowed methods, and a Prefer
// for an error status answers the document's own example for it.
func TestDocumentsOwnErrors(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	req, err := http.NewRequest("PUT", c.url+"/v1/widget/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "GET, POST", res.Header.Get("Allow"))

	req, err = http.NewRequest("GET", c.url+"/v1/widget/0f0f0f0f-0000-4000-8000-000000000000", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	req.Header.Set("Prefer", "code=404")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "WIDGET_NOT_FOUND", body["error_code"])
}

// TestJournalOrder: newest first by default, oldest first with order=asc.
func TestJournalOrder(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	c.must(200, "GET", "/v1/report/usage", nil)
	c.must(200, "GET", "/v1/settings/", nil)
	paths := func(query string) []any {
		items := c.must(200, "GET", "/_mock/requests"+query, nil)["items"].([]any)
		var out []any
		for _, it := range items {
			out = append(out, it.(map[string]any)["path"])
		}
		return out
	}
	assert.Equal(t, []any{"/v1/settings/", "/v1/report/usage"}, paths(""))
	assert.Equal(t, []any{"/v1/report/usage", "/v1/settings/"}, paths("?order=asc"))
}

// TestUndeclaredMembersAreDroppedAndSaid: by default a member the document
// does not declare is accepted and dropped, as the vendors do, and the
// journal says so; Strict makes it the provider's 422.
func TestUndeclaredMembersAreDroppedAndSaid(t *testing.T) {
	c, _ := serveDoc(t, widgetsDoc(t))
	w := c.must(201, "POST", "/v1/widget/", map[string]any{"name": "Gear", "nmae": "typo"})
	assert.NotContains(t, w, "nmae", "dropped")
	warned := c.must(200, "GET", "/_mock/requests?warnings=true", nil)["items"].([]any)
	require.Len(t, warned, 1)
	ws := warned[0].(map[string]any)["warnings"].([]any)
	require.Len(t, ws, 1)
	assert.Equal(t, "body.nmae", ws[0].(map[string]any)["field"])
	assert.Equal(t, true, warned[0].(map[string]any)["valid"], "a warning is not a violation")
	assert.Equal(t, 0.0, c.must(200, "GET", "/_mock/requests/count?invalid=true", nil)["count"])

	dir := t.TempDir()
	file := filepath.Join(dir, "doc.yaml")
	require.NoError(t, os.WriteFile(file, widgetsDoc(t), 0o600))
	app, err := Open(context.Background(), Options{DB: filepath.Join(dir, "s.db"), NoSync: true, Specs: map[string]string{"diga": file}, Strict: true})
	require.NoError(t, err)
	defer app.Close()
	srv := httptest.NewServer(app.Server("diga"))
	defer srv.Close()
	strict := engineClient{t: t, url: srv.URL, key: "sk-diga-demo"}
	bad := strict.must(422, "POST", "/v1/widget/", map[string]any{"name": "Gear", "nmae": "typo"})
	assert.Equal(t, "extra_forbidden", bad["detail"].([]any)[0].(map[string]any)["type"])
}
