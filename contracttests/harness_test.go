// Package contracttests is a black-box HTTP suite for agentmock. By default
// it starts agentmock in-process; with AGENTMOCK_DIGA_URL and
// AGENTMOCK_ITELLICO_URL set (and optionally AGENTMOCK_DIGA_KEY,
// AGENTMOCK_DIGA_OTHER_KEY, AGENTMOCK_ITELLICO_KEY,
// AGENTMOCK_ITELLICO_OTHER_KEY) it runs against that instance instead, and
// skips the tests that need to restart the server.
package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"
)

const (
	digaOtherKey     = "sk-diga-other"
	itellicoOtherKey = "itl-other"
	itellicoAccount  = "a0000000-0000-4000-8000-000000000001"
	itellicoSub      = "a0000000-0000-4000-8000-0000000000a1"
	itellicoOther    = "b0000000-0000-4000-8000-000000000002"
	voiceLucia       = FixtureDigaVoice
	voiceMateo       = "5e1b2a64-7c1d-4f0e-9a3b-2f6d8c9e0a11"
)

// target is where the suite sends requests.
type target struct {
	digaURL, itellicoURL string
	digaKey, itellicoKey string
	digaOther, itlOther  string
	// srv is set when agentmock runs in-process.
	srv *agentmocktest.Server
}

func external() bool {
	return os.Getenv("AGENTMOCK_DIGA_URL") != "" && os.Getenv("AGENTMOCK_ITELLICO_URL") != ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// start returns a fresh in-process agentmock (--strict), or the external
// one, which must run with --strict for the tests of undeclared members.
func start(t *testing.T, opts ...agentmocktest.Option) *target {
	t.Helper()
	if external() {
		return &target{
			digaURL:     os.Getenv("AGENTMOCK_DIGA_URL"),
			itellicoURL: os.Getenv("AGENTMOCK_ITELLICO_URL"),
			digaKey:     envOr("AGENTMOCK_DIGA_KEY", "sk-diga-demo"),
			itellicoKey: envOr("AGENTMOCK_ITELLICO_KEY", "itl-demo"),
			digaOther:   envOr("AGENTMOCK_DIGA_OTHER_KEY", digaOtherKey),
			itlOther:    envOr("AGENTMOCK_ITELLICO_OTHER_KEY", itellicoOtherKey),
		}
	}
	// The suite pins the vendors' validation, undeclared members
	// included: strict, as an external instance must be started too.
	srv := agentmocktest.New(t, append([]agentmocktest.Option{agentmocktest.WithStrict()}, opts...)...)
	return &target{
		digaURL: srv.DigaURL, itellicoURL: srv.ItellicoURL,
		digaKey: srv.DigaKey, itellicoKey: srv.ItellicoKey,
		digaOther: digaOtherKey, itlOther: itellicoOtherKey,
		srv: srv,
	}
}

func inProcessOnly(t *testing.T) {
	if external() {
		t.Skip("needs an in-process server")
	}
}

// client speaks to one provider with one key.
type client struct {
	t      *testing.T
	base   string
	header string // "Authorization" (bearer) or "X-API-Key"
	key    string
	// spec, when known, is the served document: every response is checked
	// against it here too, independently of the server's own check.
	spec   *openapi.Spec
	strict bool // the document is ours: every status must be declared
}

func (tg *target) diga(t *testing.T) client {
	c := client{t: t, base: tg.digaURL, header: "Authorization", key: tg.digaKey}
	if tg.srv != nil {
		c.spec, c.strict = tg.srv.App.Server("diga").Spec(), tg.srv.App.Server("diga").StrictStatus()
	}
	return c
}

func (tg *target) itellico(t *testing.T) client {
	c := client{t: t, base: tg.itellicoURL, header: "X-API-Key", key: tg.itellicoKey}
	if tg.srv != nil {
		c.spec, c.strict = tg.srv.App.Server("itellico").Spec(), tg.srv.App.Server("itellico").StrictStatus()
	}
	return c
}

// conforms checks a response against the served document, as sent.
func (c client) conforms(req *http.Request, res *http.Response, raw []byte) {
	c.t.Helper()
	if c.spec == nil || res.StatusCode == http.StatusTemporaryRedirect {
		return
	}
	route, err := c.spec.FindRoute(req)
	if err != nil {
		return // unknown routes are answered with the error schema, checked by the server
	}
	// A status the caller forced (Prefer, __code, a fault rule) need not be
	// one the operation declares; its body is still checked when it is.
	forced := req.Header.Get("Prefer") != "" || req.URL.Query().Get("__code") != "" || res.Header.Get("X-Agentmock-Fault") != ""
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: route.PathParams, Route: route.Route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: c.strict && !forced, MultiError: true},
	}
	input.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		c.t.Errorf("%s %s: %d response does not conform to the served document: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, truncate(string(raw)))
	}
}

func (c client) withKey(key string) client { c.key = key; return c }

// reply is a response with its raw body and the body decoded.
type reply struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// do sends body (a string of JSON, or nil) and decodes the answer.
func (c client) do(method, path string, body any, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		v := c.key
		if c.header == "Authorization" {
			v = "Bearer " + c.key
		}
		req.Header.Set(c.header, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	c.conforms(res.Request, res, raw)
	r := reply{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(c.t, json.Unmarshal(raw, &r.json), "body: %s", raw)
	}
	require.NotEqual(c.t, http.StatusInternalServerError, res.StatusCode, "%s %s: agentmock answered 500: %s", method, path, raw)
	return r
}

// must asserts the status and returns the reply.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", truncate(string(r.raw)))
	return r
}

// path reads a member by dotted path ("voice.id", "tags.0").
func (r reply) path(p string) any {
	var v any = r.json
	for _, k := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// keys lists an object's members in the order the body sends them.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		out = append(out, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return out
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
