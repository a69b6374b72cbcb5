package contracttests

import (
	"net/http"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
)

func TestSeedMakesIDsRepeatable(t *testing.T) {
	inProcessOnly(t)
	run := func() []any {
		tg := start(t, agentmocktest.WithSeed(42), agentmocktest.WithClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
		d := tg.diga(t)
		a := d.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`).must(t, http.StatusCreated)
		i := tg.itellico(t).do("POST", itlAgentsMe, itlCreate(azureModel, deepgram, elevenlabs)).must(t, http.StatusCreated)
		return []any{a.json["agent_id"], a.json["version_id"], a.json["created_at"], i.json["id"], i.json["created"]}
	}
	first := run()
	assert.Equal(t, first, run(), "the same seed and clock give the same ids and times")
	assert.Equal(t, "2025-01-01T00:00:00Z", first[2])
}

func TestClockControl(t *testing.T) {
	tg := start(t)
	c, d := ctl(t, tg.digaURL), tg.diga(t)
	r := c.do("POST", "/_mock/clock", `{"time":"2025-03-01T12:00:00Z"}`).must(t, http.StatusOK)
	assert.Equal(t, true, r.json["fixed"])
	id := newDigaAgent(t, d)
	assert.Equal(t, "2025-03-01T12:00:00Z", d.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["created_at"])
	c.do("POST", "/_mock/clock", `{"advance":"90m"}`).must(t, http.StatusOK)
	got := d.do("PATCH", "/v1/agent/"+id, `{"name":"later"}`).must(t, http.StatusOK)
	assert.Equal(t, "2025-03-01T13:30:00Z", got.json["modified_at"])
	// Each port has a clock of its own.
	assert.Equal(t, false, ctl(t, tg.itellicoURL).do("GET", "/_mock/clock", nil).must(t, http.StatusOK).json["fixed"])
	r = c.do("POST", "/_mock/clock", `{"real":true}`).must(t, http.StatusOK)
	assert.Equal(t, false, r.json["fixed"])
	// A reset gives the clock back as it started: real here.
	c.do("POST", "/_mock/clock", `{"time":"2025-03-01T12:00:00Z"}`).must(t, http.StatusOK)
	c.do("POST", "/_mock/reset", nil).must(t, http.StatusOK)
	assert.Equal(t, false, c.do("GET", "/_mock/clock", nil).must(t, http.StatusOK).json["fixed"])
}

func TestControlCanBeTurnedOff(t *testing.T) {
	inProcessOnly(t)
	tg := start(t, agentmocktest.WithoutControl())
	r := ctl(t, tg.digaURL).do("POST", "/_mock/reset", nil).must(t, http.StatusNotFound)
	assert.Equal(t, "NOT_FOUND", r.json["error_code"], "an unknown route of the provider")
}

// TestEveryOperationAnswers serves Diga's full published documents (and, in
// CI, the engine's own test document) and calls
// every operation agentmock has no behaviour for: each answers with its
// example or a generated value that conforms to the document.
func TestEveryOperationAnswers(t *testing.T) {
	inProcessOnly(t)
	docs := digaDocuments()
	// In CI, without Diga's documents: the engine's own test document, in
	// their style, which has no Diga agent behaviour at all.
	docs["widgets"] = "../openapi/resources/testdata/widgets.yaml"
	for name, file := range docs {
		if file == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			tg := start(t, agentmocktest.WithDigaSpec(file))
			spec := tg.srv.App.Server("diga").Spec()
			d := tg.diga(t)
			answered := 0
			provided := map[string]bool{}
			for _, o := range tg.srv.App.Server("diga").Operations() {
				if o.Behaviour == "provider" {
					provided[openapi.OperationKey(o.Method, o.Path)] = true
				}
			}
			for _, op := range spec.Operations() {
				if provided[op.Key] {
					continue // Diga's own behaviour, tested on its own
				}
				path, query, body := sampleRequest(t, spec, op)
				r := d.do(op.Method, path+query, body)
				assert.Less(t, r.status, 500, "%s %s: %s", op.Method, path, truncate(string(r.raw)))
				if r.status < 300 {
					answered++
				}
			}
			t.Logf("%s: %d engine operations answered 2xx", name, answered)
			assert.Positive(t, answered)
		})
	}
}

// sampleRequest fills an operation's path, required query parameters and
// body with values generated from their schemas.
func sampleRequest(t *testing.T, spec *openapi.Spec, op openapi.OperationInfo) (string, string, any) {
	t.Helper()
	return openapi.SampleRequest(spec, op, nil)
}
