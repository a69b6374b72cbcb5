package mock

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/agentmock/agentmock/mock/provider"
)

// TestPanicIsTheProvidersError: a handler that panics answers the
// provider's 500, which the document declares, the journal records it, and
// the next request is served. The chain of steps is made once (routes.go),
// so this is what shows recover still wraps it.
func TestPanicIsTheProvidersError(t *testing.T) {
	app := openTestApp(t)
	s := app.Server("diga")
	const key = "GET /v1/voice/"
	require.NotNil(t, s.handlers[key])
	s.handlers[key] = func(*provider.Request) (provider.Response, error) { panic("boom") }
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	get := func(path string) (int, map[string]any) {
		res, data := digaCall(t, srv, http.MethodGet, path, "", nil)
		var body map[string]any
		require.NoError(t, json.Unmarshal(data, &body), "%s", data)
		return res.StatusCode, body
	}
	status, body := get("/v1/voice/")
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, s.errorBody(provider.Fail(http.StatusInternalServerError, "Internal Server Error")), body)

	_, entries := s.journal.query(filter{}, 1)
	require.Len(t, entries, 1)
	assert.Equal(t, "/v1/voice/", entries[0].Path)
	assert.Equal(t, http.StatusInternalServerError, entries[0].Status)

	status, body = get("/v1/agent/11111111-1111-4111-8111-111111111111")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "11111111-1111-4111-8111-111111111111", body["agent_id"])
}

// TestAnswersCarryTheirLength: every answer is framed by Content-Length,
// as the providers frame theirs, not streamed in chunks. net/http chunks
// what a handler writes past 2 KB unless the handler gives the length: a
// page of agents is past it, one agent and an error are not.
func TestAnswersCarryTheirLength(t *testing.T) {
	app := openTestApp(t)
	srv := httptest.NewServer(app.Server("diga"))
	t.Cleanup(srv.Close)
	do := func(method, path, body string) (*http.Response, []byte) {
		return digaCall(t, srv, method, path, "application/json", strings.NewReader(body))
	}
	for range 4 {
		res, data := do(http.MethodPost, "/v1/agent/", `{"voice_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","language":"es"}`)
		require.Equal(t, http.StatusCreated, res.StatusCode, "%s", data)
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		large                    bool
	}{
		{"a page", http.MethodGet, "/v1/agent/?limit=100", "", http.StatusOK, true},
		{"one agent", http.MethodGet, "/v1/agent/11111111-1111-4111-8111-111111111111", "", http.StatusOK, false},
		{"a 422", http.MethodPatch, "/v1/agent/11111111-1111-4111-8111-111111111111", `{"max_reminder_count":-1}`, http.StatusUnprocessableEntity, false},
		{"a 404", http.MethodGet, "/v1/agent/00000000-0000-4000-8000-000000000000", "", http.StatusNotFound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, data := do(tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, res.StatusCode, "%s", data)
			assert.Empty(t, res.TransferEncoding)
			assert.Equal(t, int64(len(data)), res.ContentLength)
			assert.Equal(t, tc.large, len(data) >= chunkingSize, "%d bytes", len(data))
			assert.True(t, json.Valid(data), "%s", data)
		})
	}
}

// TestBodiesAreReadAsSent: a body is read whole however it is framed, and
// its media type is judged as mime.ParseMediaType would judge it, the
// common application/json answered without parsing included. A body
// shorter than its Content-Length is the provider's 400, and the agent is
// left as it was.
func TestBodiesAreReadAsSent(t *testing.T) {
	app := openTestApp(t)
	srv := httptest.NewServer(app.Server("diga"))
	t.Cleanup(srv.Close)
	const path = "/v1/agent/11111111-1111-4111-8111-111111111111"
	name := func() string {
		rec, err := app.Store.Get(context.Background(), "diga/agents", "d1000000-0000-4000-8000-000000000001", "11111111-1111-4111-8111-111111111111")
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(rec.Doc, &doc))
		return fmt.Sprint(doc["name"])
	}
	for i, tc := range []struct {
		name, contentType string
		chunked           bool
		status            int
	}{
		{"json", "application/json", false, http.StatusOK},
		{"json, chunked", "application/json", true, http.StatusOK},
		{"json with a charset", "application/json; charset=utf-8", false, http.StatusOK},
		{"json in capitals", "Application/JSON", false, http.StatusOK},
		{"a +json type", "application/merge-patch+json", false, http.StatusOK},
		{"text", "text/plain", false, http.StatusUnsupportedMediaType},
		{"a form", "multipart/form-data; boundary=x", false, http.StatusUnsupportedMediaType},
		{"no type", "", false, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			was := name()
			want := fmt.Sprintf("Renamed %d", i)
			var body io.Reader = strings.NewReader(`{"name":"` + want + `"}`)
			if tc.chunked {
				body = io.MultiReader(body) // no length: the client chunks it
			}
			res, data := digaCall(t, srv, http.MethodPatch, path, tc.contentType, body)
			require.Equal(t, tc.status, res.StatusCode, "%s", data)
			if tc.status == http.StatusOK {
				assert.Equal(t, want, name())
			} else {
				assert.Equal(t, was, name())
				assert.Contains(t, string(data), "Content-Type must be application/json")
			}
		})
	}

	t.Run("shorter than its length", func(t *testing.T) {
		was := name()
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		body := `{"name":"Cut short"}`
		_, err = fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-diga-demo\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body)+10, body)
		require.NoError(t, err)
		require.NoError(t, conn.(*net.TCPConn).CloseWrite())
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "%s", data)
		assert.Contains(t, string(data), "Could not read the request body")
		assert.Equal(t, was, name())
	})
}

// digaCall sends one request with Diga's demo key, and a Content-Type
// where one is given, and reads the whole answer.
func digaCall(t *testing.T, srv *httptest.Server, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk-diga-demo")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, data
}
