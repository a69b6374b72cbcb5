package contracttests

// Hostile input over real loopback HTTP, for both providers: bodies nested
// past any sane depth, numbers no float64 or int64 holds, bytes that are not
// UTF-8, duplicate keys, bodies of 100 MB, clients that send slowly, and
// floods of unknown paths. Each case checks the status, the provider's error
// shape, and that the stored agent did not change.
//
// Tests that take more than about two seconds run only with
// AGENTMOCK_SLOW_TESTS=1.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/agentmock/agentmock/mock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileAPI is one provider of an in-process agentmock, spoken to over
// loopback.
type hostileAPI struct {
	name        string // "diga" or "itellico"
	base        string
	header, key string
	agent       string // the fixture agent's path
	client      *http.Client
}

func hostileAPIs(srv *agentmocktest.Server) []hostileAPI {
	c := &http.Client{Timeout: 30 * time.Second}
	return []hostileAPI{
		{"diga", srv.DigaURL, "Authorization", "Bearer " + srv.DigaKey, "/v1/agent/" + FixtureDigaAgent, c},
		{"itellico", srv.ItellicoURL, "X-API-Key", srv.ItellicoKey, "/v1/accounts/me/agents/" + FixtureItellicoAgent, c},
	}
}

// send sends a request with a JSON content type and returns the status and
// body. It fails the test on a 5xx: whatever a client sends, agentmock must
// not fail.
func (a hostileAPI) send(t *testing.T, method, path string, body io.Reader, length int64) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.base+path, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = length
	}
	req.Header.Set(a.header, a.key)
	res, err := a.client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Less(t, res.StatusCode, 500, "%s %s %s: %s", a.name, method, path, data)
	return res.StatusCode, data
}

func (a hostileAPI) patch(t *testing.T, body string) (int, []byte) {
	t.Helper()
	return a.send(t, "PATCH", a.agent, strings.NewReader(body), int64(len(body)))
}

func (a hostileAPI) get(t *testing.T) string {
	t.Helper()
	status, data := a.send(t, "GET", a.agent, nil, 0)
	require.Equal(t, http.StatusOK, status, "%s", data)
	return string(data)
}

var (
	hostileDigaCode = regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	hostileItlCode  = regexp.MustCompile(`^[a-z][a-z_]*$`)
)

// hostileError is what the provider's error shapes carry, decoded.
type hostileError struct {
	// Diga's validation errors (FastAPI's), or its other errors.
	Detail []struct {
		Loc       []any
		Msg, Type string
	}
	Status    string
	ErrorCode string
	// itellico's errors; Message is Diga's too.
	Code    string
	Message string
	Errors  []struct{ Field, Message string }
	ItlInfo string // itellico's "detail" string
}

// errorShape checks an error body against the provider's shape, member by
// member, and decodes it.
func (a hostileAPI) errorShape(t *testing.T, data []byte) hostileError {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m), "%s error body is not a JSON object: %s", a.name, data)
	var e hostileError
	dec := func(k string, into any) {
		require.NoError(t, json.Unmarshal(m[k], into), "%s: member %q of %s", a.name, k, data)
	}
	switch a.name {
	case "diga":
		if _, ok := m["detail"]; ok {
			require.Len(t, m, 1, "diga: a validation error has only detail: %s", data)
			var items []map[string]json.RawMessage
			dec("detail", &items)
			require.NotEmpty(t, items, "%s", data)
			for _, it := range items {
				require.ElementsMatch(t, []string{"loc", "msg", "type"}, hostileKeys(it), "diga detail item: %s", data)
			}
			dec("detail", &e.Detail)
			for _, d := range e.Detail {
				require.NotEmpty(t, d.Loc, "%s", data)
				require.NotEmpty(t, d.Msg, "%s", data)
				require.NotEmpty(t, d.Type, "%s", data)
			}
			return e
		}
		require.ElementsMatch(t, []string{"status", "error_code", "message"}, hostileKeys(m), "diga error: %s", data)
		dec("status", &e.Status)
		dec("error_code", &e.ErrorCode)
		dec("message", &e.Message)
		require.Equal(t, "error", e.Status, "%s", data)
		require.Regexp(t, hostileDigaCode, e.ErrorCode, "%s", data)
	case "itellico":
		require.Contains(t, m, "code", "%s", data)
		require.Contains(t, m, "message", "%s", data)
		for k := range m {
			require.Contains(t, []string{"code", "message", "errors", "detail"}, k, "itellico error: %s", data)
		}
		dec("code", &e.Code)
		dec("message", &e.Message)
		require.Regexp(t, hostileItlCode, e.Code, "%s", data)
		if _, ok := m["errors"]; ok {
			var items []map[string]json.RawMessage
			dec("errors", &items)
			require.NotEmpty(t, items, "%s", data)
			for _, it := range items {
				require.ElementsMatch(t, []string{"field", "message"}, hostileKeys(it), "itellico errors item: %s", data)
			}
			dec("errors", &e.Errors)
		}
		if _, ok := m["detail"]; ok {
			dec("detail", &e.ItlInfo)
		}
	}
	return e
}

func hostileKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fields lists the members an error names: "body.max_reminder_count" for
// both providers.
func (e hostileError) fields() []string {
	var out []string
	for _, d := range e.Detail {
		out = append(out, locPath(d.Loc))
	}
	for _, f := range e.Errors {
		out = append(out, f.Field)
	}
	return out
}

// malformed asserts the provider's answer to a body that is not JSON:
// FastAPI's 422 json_invalid for Diga, 400 bad_request for itellico.
func (a hostileAPI) malformed(t *testing.T, status int, data []byte) hostileError {
	t.Helper()
	e := a.errorShape(t, data)
	switch a.name {
	case "diga":
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s", data)
		require.Len(t, e.Detail, 1, "%s", data)
		assert.Equal(t, "json_invalid", e.Detail[0].Type)
		require.Len(t, e.Detail[0].Loc, 2, "loc is [body, offset]: %s", data)
		assert.Equal(t, "body", e.Detail[0].Loc[0])
	case "itellico":
		require.Equal(t, http.StatusBadRequest, status, "%s", data)
		assert.Equal(t, "bad_request", e.Code)
	}
	return e
}

// TestHostileDeepNesting: nesting far past encoding/json's limit of 10000
// levels is a clear 4xx, answered at once (no recursion to blow a stack);
// nesting the decoder accepts in a typed member is a 422 naming it.
func TestHostileDeepNesting(t *testing.T) {
	srv := agentmocktest.New(t)
	const depth = 100000
	for _, a := range hostileAPIs(srv) {
		before := a.get(t)
		for _, c := range []struct{ name, body string }{
			{"arrays", strings.Repeat("[", depth) + strings.Repeat("]", depth)},
			{"objects", strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)},
			{"under a member", `{"name":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`},
			{"unclosed", strings.Repeat(`{"a":[`, depth)},
		} {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				start := time.Now()
				status, data := a.patch(t, c.body)
				took := time.Since(start)
				a.malformed(t, status, data)
				assert.Less(t, took, 2*time.Second, "answered in %v", took)
				t.Logf("%d levels, %d bytes: %d in %v", depth, len(c.body), status, took)
			})
		}
		t.Run(a.name+"/within the decoder's limit, in a typed member", func(t *testing.T) {
			const within = 9000
			start := time.Now()
			status, data := a.patch(t, `{"name":`+strings.Repeat("[", within)+strings.Repeat("]", within)+`}`)
			took := time.Since(start)
			require.Equal(t, http.StatusUnprocessableEntity, status, "%s", data)
			assert.Contains(t, a.errorShape(t, data).fields(), "body.name")
			assert.Less(t, took, 2*time.Second, "answered in %v", took)
			t.Logf("%d levels in name: %d in %v", within, status, took)
		})
		assert.Equal(t, before, a.get(t), "%s: the agent changed", a.name)
	}
	// A member that takes anything (itellico's metadata) takes nesting the
	// decoder accepts, and is merged, validated and stored in linear time
	// (evanphx/json-patch's merge once took 4 s for this, quadratically).
	t.Run("itellico/within the decoder's limit, in metadata", func(t *testing.T) {
		a := hostileAPIs(srv)[1]
		const within = 9000
		nested := strings.Repeat(`{"a":`, within) + "1" + strings.Repeat("}", within)
		start := time.Now()
		status, data := a.patch(t, `{"metadata":`+nested+`}`)
		took := time.Since(start)
		require.Equal(t, http.StatusOK, status, "%s", data)
		assert.Less(t, took, 2*time.Second, "answered in %v", took)
		assert.Contains(t, a.get(t), `"metadata":`+nested)
		t.Logf("%d levels in metadata: %d in %v", within, status, took)
	})
}

// TestHostileHugeNumbers: a number no float64 holds (1e400) is a 422 that
// names the member, in integer and number members alike; never a 500.
//
// Decided: an integer past int64 (99999999999999999999999) in an integer
// member without a maximum is accepted and stored digit for digit, because
// the documents declare "type: integer" with no format or maximum, which
// JSON Schema reads as unbounded (pydantic's int is unbounded too). Giving
// those members "format: int64" makes kin-openapi reject it. A number past
// int64 in a "number" member is an ordinary float64 (1e23) and is accepted.
func TestHostileHugeNumbers(t *testing.T) {
	srv := agentmocktest.New(t)
	apis := hostileAPIs(srv)
	diga, itl := apis[0], apis[1]
	for _, c := range []struct {
		api   hostileAPI
		body  string
		field string
	}{
		{diga, `{"max_reminder_count":1e400}`, "body.max_reminder_count"},
		{diga, `{"reminder_frequency_ms":-1e400}`, "body.reminder_frequency_ms"},
		{diga, `{"time_before_start":1e400}`, "body.time_before_start"},
		{diga, `{"time_before_start":-1e400}`, "body.time_before_start"},
		{itl, `{"max_duration_seconds":1e400}`, "body.max_duration_seconds"},
		{itl, `{"max_duration_seconds":99999999999999999999999}`, "body.max_duration_seconds"},
		{itl, `{"interrupt_settings":{"min_words":1e400}}`, "body.interrupt_settings.min_words"},
		{itl, `{"volume":{"web":1e400}}`, "body.volume.web"},
		{itl, `{"interrupt_settings":{"min_speech_seconds":-1e400}}`, "body.interrupt_settings.min_speech_seconds"},
		{itl, `{"model":{"temperature":1e400}}`, "body.model.temperature"},
	} {
		t.Run(c.api.name+"/"+c.body, func(t *testing.T) {
			before := c.api.get(t)
			status, data := c.api.patch(t, c.body)
			require.Equal(t, http.StatusUnprocessableEntity, status, "%s", data)
			e := c.api.errorShape(t, data)
			assert.Contains(t, e.fields(), c.field, "%s", data)
			assert.Equal(t, before, c.api.get(t), "the agent changed")
		})
	}
	for _, c := range []struct {
		api    hostileAPI
		body   string
		stored string // as the agent reads back
	}{
		{diga, `{"max_reminder_count":99999999999999999999999}`, `"max_reminder_count":99999999999999999999999`},
		{diga, `{"time_before_start":99999999999999999999999}`, `"time_before_start":99999999999999999999999`},
		{diga, `{"time_before_start":1e-400}`, `"time_before_start":1e-400`},
		{itl, `{"interrupt_settings":{"min_words":99999999999999999999999}}`, `"min_words":99999999999999999999999`},
		{itl, `{"metadata":{"x":1e400,"y":-99999999999999999999999}}`, `"metadata":{"x":1e400,"y":-99999999999999999999999}`},
	} {
		t.Run(c.api.name+"/accepted/"+c.body, func(t *testing.T) {
			status, data := c.api.patch(t, c.body)
			require.Equal(t, http.StatusOK, status, "%s", data)
			assert.Contains(t, string(data), c.stored)
			got := c.api.get(t)
			assert.Contains(t, got, c.stored, "the number reads back exactly")
			// Stored, it must not break the next PATCH (1e400 in metadata
			// once made every later PATCH of the agent a 500).
			status, data = c.api.patch(t, `{"name":"after"}`)
			require.Equal(t, http.StatusOK, status, "%s", data)
			assert.Contains(t, c.api.get(t), c.stored)
		})
	}
}

// TestHostileInvalidUTF8: bytes that are not UTF-8, in a string, a key or
// anywhere, make the body malformed (Python's json rejects them too), with
// Diga's loc naming the offset of the first bad byte; nothing is stored.
//
// Decided: an escaped lone surrogate ("\ud800") is valid JSON text; Go's
// decoder reads it as U+FFFD, which is what is stored (Python would keep the
// surrogate, and fail later when encoding it).
func TestHostileInvalidUTF8(t *testing.T) {
	srv := agentmocktest.New(t)
	for _, a := range hostileAPIs(srv) {
		for _, c := range []struct {
			name, body string
		}{
			{"in a string", "{\"name\":\"a\xff\xfeb\"}"},
			{"in a key", "{\"metadata\":{\"k\xffey\":1}}"},
			{"overlong NUL", "{\"name\":\"\xc0\x80\"}"},
			{"UTF-16 surrogate as bytes", "{\"name\":\"\xed\xa0\x80\"}"},
			{"truncated sequence", "{\"name\":\"\xe2\x82\"}"},
			{"Latin-1", "{\"name\":\"Mar\xeda\"}"},
		} {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				before := a.get(t)
				status, data := a.patch(t, c.body)
				e := a.malformed(t, status, data)
				bad := float64(strings.IndexFunc(c.body, func(r rune) bool { return r == '\uFFFD' }))
				if a.name == "diga" {
					assert.Equal(t, bad, e.Detail[0].Loc[1], "loc names the first bad byte: %s", data)
				} else {
					assert.Contains(t, e.ItlInfo, "UTF-8", "%s", data)
				}
				assert.Equal(t, before, a.get(t), "the agent changed")
			})
		}
		t.Run(a.name+"/escaped lone surrogate", func(t *testing.T) {
			status, data := a.patch(t, `{"name":"x\ud800y"}`)
			require.Equal(t, http.StatusOK, status, "%s", data)
			assert.Contains(t, a.get(t), `"name":"x`+"\uFFFD"+`y"`)
		})
	}
}

// TestHostileDuplicateKeys: a key given twice keeps its last value, at any
// depth, before validation: what Python's json (and so FastAPI) does, and
// what Go's decoder does. So the last value alone decides validity.
func TestHostileDuplicateKeys(t *testing.T) {
	srv := agentmocktest.New(t)
	apis := hostileAPIs(srv)
	diga, itl := apis[0], apis[1]
	for _, c := range []struct {
		api    hostileAPI
		body   string
		status int
		stored string // when accepted
		field  string // when rejected
	}{
		{diga, `{"name":"first","name":"last"}`, 200, `"name":"last"`, ""},
		{diga, `{"max_reminder_count":-1,"max_reminder_count":2}`, 200, `"max_reminder_count":2`, ""},
		{diga, `{"max_reminder_count":2,"max_reminder_count":-1}`, 422, "", "body.max_reminder_count"},
		{diga, `{"name":"kept","name":null}`, 200, `"name":null`, ""},
		{itl, `{"name":"first","name":"last"}`, 200, `"name":"last"`, ""},
		{itl, `{"max_duration_seconds":5,"max_duration_seconds":600}`, 200, `"max_duration_seconds":600`, ""},
		{itl, `{"max_duration_seconds":600,"max_duration_seconds":5}`, 422, "", "body.max_duration_seconds"},
		{itl, `{"metadata":{"a":1},"metadata":{"b":2,"b":3}}`, 200, `"metadata":{"b":3}`, ""},
	} {
		t.Run(c.api.name+"/"+c.body, func(t *testing.T) {
			before := c.api.get(t)
			status, data := c.api.patch(t, c.body)
			require.Equal(t, c.status, status, "%s", data)
			if c.status != http.StatusOK {
				assert.Contains(t, c.api.errorShape(t, data).fields(), c.field)
				assert.Equal(t, before, c.api.get(t), "the agent changed")
				return
			}
			assert.Contains(t, c.api.get(t), c.stored)
		})
	}
}

// countingReader streams n bytes of a JSON string's inside, counting what
// the transport read from it.
type countingReader struct {
	n, read atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	left := r.n.Load() - r.read.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), left)
	for i := range p[:k] {
		p[i] = 'a'
	}
	r.read.Add(k)
	return int(k), nil
}

// countingListener counts the bytes the server reads from its connections.
type countingListener struct {
	net.Listener
	read *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.read}, nil
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// hostileServer serves h on loopback through the http.Server the command
// uses (mock.HTTPServer), with every timeout divided by scale:
// agentmocktest's httptest servers have no timeouts at all. It returns the
// address and the count of bytes the server has read.
func hostileServer(t *testing.T, h http.Handler, scale time.Duration) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	read := &atomic.Int64{}
	hs := mock.HTTPServer(h, nil, scale)
	go func() { _ = hs.Serve(countingListener{ln, read}) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String(), read
}

// TestHostileHugeBody: 100 MB is refused with 413 in the provider's shape
// without being buffered: announced (Content-Length: 104857600) it is
// refused unread; streamed (chunked) reading stops at the 1 MiB limit. The
// bytes the server read from the socket are counted, and so are those the
// client handed over, which also fill the loopback socket buffers (a few
// MB) before the server closes the connection; both stay far below 100 MB.
func TestHostileHugeBody(t *testing.T) {
	srv := agentmocktest.New(t)
	const size = 100 << 20
	handlers := map[string]http.Handler{"diga": srv.App.Server("diga"), "itellico": srv.App.Server("itellico")}
	for _, a := range hostileAPIs(srv) {
		addr, serverRead := hostileServer(t, handlers[a.name], 1)
		for _, announced := range []bool{true, false} {
			name := a.name + "/chunked"
			if announced {
				name = a.name + "/Content-Length 104857600"
			}
			t.Run(name, func(t *testing.T) {
				before := a.get(t)
				serverRead.Store(0)
				src := &countingReader{}
				src.n.Store(size - int64(len(`{"name":""}`)))
				body := io.MultiReader(strings.NewReader(`{"name":"`), src, strings.NewReader(`"}`))
				start := time.Now()
				req, err := http.NewRequest("PATCH", "http://"+addr+a.agent, body)
				require.NoError(t, err)
				req.ContentLength = -1 // chunked
				if announced {
					req.ContentLength = size
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(a.header, a.key)
				tr := &http.Transport{} // the connection dies with the test
				defer tr.CloseIdleConnections()
				res, err := tr.RoundTrip(req)
				require.NoError(t, err)
				data, _ := io.ReadAll(res.Body)
				res.Body.Close()
				took, handed, read := time.Since(start), src.read.Load(), serverRead.Load()
				require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, "%s", data)
				e := a.errorShape(t, data)
				if a.name == "diga" {
					assert.Equal(t, "REQUEST_TOO_LARGE", e.ErrorCode)
				} else {
					assert.Equal(t, "payload_too_large", e.Code)
				}
				// After its answer, net/http drains up to 256 KiB more, then
				// closes the connection: wait until the count stands still.
				final := read
				for range 20 {
					time.Sleep(50 * time.Millisecond)
					if now := serverRead.Load(); now != final {
						final = now
						continue
					}
					break
				}
				// The 1 MiB limit, the 256 KiB drain, and buffers: under 2 MiB.
				assert.Less(t, final, int64(2<<20), "the server read %d bytes of %d", final, size)
				if announced {
					assert.Less(t, final, int64(512<<10), "an announced 100 MB is refused unread, yet the server read %d bytes", final)
				}
				handedAll := src.read.Load()
				assert.Less(t, handedAll, int64(16<<20), "the client handed over %d bytes of %d", handedAll, size)
				t.Logf("413 after %v; the server read %d bytes by the answer, %d in all; the client handed over %d by the answer, %d in all",
					took, read, final, handed, handedAll)
				assert.Equal(t, before, a.get(t), "the agent changed")
			})
		}
		// And through agentmocktest's own server: the same 413, unread.
		t.Run(a.name+"/agentmocktest Content-Length 104857600", func(t *testing.T) {
			src := &countingReader{}
			src.n.Store(size)
			status, data := a.send(t, "PATCH", a.agent, src, size)
			require.Equal(t, http.StatusRequestEntityTooLarge, status, "%s", data)
			a.errorShape(t, data)
			assert.Less(t, src.read.Load(), int64(16<<20), "the client handed over %d bytes", src.read.Load())
		})
	}
}

// trickle writes one byte every interval until the peer closes the
// connection or giveUp passes. It reports how long it kept writing, and
// what the peer sent meanwhile.
func trickle(conn net.Conn, b byte, interval, giveUp time.Duration) (time.Duration, []byte, error) {
	start := time.Now()
	var got []byte
	buf := make([]byte, 4096)
	for time.Since(start) < giveUp {
		if _, err := conn.Write([]byte{b}); err != nil {
			return time.Since(start), got, err
		}
		// A closed connection shows on the read side first.
		_ = conn.SetReadDeadline(time.Now().Add(interval))
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return time.Since(start), got, err
		}
	}
	return time.Since(start), got, nil
}

// TestHostileSlowClients: a client that sends its headers slowly
// (slowloris) is cut off by ReadHeaderTimeout without reaching the handler;
// one that sends its body slowly is cut off by ReadTimeout: agentmock's
// pipeline fails to read the body and answers 400, which, with WriteTimeout
// equal to ReadTimeout as cmd/agentmock has it, usually cannot be written
// any more. Either way nothing is stored. The server is configured as
// cmd/agentmock's, 30 times faster (ReadHeaderTimeout 333ms, ReadTimeout and
// WriteTimeout 1s).
func TestHostileSlowClients(t *testing.T) {
	srv := agentmocktest.New(t)
	handlers := map[string]http.Handler{"diga": srv.App.Server("diga"), "itellico": srv.App.Server("itellico")}
	const scale, giveUp = 30, 5 * time.Second
	for _, a := range hostileAPIs(srv) {
		addr, _ := hostileServer(t, handlers[a.name], scale)
		provider := agentmocktest.Provider(a.name)
		t.Run(a.name+"/slow headers", func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "GET /v1/slowloris HTTP/1.1\r\nHost: x\r\n%s: %s\r\nX-Slow: ", a.header, a.key)
			require.NoError(t, err)
			took, got, err := trickle(conn, 'z', 50*time.Millisecond, giveUp)
			require.Error(t, err, "still sending headers after %v: never cut off", took)
			assert.Less(t, took, 10*time.Second/scale+time.Second, "cut off after %v", took)
			assert.Empty(t, got, "nothing is answered to a request whose headers never end")
			assert.Empty(t, srv.Requests(t, agentmocktest.RequestFilter{Provider: provider, Path: "/v1/slowloris"}), "the handler saw it")
			t.Logf("cut off after %v: %v", took, err)
		})
		t.Run(a.name+"/slow body", func(t *testing.T) {
			t.Parallel()
			before := a.get(t)
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			body := `{"name":"slowly"}`
			_, err = fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: x\r\n%s: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				a.agent, a.header, a.key, len(body)+1000, body)
			require.NoError(t, err)
			took, got, err := trickle(conn, ' ', 50*time.Millisecond, giveUp)
			require.Error(t, err, "still sending the body after %v: never cut off", took)
			assert.Less(t, took, 30*time.Second/scale+time.Second, "cut off after %v", took)
			t.Logf("cut off after %v: %v; answered %q", took, err, got)
			if len(got) > 0 { // the 400 made it out before the write deadline
				res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
				require.NoError(t, err, "answered %q", got)
				data, _ := io.ReadAll(res.Body)
				assert.Equal(t, http.StatusBadRequest, res.StatusCode, "%s", data)
				a.errorShape(t, data)
			}
			// The pipeline answered 400, whether or not it reached us.
			j := srv.Requests(t, agentmocktest.RequestFilter{Provider: provider, Method: "PATCH"})
			require.NotEmpty(t, j)
			assert.Equal(t, http.StatusBadRequest, j[len(j)-1].Status)
			assert.Contains(t, j[len(j)-1].ResponseBody, "Could not read the request body")
			assert.Equal(t, before, a.get(t), "the agent changed")
		})
	}
}

// TestHostileUnknownPaths: 10,000 distinct unknown paths on each provider
// each get a 404 in the provider's shape, while the journal stays at its
// bound (1000 entries by default) and the heap grows by a few MB at most.
func TestHostileUnknownPaths(t *testing.T) {
	testenv.Slow(t) // 2 s, 7 s with -race
	srv := agentmocktest.New(t)
	apis := hostileAPIs(srv)
	const n, workers = 10000, 8

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for _, a := range apis {
		prefix := "/v1/no-such-thing-"
		if a.name == "itellico" {
			prefix = "/v1/accounts/me/no-such-thing-"
		}
		tr := &http.Transport{MaxIdleConnsPerHost: workers}
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		jobs := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range jobs {
					path := fmt.Sprintf("%s%d/%s", prefix, i, strings.Repeat("x", i%300))
					req, _ := http.NewRequest("GET", a.base+path, nil)
					req.Header.Set(a.header, a.key)
					res, err := c.Do(req)
					if err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
						continue
					}
					data, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusNotFound || (i%500 == 0 && !hostileShapeOK(a.name, data)) {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%s: %d %s", path, res.StatusCode, data))
						mu.Unlock()
					}
				}
			})
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		tr.CloseIdleConnections()
		require.Empty(t, failures, "%s: %d of %d requests went wrong", a.name, len(failures), n)

		// One of them, checked member by member.
		status, data := a.send(t, "GET", prefix+"last", nil, 0)
		require.Equal(t, http.StatusNotFound, status)
		a.errorShape(t, data)

		res, err := http.Get(a.base + "/_mock/requests/count")
		require.NoError(t, err)
		var count struct{ Count int }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&count))
		res.Body.Close()
		assert.Equal(t, 1000, count.Count, "%s: the journal keeps its newest 1000", a.name)
	}
	took := time.Since(start)

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d requests in %v; heap %d -> %d bytes (%+d)", 2*n, took, before.HeapAlloc, after.HeapAlloc, grown)
	assert.Less(t, grown, int64(6<<20), "the heap grew by %d bytes", grown)
}

// hostileShapeOK is errorShape for worker goroutines, which must not call
// t.FailNow.
func hostileShapeOK(prov string, data []byte) bool {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	if prov == "diga" {
		code, _ := m["error_code"].(string)
		return len(m) == 3 && m["status"] == "error" && hostileDigaCode.MatchString(code)
	}
	code, _ := m["code"].(string)
	_, msg := m["message"].(string)
	return msg && hostileItlCode.MatchString(code)
}
