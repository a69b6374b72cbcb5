package contracttests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ctl calls a port's control API. It needs no key.
func ctl(t *testing.T, base string) client {
	return client{t: t, base: base}
}

func TestControlHealthAndDocument(t *testing.T) {
	tg := start(t)
	for name, base := range map[string]string{"diga": tg.digaURL, "itellico": tg.itellicoURL} {
		t.Run(name, func(t *testing.T) {
			c := ctl(t, base)
			r := c.do("GET", "/_mock/health", nil).must(t, http.StatusOK)
			assert.Equal(t, "ready", r.json["status"])
			assert.Equal(t, name, r.json["provider"])
			doc := c.do("GET", "/_mock/openapi.json", nil).must(t, http.StatusOK)
			assert.Equal(t, "3.0.3", doc.json["openapi"])
			assert.Contains(t, doc.json["paths"], map[string]string{"diga": "/v1/agent/{agent_id}", "itellico": "/v1/accounts/{account_id}/agents/{agent_id}"}[name])
			r = c.do("POST", "/_mock/clock", `{"advance":"soon"}`).must(t, http.StatusUnprocessableEntity)
			assert.Contains(t, r.json["message"], "duration")
			r = c.do("POST", "/_mock/faults", `{"status":99}`).must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"], "control calls are validated against their own document")
			assert.Equal(t, "body.status", r.path("errors.0.field"))
		})
	}
}

func TestControlResetAndState(t *testing.T) {
	inProcessOnly(t)
	tg := start(t)
	d, c := tg.diga(t), ctl(t, tg.digaURL)
	id := newDigaAgent(t, d)
	snap := c.do("GET", "/_mock/state", nil).must(t, http.StatusOK)
	assert.Equal(t, "diga", snap.json["provider"])

	d.do("PATCH", "/v1/agent/"+id, `{"name":"after the snapshot"}`).must(t, http.StatusOK)
	other := newDigaAgent(t, d)

	r := c.do("PUT", "/_mock/state", snap.raw).must(t, http.StatusOK)
	assert.Equal(t, "restored", r.json["status"])
	assert.Nil(t, d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["name"], "restored to the snapshot")
	d.do("GET", "/v1/agent/"+other, nil).must(t, http.StatusNotFound)
	again := c.do("GET", "/_mock/state", nil).must(t, http.StatusOK)
	assert.JSONEq(t, string(snap.raw), string(again.raw), "a restore reproduces the snapshot exactly")

	c.do("POST", "/_mock/faults", `{"path":"/v1/voice/","status":500}`).must(t, http.StatusCreated)
	r = c.do("POST", "/_mock/reset", nil).must(t, http.StatusOK)
	// The figure itself, with fsync on, is BenchmarkReset's.
	assert.Less(t, r.json["took_ms"], 50.0, "reset is well under 50 ms for the default fixtures")
	assert.Equal(t, []any{}, c.do("GET", "/_mock/faults", nil).must(t, http.StatusOK).json["items"], "reset clears the fault rules")
	d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
	list := d.do("GET", "/v1/agent/", nil).must(t, http.StatusOK)
	assert.Equal(t, []string{"11111111-1111-4111-8111-111111111111"}, agentIDs(list), "back to the fixtures")
	assert.Equal(t, 2.0, c.do("GET", "/_mock/requests/count", nil).must(t, http.StatusOK).json["count"], "reset cleared the journal: only the two GETs since")

	wrong := strings.Replace(string(snap.raw), `"provider":"diga"`, `"provider":"itellico"`, 1)
	c.do("PUT", "/_mock/state", wrong).must(t, http.StatusUnprocessableEntity)
	ctl(t, tg.itellicoURL).do("POST", "/_mock/reset", nil).must(t, http.StatusOK)
}

func TestJournal(t *testing.T) {
	tg := start(t)
	d, c := tg.diga(t), ctl(t, tg.digaURL)
	c.do("DELETE", "/_mock/requests", nil).must(t, http.StatusNoContent)
	id := newDigaAgent(t, d)
	d.do("PATCH", "/v1/agent/"+id, `{"max_reminder_count":-1,"language":"xx"}`).must(t, http.StatusUnprocessableEntity)
	d.do("PATCH", "/v1/agent/"+id, `{"name":"ok","secret_token":"hide-me"}`)
	d.do("GET", "/v1/agnet/", nil).must(t, http.StatusNotFound)

	all := c.do("GET", "/_mock/requests", nil).must(t, http.StatusOK)
	assert.Equal(t, 4.0, all.json["count"])
	newest := all.path("items.0").(map[string]any)
	assert.Equal(t, "/v1/agnet/", newest["path"])
	assert.Contains(t, newest["nearest_operations"], "GET /v1/agent/", "unmatched requests name the closest operations")

	invalid := c.do("GET", "/_mock/requests?invalid=true&method=PATCH", nil).must(t, http.StatusOK)
	require.Equal(t, 2.0, invalid.json["count"])
	e := invalid.path("items.1").(map[string]any)
	assert.Equal(t, "update_agent_v1_agent__agent_id__patch", e["operation_id"])
	assert.Equal(t, "/v1/agent/{agent_id}", e["path_template"])
	assert.Equal(t, 422.0, e["status"])
	assert.Len(t, e["violations"], 2, "every violation of the request")
	assert.Equal(t, "Bearer ****", e["request_headers"].(map[string]any)["Authorization"], "credentials are masked")
	assert.NotContains(t, fmt.Sprint(invalid.json), "sk-diga-demo")
	assert.Contains(t, invalid.path("items.0.request_body"), `"secret_token":"****"`)

	for q, want := range map[string]float64{
		"status=422":                            2,
		"path=/v1/agent/{agent_id}":             2,
		"path=/v1/agent/":                       1,
		"operation=create_agent_v1_agent__post": 1,
		"invalid=false":                         2,
		"method=GET&status=404":                 1,
	} {
		assert.Equal(t, want, c.do("GET", "/_mock/requests/count?"+q, nil).must(t, http.StatusOK).json["count"], q)
	}
	c.do("DELETE", "/_mock/requests", nil).must(t, http.StatusNoContent)
	assert.Equal(t, 0.0, c.do("GET", "/_mock/requests/count", nil).must(t, http.StatusOK).json["count"])
}

func TestJournalIsBounded(t *testing.T) {
	inProcessOnly(t)
	tg := start(t, agentmocktest.WithJournalSize(50))
	d := tg.diga(t)
	for i := range 120 {
		d.do("GET", fmt.Sprintf("/v1/unknown/%d", i), nil).must(t, http.StatusNotFound)
	}
	r := ctl(t, tg.digaURL).do("GET", "/_mock/requests?limit=1000", nil).must(t, http.StatusOK)
	assert.Equal(t, 50.0, r.json["count"], "the ring keeps the newest 50")
	assert.Equal(t, "/v1/unknown/119", r.path("items.0.path"))
	assert.Equal(t, "/v1/unknown/70", r.path("items.49.path"))
}

func TestFaults(t *testing.T) {
	tg := start(t)
	d, c := tg.diga(t), ctl(t, tg.digaURL)
	id := newDigaAgent(t, d)

	t.Run("status with the provider's body, twice", func(t *testing.T) {
		f := c.do("POST", "/_mock/faults", `{"method":"GET","path":"/v1/agent/{agent_id}","status":503,"count":2}`).must(t, http.StatusCreated)
		assert.NotEmpty(t, f.json["id"])
		for range 2 {
			r := d.do("GET", "/v1/agent/"+id, nil)
			if r.status != 503 {
				t.Fatalf("want 503, got %d %s", r.status, r.raw)
			}
			assert.Equal(t, "SERVICE_UNAVAILABLE", r.json["error_code"])
		}
		d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)
		listed := c.do("GET", "/_mock/faults", nil).must(t, http.StatusOK)
		assert.Equal(t, 2.0, listed.path("items.0.fired"))
		c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
	})
	t.Run("429 with Retry-After by operation id", func(t *testing.T) {
		c.do("POST", "/_mock/faults", `{"operation_id":"list_agents_v1_agent__get","retry_after_seconds":2,"count":1}`).must(t, http.StatusCreated)
		r := d.do("GET", "/v1/agent/", nil).must(t, http.StatusTooManyRequests)
		assert.Equal(t, "2", r.header.Get("Retry-After"))
		assert.Equal(t, "2000", r.header.Get("Retry-After-Ms"))
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", r.json["error_code"])
		j := c.do("GET", "/_mock/requests?status=429", nil).must(t, http.StatusOK)
		assert.Equal(t, "fault-2", j.path("items.0.fault"))
		c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
	})
	t.Run("latency", func(t *testing.T) {
		c.do("POST", "/_mock/faults", `{"path":"/v1/voice/","delay_ms":150,"count":1}`).must(t, http.StatusCreated)
		start := time.Now()
		d.do("GET", "/v1/voice/", nil).must(t, http.StatusOK)
		assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
		c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
	})
	t.Run("random latency within its range", func(t *testing.T) {
		delays := func() []time.Duration {
			c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
			c.do("POST", "/_mock/faults", `{"path":"/v1/voice/","delay_ms":20,"delay_max_ms":120,"seed":3}`).must(t, http.StatusCreated)
			var out []time.Duration
			for range 4 {
				start := time.Now()
				d.do("GET", "/v1/voice/", nil).must(t, http.StatusOK)
				took := time.Since(start)
				assert.GreaterOrEqual(t, took, 20*time.Millisecond)
				assert.Less(t, took, 400*time.Millisecond)
				out = append(out, took.Round(50*time.Millisecond))
			}
			return out
		}
		first := delays()
		assert.NotEqual(t, []time.Duration{first[0], first[0], first[0], first[0]}, first, "random, not fixed: %v", first)
		c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
	})
	t.Run("seeded probability repeats", func(t *testing.T) {
		pattern := func(seed int) string {
			c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
			c.do("POST", "/_mock/faults", fmt.Sprintf(`{"path":"/v1/voice/","status":502,"probability":0.5,"seed":%d}`, seed)).must(t, http.StatusCreated)
			var b strings.Builder
			for range 20 {
				r := d.do("GET", "/v1/voice/", nil)
				b.WriteString(map[bool]string{true: "x", false: "."}[r.status == 502])
			}
			return b.String()
		}
		first := pattern(7)
		assert.Contains(t, first, "x")
		assert.Contains(t, first, ".")
		assert.Equal(t, first, pattern(7), "the same seed fires the same way")
		assert.NotEqual(t, first, pattern(8), "another seed fires another way: the seed is used")
		c.do("DELETE", "/_mock/faults", nil).must(t, http.StatusNoContent)
	})
	for _, fault := range []string{"connection_reset", "empty_response", "truncated_response"} {
		t.Run(fault, func(t *testing.T) {
			c.do("POST", "/_mock/faults", `{"path":"/v1/voice/","fault":"`+fault+`","count":1}`).must(t, http.StatusCreated)
			req, _ := http.NewRequest("GET", tg.digaURL+"/v1/voice/", nil)
			req.Header.Set("Authorization", "Bearer "+tg.digaKey)
			res, err := (&http.Transport{}).RoundTrip(req)
			switch fault {
			case "truncated_response": // a 200 whose body ends early
				require.NoError(t, err)
				assert.Equal(t, http.StatusOK, res.StatusCode)
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			case "empty_response": // closed without a byte
				require.Error(t, err)
				assert.ErrorIs(t, err, io.EOF)
			case "connection_reset": // closed with a TCP RST
				require.Error(t, err)
				assert.ErrorIs(t, err, syscall.ECONNRESET)
			}
			d.do("GET", "/v1/voice/", nil).must(t, http.StatusOK)
		})
	}
}

func TestPrefer(t *testing.T) {
	tg := start(t)
	d := tg.diga(t)
	id := newDigaAgent(t, d)
	before := d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)

	r := d.do("PATCH", "/v1/agent/"+id, `{"name":"never stored"}`, "Prefer", "code=404").must(t, http.StatusNotFound)
	assert.Equal(t, "error", r.json["status"], "a forced error has the provider's body")
	r = d.do("PATCH", "/v1/agent/"+id+"?__code=409", `{"name":"never stored"}`).must(t, http.StatusConflict)
	assert.Equal(t, "CONFLICT", r.json["error_code"])
	example := d.do("PATCH", "/v1/agent/"+id, `{"name":"never stored"}`, "Prefer", "code=200").must(t, http.StatusOK)
	if tg.srv != nil {
		op := tg.srv.App.Server("diga").Spec().Operation("PATCH /v1/agent/{}")
		want, ok := tg.srv.App.Server("diga").Spec().Example(op.Operation, http.StatusOK, "")
		require.True(t, ok)
		data, err := json.Marshal(want)
		require.NoError(t, err)
		assert.JSONEq(t, string(data), string(example.raw), "the documented example, not the agent")
	}
	assert.NotEqual(t, id, example.json["agent_id"], "the documented example, not the agent")
	r = d.do("PATCH", "/v1/agent/"+id, `{"name":"never stored"}`, "Prefer", "dynamic=true").must(t, http.StatusOK)
	assert.NotEmpty(t, r.json["agent_id"])
	assert.NotEqual(t, example.json, r.json, "dynamic=true generates a value instead of the example")
	r = d.do("GET", "/v1/agent/"+id+"?__example=nope", nil).must(t, http.StatusNotFound)
	assert.Contains(t, r.json["message"], "nope")

	// Prefer never changes stored state: not a PATCH, a POST or a DELETE.
	count := func() any {
		return len(d.do("GET", "/v1/agent/?limit=100", nil).must(t, http.StatusOK).json["data"].([]any))
	}
	agents := count()
	d.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`, "Prefer", "code=201").must(t, http.StatusCreated)
	d.do("DELETE", "/v1/agent/"+id, nil, "Prefer", "code=204").must(t, http.StatusNoContent)
	assert.Equal(t, agents, count(), "Prefer created no agent")
	assert.Equal(t, before.json, d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json, "Prefer changed and deleted nothing")

	r = tg.itellico(t).do("GET", itlAgentsMe, nil, "Prefer", "code=503").must(t, http.StatusServiceUnavailable)
	assert.Equal(t, "service_unavailable", r.json["code"])
}
