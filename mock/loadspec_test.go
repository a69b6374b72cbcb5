package mock

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const swagger2 = `swagger: "2.0"
info: {title: Old, version: "1"}
paths:
  /things:
    get:
      produces: [application/json]
      responses:
        "200": {description: ok, schema: {type: array, items: {type: object, properties: {id: {type: string}}}}}
`

// TestLoadSpecSources: a document from a URL, a Swagger 2.0 one converted,
// and what is no OpenAPI document refused by name.
func TestLoadSpecSources(t *testing.T) {
	ctx := context.Background()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.yaml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(swagger2))
	}))
	defer web.Close()

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	spec, err := LoadSpec(ctx, web.URL+"/openapi.yaml", "document", log)
	require.NoError(t, err, "fetched from a URL")
	assert.NotNil(t, spec.Operation("GET /things"), "Swagger 2.0, converted")
	assert.Contains(t, logs.String(), "Swagger 2.0")

	_, err = LoadSpec(ctx, web.URL+"/missing.yaml", "document", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404")

	dir := t.TempDir()
	for name, text := range map[string]string{"hello.yaml": "hello: world\n", "swagger1.yaml": "swagger: \"1.2\"\n"} {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
		_, err := LoadSpec(ctx, file, "document", nil)
		require.Error(t, err, name)
	}
	_, err = LoadSpec(ctx, filepath.Join(dir, "hello.yaml"), "document", nil)
	assert.Contains(t, err.Error(), "not an OpenAPI document")
	broken := filepath.Join(dir, "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("openapi: 3.0.3\ninfo: [unclosed\n"), 0o600))
	_, err = LoadSpec(ctx, broken, "document", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "openapi: parse:", "a document that does not parse is said to, not its order")
}

// TestWrongDocumentIsSaid: a document given for the other provider is
// served, with a warning that it does not look like the provider's.
func TestWrongDocumentIsSaid(t *testing.T) {
	data, err := os.ReadFile("../openapi/itellico.yaml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "itellico.yaml")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	var logs bytes.Buffer
	app, err := Open(context.Background(), Options{DB: filepath.Join(t.TempDir(), "a.db"), NoSync: true, Specs: map[string]string{"diga": file},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer app.Close()
	assert.Contains(t, logs.String(), "does not look like this provider's")
	assert.Contains(t, logs.String(), "provider=diga")
}
