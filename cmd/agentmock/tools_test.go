package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealthcheck(t *testing.T) {
	srv := agentmocktest.New(t)
	none := func(string) string { return "" }
	ctx := context.Background()
	var stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"healthcheck", "--url", srv.DigaURL + "/_mock/health"}, none, &stderr, &stderr))

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	err := run(ctx, []string{"healthcheck", "--url", down.URL + "/_mock/health"}, none, &stderr, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")

	// Nothing listening on the address the environment names.
	addr := freeAddr(t)
	env := func(k string) string {
		if k == "AGENTMOCK_DIGA_ADDR" {
			return addr
		}
		return ""
	}
	assert.Error(t, run(ctx, []string{"healthcheck", "--timeout", "500ms"}, env, &stderr, &stderr))
}

func TestContractSubcommand(t *testing.T) {
	srv := agentmocktest.New(t)
	none := func(string) string { return "" }
	ctx := context.Background()

	t.Run("agentmock passes, reading only by default", func(t *testing.T) {
		var out, errs bytes.Buffer
		require.NoError(t, run(ctx, []string{"contract", "--base-url", srv.DigaURL}, none, &out, &errs), "%s%s", out.String(), errs.String())
		assert.Regexp(t, `(^|\n)contract checks: [1-9][0-9]* run, [1-9][0-9]* passed, 0 failed, [0-9]+ inconclusive\n$`, out.String())
		assert.NotContains(t, out.String(), "FAIL ")
		sent := srv.Requests(t, agentmocktest.RequestFilter{})
		require.NotEmpty(t, sent)
		for _, e := range sent {
			assert.Equal(t, http.MethodGet, e.Method, "read-only mode sent %s %s", e.Method, e.Path)
		}
	})
	t.Run("with --write the bodies are probed too, and the target is left as found", func(t *testing.T) {
		state := func() string {
			res, err := http.Get(srv.ItellicoURL + "/_mock/state")
			require.NoError(t, err)
			defer res.Body.Close()
			data, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			return string(data)
		}
		count := func(query string) float64 {
			res, err := http.Get(srv.ItellicoURL + "/_mock/requests/count?" + query)
			require.NoError(t, err)
			defer res.Body.Close()
			var c struct{ Count float64 }
			require.NoError(t, json.NewDecoder(res.Body).Decode(&c))
			return c.Count
		}
		before := state()
		var out, errs bytes.Buffer
		require.NoError(t, run(ctx, []string{"contract", "--provider", "itellico", "--base-url", srv.ItellicoURL, "--write"}, none, &out, &errs))
		assert.Contains(t, out.String(), ", 0 failed")
		assert.NotEmpty(t, srv.Requests(t, agentmocktest.RequestFilter{Provider: agentmocktest.Itellico, Method: http.MethodPatch}))
		assert.Equal(t, before, state(), "the writes were undone")
		assert.Contains(t, errs.String(), "restored")
		assert.Zero(t, count("invalid=true"), "the deliberate violations are probes, out of the invalid count")
		assert.Positive(t, count("invalid=true&probes=true"))
	})
	t.Run("a service that accepts anything fails", func(t *testing.T) {
		lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		}))
		defer lax.Close()
		var out, errs bytes.Buffer
		err := run(ctx, []string{"contract", "--base-url", lax.URL}, none, &out, &errs)
		require.ErrorIs(t, err, errChecksFailed)
		assert.Contains(t, errs.String(), "using the embedded diga document")
		assert.Contains(t, out.String(), "FAIL GET /v1/agent/ query.limit")
		assert.NotContains(t, out.String(), " 0 failed")
	})
	t.Run("bad arguments", func(t *testing.T) {
		var out bytes.Buffer
		assert.Error(t, run(ctx, []string{"contract", "--provider", "acme"}, none, &out, &out))
		assert.Error(t, run(ctx, []string{"contract", "--param", "agent_id"}, none, &out, &out))
	})
}

func TestRoutes(t *testing.T) {
	none := func(string) string { return "" }
	var out, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"routes"}, none, &out, &stderr), stderr.String())
	text := out.String()
	// Every operation of the embedded documents is answered from state.
	for _, p := range []string{"diga", "itellico"} {
		m := regexp.MustCompile(p + `: (\d+) of (\d+) operations answered from state`).FindStringSubmatch(text)
		require.Len(t, m, 3, text)
		assert.Equal(t, m[1], m[2], p)
	}
	assert.Contains(t, text, "diga: 62 of 62 operations")
	assert.Contains(t, text, "itellico: 25 of 25 operations")
	assert.Regexp(t, `GET\s+/v1/knowledge/base/\s+resource\s+knowledge_base list`, text)
	assert.Regexp(t, `PATCH\s+/v1/agent/\{agent_id\}\s+provider`, text)

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"routes", "--json"}, none, &out, &stderr))
	var doc map[string]struct {
		Stateful, Total int
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	assert.Equal(t, 62, doc["diga"].Total)
	assert.Error(t, run(context.Background(), []string{"routes", "--no-such-flag"}, none, &out, &stderr))
}

// TestMockServesADocument runs `agentmock mock DOCUMENT` in process until
// its context ends: the document's operations answer from state.
func TestMockServesADocument(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "things.yaml")
	require.NoError(t, os.WriteFile(doc, []byte(`openapi: 3.0.3
info: {title: Things, version: "1"}
paths:
  /things:
    post:
      requestBody: {required: true, content: {application/json: {schema: {type: object, required: [label], properties: {label: {type: string}}}}}}
      responses:
        "201": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
  /things/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
components:
  schemas:
    Thing: {type: object, required: [id, label], properties: {id: {type: string}, label: {type: string}}}
`), 0o600))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"mock", doc, "--addr", addr, "--db", filepath.Join(dir, "doc.db"), "--fsync=false"}, func(string) string { return "" }, io.Discard, &stderr)
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/_mock/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "%s", &stderr)

	res, err := http.Post(base+"/things", "application/json", strings.NewReader(`{"label":"one"}`))
	require.NoError(t, err)
	var thing map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&thing))
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	res, err = http.Get(base + "/things/" + thing["id"].(string))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	cancel()
	require.NoError(t, <-done, stderr.String())
	assert.Error(t, run(context.Background(), []string{"mock"}, func(string) string { return "" }, io.Discard, io.Discard), "a document is required")
}
