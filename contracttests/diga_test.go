package contracttests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	digaKB       = "4b1f0c8e-2d3a-4e5f-8a9b-0c1d2e3f4a01"
	digaPath     = "6c2a1d9f-3e4b-4f6a-9b0c-1d2e3f4a5b01"
	digaInteg    = "8e3b2c1a-4f5d-4a6b-8c7d-2e3f4a5b6c01"
	digaTool     = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c01"
	digaCallTool = "f0e1d2c3-b4a5-4968-8776-655443322101"
)

// newDigaAgent creates an agent with the minimal body and returns its id.
func newDigaAgent(t *testing.T, c client) string {
	t.Helper()
	r := c.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`).must(t, http.StatusCreated)
	id, _ := r.json["agent_id"].(string)
	require.NotEmpty(t, id)
	return id
}

func TestDigaCreateAppliesDefaults(t *testing.T) {
	c := start(t).diga(t)
	r := c.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`).must(t, http.StatusCreated)
	assert.Equal(t, map[string]any{"id": voiceLucia, "name": "Lucía", "description": "Warm Castilian Spanish, female"}, r.json["voice"])
	for field, want := range map[string]any{
		"mode": "free", "max_reminder_count": 3.0, "reminder_frequency_ms": 7500.0,
		"reminder_messages": []any{}, "knowledge_base_ids": []any{}, "integrations": []any{}, "call_tools": []any{},
		"name": nil, "redirect_number": nil, "conversational_path_id": nil, "is_published": false,
	} {
		assert.Equal(t, want, r.json[field], field)
	}
	// FastAPI serialises in model order, and so must we.
	assert.Equal(t, []string{"agent_id", "modified_at", "created_at", "version_id", "version_name", "version_number",
		"version_created_at", "is_draft", "is_published", "name", "description", "prompt", "greeting", "time_before_start",
		"voice", "boosted_keywords", "language", "redirect_number", "max_reminder_count", "reminder_frequency_ms",
		"reminder_messages", "knowledge_base_ids", "mode", "conversational_path_id", "integrations", "call_tools"}, keys(t, r.raw))
}

// TestDigaSeedPatchRoundTrip sends every field of the seed's PATCH body and
// reads each back.
func TestDigaSeedPatchRoundTrip(t *testing.T) {
	c := start(t).diga(t)
	id := newDigaAgent(t, c)
	before := c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)
	patch := fmt.Sprintf(`{
		"name": "Front desk", "description": "Answers calls", "prompt": "Be kind", "greeting": "Hello!",
		"time_before_start": 1.5, "voice_id": %q, "boosted_keywords": ["bradycardia"], "language": "en",
		"redirect_number": "+34600112233", "max_reminder_count": 1, "reminder_frequency_ms": 1001,
		"reminder_messages": ["Are you there?"], "knowledge_base_ids": [%q], "mode": "path",
		"conversational_path_id": %q,
		"integrations": [{"integration_id": %q, "tool_ids": [%q]}],
		"call_tools": [{"call_tool_id": %q, "settings": {"target": "+34600000000"}}]
	}`, voiceMateo, digaKB, digaPath, digaInteg, digaTool, digaCallTool)
	patched := c.do("PATCH", "/v1/agent/"+id, patch).must(t, http.StatusOK)
	got := c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, patched.json, got.json, "GET returns what PATCH answered")

	want := map[string]any{
		"name": "Front desk", "description": "Answers calls", "prompt": "Be kind", "greeting": "Hello!",
		"time_before_start": 1.5, "boosted_keywords": []any{"bradycardia"}, "language": "en",
		"redirect_number": "+34600112233", "max_reminder_count": 1.0, "reminder_frequency_ms": 1001.0,
		"reminder_messages": []any{"Are you there?"}, "knowledge_base_ids": []any{digaKB}, "mode": "path",
		"conversational_path_id": digaPath,
		"integrations":           []any{map[string]any{"integration_id": digaInteg, "integration_name": "CRM", "tool_ids": []any{digaTool}}},
		"call_tools":             []any{map[string]any{"call_tool_id": digaCallTool, "call_tool_name": "transfer_call", "settings": map[string]any{"target": "+34600000000"}}},
	}
	for field, v := range want {
		assert.Equal(t, v, got.json[field], field)
	}
	assert.Equal(t, voiceMateo, got.path("voice.id"), "voice resolved from voice_id")
	assert.Equal(t, "Mateo", got.path("voice.name"))
	assert.Equal(t, before.json["agent_id"], got.json["agent_id"])
	assert.Equal(t, before.json["created_at"], got.json["created_at"])
	assert.Equal(t, before.json["version_id"], got.json["version_id"])
	assert.Greater(t, got.json["modified_at"], before.json["modified_at"], "modified_at advances")
}

func TestDigaMergePatchSemantics(t *testing.T) {
	c := start(t).diga(t)
	id := newDigaAgent(t, c)
	c.do("PATCH", "/v1/agent/"+id, `{"name":"A","max_reminder_count":7,"reminder_messages":["x","y"]}`).must(t, http.StatusOK)

	r := c.do("PATCH", "/v1/agent/"+id, `{"description":"only this"}`).must(t, http.StatusOK)
	assert.Equal(t, "A", r.json["name"], "absent members stay")
	assert.Equal(t, 7.0, r.json["max_reminder_count"])

	r = c.do("PATCH", "/v1/agent/"+id, `{"reminder_messages":["z"]}`).must(t, http.StatusOK)
	assert.Equal(t, []any{"z"}, r.json["reminder_messages"], "arrays are replaced whole")

	r = c.do("PATCH", "/v1/agent/"+id, `{"max_reminder_count":null,"name":null,"reminder_messages":null,"mode":null}`).must(t, http.StatusOK)
	assert.Equal(t, 3.0, r.json["max_reminder_count"], "null restores the schema default")
	assert.Nil(t, r.json["name"], "null clears a nullable member")
	assert.Equal(t, []any{}, r.json["reminder_messages"])
	assert.Equal(t, "free", r.json["mode"])

	r = c.do("PATCH", "/v1/agent/"+id, `{"language":null}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, []any{"body", "language"}, r.path("detail.0.loc"), "clearing a required member with no default")
	r = c.do("PATCH", "/v1/agent/"+id, `{"voice_id":null}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, []any{"body", "voice_id"}, r.path("detail.0.loc"))
	assert.Equal(t, "es", c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["language"], "a rejected PATCH stores nothing")
}

// TestDigaConstraints checks each constraint of the seed at its edge and just
// past it.
func TestDigaConstraints(t *testing.T) {
	c := start(t).diga(t)
	id := newDigaAgent(t, c)
	cases := []struct {
		name, body string
		ok         bool
		loc        []any
		kind       string
	}{
		{"max_reminder_count at 0", `{"max_reminder_count":0}`, true, nil, ""},
		{"max_reminder_count below 0", `{"max_reminder_count":-1}`, false, []any{"body", "max_reminder_count"}, "greater_than_equal"},
		{"max_reminder_count not an integer", `{"max_reminder_count":1.5}`, false, []any{"body", "max_reminder_count"}, "int_type"},
		{"reminder_frequency_ms at 1000", `{"reminder_frequency_ms":1000}`, true, nil, ""},
		{"reminder_frequency_ms below 1000", `{"reminder_frequency_ms":999}`, false, []any{"body", "reminder_frequency_ms"}, "greater_than_equal"},
		{"language in the enum", `{"language":"vi"}`, true, nil, ""},
		{"language outside the enum", `{"language":"xx"}`, false, []any{"body", "language"}, "enum"},
		{"mode outside the enum", `{"mode":"fixed"}`, false, []any{"body", "mode"}, "enum"},
		{"voice_id not a uuid", `{"voice_id":"nope"}`, false, []any{"body", "voice_id"}, "uuid_parsing"},
		{"knowledge_base_ids item not a uuid", `{"knowledge_base_ids":["nope"]}`, false, []any{"body", "knowledge_base_ids", 0.0}, "uuid_parsing"},
		{"conversational_path_id not a uuid", `{"conversational_path_id":"nope"}`, false, []any{"body", "conversational_path_id"}, "uuid_parsing"},
		{"time_before_start not a number", `{"time_before_start":"soon"}`, false, []any{"body", "time_before_start"}, "float_type"},
		{"name not a string", `{"name":5}`, false, []any{"body", "name"}, "string_type"},
		{"boosted_keywords item not a string", `{"boosted_keywords":[1]}`, false, []any{"body", "boosted_keywords", 0.0}, "string_type"},
		{"integrations item without tool_ids", `{"integrations":[{"integration_id":"` + digaInteg + `"}]}`, false, []any{"body", "integrations", 0.0, "tool_ids"}, "missing"},
		{"call_tools item without call_tool_id", `{"call_tools":[{"settings":{}}]}`, false, []any{"body", "call_tools", 0.0, "call_tool_id"}, "missing"},
		{"unknown member", `{"nmae":"typo"}`, false, []any{"body", "nmae"}, "extra_forbidden"},
		{"unknown nested member", `{"integrations":[{"integration_id":"` + digaInteg + `","tool_ids":[],"x":1}]}`, false, []any{"body", "integrations", 0.0, "x"}, "extra_forbidden"},
		{"voice not in the catalogue", `{"voice_id":"00000000-0000-4000-8000-000000000000"}`, false, []any{"body", "voice_id"}, "value_error"},
		{"knowledge base of no project", `{"knowledge_base_ids":["00000000-0000-4000-8000-000000000000"]}`, false, []any{"body", "knowledge_base_ids", 0.0}, "value_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("PATCH", "/v1/agent/"+id, tc.body)
			if tc.ok {
				r.must(t, http.StatusOK)
				return
			}
			r.must(t, http.StatusUnprocessableEntity)
			detail, _ := r.json["detail"].([]any)
			require.NotEmpty(t, detail, "FastAPI body: %s", r.raw)
			first := detail[0].(map[string]any)
			assert.Equal(t, tc.loc, first["loc"])
			assert.Equal(t, tc.kind, first["type"])
			assert.NotEmpty(t, first["msg"])
		})
	}
}

func TestDigaEveryViolationAtOnce(t *testing.T) {
	c := start(t).diga(t)
	id := newDigaAgent(t, c)
	body := `{"max_reminder_count":-1,"reminder_frequency_ms":5,"language":"xx","bogus":1,"zzz":2}`
	r := c.do("PATCH", "/v1/agent/"+id, body).must(t, http.StatusUnprocessableEntity)
	var locs []string
	for _, d := range r.json["detail"].([]any) {
		locs = append(locs, fmt.Sprint(d.(map[string]any)["loc"]))
	}
	assert.ElementsMatch(t, []string{"[body max_reminder_count]", "[body reminder_frequency_ms]", "[body language]", "[body bogus]", "[body zzz]"}, locs)
	// The same order every time, as pydantic's: kin-openapi's own follows
	// Go's map order.
	for range 20 {
		again := c.do("PATCH", "/v1/agent/"+id, body).must(t, http.StatusUnprocessableEntity)
		require.Equal(t, string(r.raw), string(again.raw))
	}
}

func TestDigaErrors(t *testing.T) {
	tg := start(t)
	c := tg.diga(t)
	id := newDigaAgent(t, c)
	unauthorized := map[string]any{"status": "error", "error_code": "INVALID_API_KEY", "message": "Invalid or missing API key"}

	t.Run("missing key", func(t *testing.T) {
		r := c.withKey("").do("GET", "/v1/agent/"+id, nil).must(t, http.StatusUnauthorized)
		assert.Equal(t, unauthorized, r.json)
	})
	t.Run("unknown key", func(t *testing.T) {
		r := c.withKey("sk-nope").do("PATCH", "/v1/agent/"+id, `{}`).must(t, http.StatusUnauthorized)
		assert.Equal(t, unauthorized, r.json)
	})
	t.Run("unknown agent", func(t *testing.T) {
		missing := "00000000-0000-4000-8000-000000000000"
		r := c.do("PATCH", "/v1/agent/"+missing, `{"name":"x"}`).must(t, http.StatusNotFound)
		assert.Equal(t, map[string]any{"status": "error", "error_code": "AGENT_NOT_FOUND", "message": "Agent " + missing + " not found"}, r.json)
	})
	t.Run("malformed path id", func(t *testing.T) {
		r := c.do("GET", "/v1/agent/not-a-uuid", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"path", "agent_id"}, r.path("detail.0.loc"))
		assert.Equal(t, "uuid_parsing", r.path("detail.0.type"))
	})
	t.Run("malformed JSON", func(t *testing.T) {
		r := c.do("PATCH", "/v1/agent/"+id, `{"name": `).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "json_invalid", r.path("detail.0.type"))
		assert.Equal(t, "body", r.path("detail.0.loc.0"))
	})
	t.Run("body that is not an object", func(t *testing.T) {
		r := c.do("PATCH", "/v1/agent/"+id, `[1,2]`).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body"}, r.path("detail.0.loc"))
	})
	t.Run("wrong content type", func(t *testing.T) {
		r := c.do("PATCH", "/v1/agent/"+id, `{"name":"x"}`, "Content-Type", "text/plain").must(t, http.StatusUnsupportedMediaType)
		assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", r.json["error_code"])
	})
	t.Run("body over 1 MiB", func(t *testing.T) {
		big := `{"prompt":"` + strings.Repeat("a", 1<<20) + `"}`
		r := c.do("PATCH", "/v1/agent/"+id, big).must(t, http.StatusRequestEntityTooLarge)
		assert.Equal(t, "REQUEST_TOO_LARGE", r.json["error_code"])
	})
	t.Run("unknown route", func(t *testing.T) {
		r := c.do("GET", "/v1/nothing-here", nil).must(t, http.StatusNotFound)
		assert.Equal(t, "NOT_FOUND", r.json["error_code"])
	})
	t.Run("missing trailing slash redirects as FastAPI does", func(t *testing.T) {
		req, err := http.NewRequest("GET", tg.digaURL+"/v1/agent?limit=1", nil)
		require.NoError(t, err)
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusTemporaryRedirect, res.StatusCode)
		assert.Equal(t, "/v1/agent/?limit=1", res.Header.Get("Location"))
	})
	t.Run("wrong method", func(t *testing.T) {
		r := c.do("PUT", "/v1/agent/"+id, `{}`).must(t, http.StatusMethodNotAllowed)
		assert.Equal(t, "METHOD_NOT_ALLOWED", r.json["error_code"])
	})
	t.Run("missing body", func(t *testing.T) {
		r := c.do("PATCH", "/v1/agent/"+id, nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body"}, r.path("detail.0.loc"))
		assert.Equal(t, "missing", r.path("detail.0.type"))
	})
}

func TestDigaTenantsAreIsolated(t *testing.T) {
	tg := start(t)
	demo := tg.diga(t)
	other := demo.withKey(tg.digaOther)
	id := newDigaAgent(t, demo)

	other.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
	other.do("PATCH", "/v1/agent/"+id, `{"name":"hijack"}`).must(t, http.StatusNotFound)
	other.do("DELETE", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
	for _, a := range other.do("GET", "/v1/agent/?limit=100", nil).must(t, http.StatusOK).json["data"].([]any) {
		assert.NotEqual(t, id, a.(map[string]any)["agent_id"])
	}
	// The other project's references are not this project's.
	r := demo.do("PATCH", "/v1/agent/"+id, `{"knowledge_base_ids":["4b1f0c8e-2d3a-4e5f-8a9b-0c1d2e3f4a02"]}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, []any{"body", "knowledge_base_ids", 0.0}, r.path("detail.0.loc"))
	assert.Nil(t, demo.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["name"], "nothing leaked into the agent")
}

func TestDigaDelete(t *testing.T) {
	c := start(t).diga(t)
	id := newDigaAgent(t, c)
	r := c.do("DELETE", "/v1/agent/"+id, nil).must(t, http.StatusNoContent)
	assert.Empty(t, r.raw)
	c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
	c.do("DELETE", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
}

func TestDigaVoices(t *testing.T) {
	c := start(t).diga(t)
	r := c.do("GET", "/v1/voice/?limit=50", nil).must(t, http.StatusOK)
	assert.GreaterOrEqual(t, len(r.json["data"].([]any)), 5)
	one := c.do("GET", "/v1/voice/"+voiceLucia, nil).must(t, http.StatusOK)
	assert.Equal(t, []string{"id", "name", "description"}, keys(t, one.raw))
	assert.Equal(t, r.path("data.0.id"), r.json["first_id"])
	r = c.do("GET", "/v1/voice/00000000-0000-4000-8000-000000000000", nil).must(t, http.StatusNotFound)
	assert.Equal(t, "VOICE_NOT_FOUND", r.json["error_code"])
	c.do("GET", "/v1/voice/?limit=51", nil).must(t, http.StatusUnprocessableEntity)
}

// TestDigaMissingBodyComesWithTheParameters: FastAPI validates parameters
// and body together, so a missing body is reported beside a bad query
// parameter, query first.
func TestDigaMissingBodyComesWithTheParameters(t *testing.T) {
	c := start(t).diga(t)
	r := c.do("POST", "/v1/agent/?is_draft=maybe", nil).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, []any{"query", "is_draft"}, r.path("detail.0.loc"), "%s", r.raw)
	assert.Equal(t, []any{"body"}, r.path("detail.1.loc"), "%s", r.raw)
	assert.Equal(t, "missing", r.path("detail.1.type"))
}
