package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func servePetstore(t *testing.T) string {
	t.Helper()
	d, err := OpenDocument(context.Background(), "testdata/petstore.yaml", Options{DB: filepath.Join(t.TempDir(), "doc.db"), NoSync: true, Seed: 5})
	require.NoError(t, err)
	srv := httptest.NewServer(d.Server)
	t.Cleanup(func() { srv.Close(); _ = d.Close() })
	return srv.URL
}

// pet sends one request to the pet store, with the key when key is set.
func pet(t *testing.T, base, method, path string, body any, key bool) (int, string, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	if key {
		req.Header.Set("X-Api-Key", "anything")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), out
}

func TestDocumentServedOnItsOwn(t *testing.T) {
	base := servePetstore(t)

	status, ct, prob := pet(t, base, "GET", "/pets", nil, false)
	assert.Equal(t, 401, status, "the document's security names a key")
	assert.Equal(t, problemJSON, ct)
	assert.Equal(t, map[string]any{"type": "about:blank", "title": "Unauthorized", "status": 401.0, "detail": "Invalid or missing API key"}, prob)
	status, _, _ = pet(t, base, "GET", "/stats", nil, false)
	assert.Equal(t, 200, status, "an operation that needs no security")

	status, _, created := pet(t, base, "POST", "/pets", map[string]any{"name": "Rex", "tag": "dog"}, true)
	require.Equal(t, 201, status, "%v", created)
	id, _ := created["id"].(string)
	require.NotEmpty(t, id)
	assert.NotEmpty(t, created["created_at"])

	status, _, got := pet(t, base, "GET", "/pets/"+id, nil, true)
	assert.Equal(t, 200, status)
	assert.Equal(t, "Rex", got["name"])

	status, _, page := pet(t, base, "GET", "/pets?tag=dog", nil, true)
	assert.Equal(t, 200, status)
	assert.Equal(t, 1.0, page["total"])
	assert.Len(t, page["items"], 1)

	status, _, replaced := pet(t, base, "PUT", "/pets/"+id, map[string]any{"name": "Max"}, true)
	assert.Equal(t, 200, status)
	assert.Equal(t, "Max", replaced["name"])
	assert.NotContains(t, replaced, "tag", "PUT replaces what a request sets")
	assert.Equal(t, id, replaced["id"])
	assert.Equal(t, created["created_at"], replaced["created_at"], "and keeps what only the server sets")

	status, ct, bad := pet(t, base, "POST", "/pets", map[string]any{"tag": "cat"}, true)
	assert.Equal(t, 422, status)
	assert.Equal(t, problemJSON, ct)
	assert.NotEmpty(t, bad["errors"])

	status, _, _ = pet(t, base, "DELETE", "/pets/"+id, nil, true)
	assert.Equal(t, 204, status)
	status, ct, missing := pet(t, base, "GET", "/pets/"+id, nil, true)
	assert.Equal(t, 404, status)
	assert.Equal(t, "application/json", ct, "the shape the operation declares for its 404")
	assert.Contains(t, missing["message"], id)
	assert.IsType(t, 0.0, missing["code"])

	status, _, ops := pet(t, base, "GET", "/_mock/operations", nil, false)
	assert.Equal(t, 200, status)
	assert.Equal(t, 5.0, ops["stateful"], "every operation but the report")
}
