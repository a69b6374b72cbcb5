package mock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// loopClient sends requests to one server on loopback, with a credential
// in the provider's header.
type loopClient struct {
	t           *testing.T
	srv         *httptest.Server
	header, key string
}

// demoClient serves a provider of app on loopback, for its demo key.
func demoClient(t *testing.T, app *App, provider string) loopClient {
	t.Helper()
	srv := httptest.NewServer(app.Server(provider))
	t.Cleanup(srv.Close)
	if provider == "diga" {
		return loopClient{t, srv, "Authorization", "Bearer sk-diga-demo"}
	}
	return loopClient{t, srv, "X-API-Key", "itl-demo"}
}

// withKey is the client with another credential.
func (c loopClient) withKey(key string) loopClient {
	c.key = key
	return c
}

// do sends a request, its body as JSON when there is one, and reads the
// whole answer.
func (c loopClient) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, bytes.NewReader([]byte(body)))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(c.header, c.key)
	return roundTrip(c.t, c.srv, req)
}

// roundTrip sends req to srv and reads the whole answer.
func roundTrip(t *testing.T, srv *httptest.Server, req *http.Request) (int, string) {
	t.Helper()
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}
