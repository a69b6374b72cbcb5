package contracttests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const itlMinimal = `{"model":{"model":"gpt-5-mini","provider":"azure_openai"},"transcriber":{"provider":"deepgram"},"voice":{"voice_id":"pMsXgVXv3BLzUgSXRplE","provider":"elevenlabs"}}`

func agentsPath(account string) string { return "/v1/accounts/" + account + "/agents" }

func newItellicoAgent(t *testing.T, c client) string {
	t.Helper()
	r := c.do("POST", agentsPath(itellicoAccount), itlMinimal).must(t, http.StatusCreated)
	id, _ := r.json["id"].(string)
	require.NotEmpty(t, id)
	return id
}

func TestItellicoCreateAppliesDefaults(t *testing.T) {
	c := start(t).itellico(t)
	r := c.do("POST", agentsPath(itellicoAccount), itlMinimal).must(t, http.StatusCreated)
	assert.Equal(t, itellicoAccount, r.json["account_id"])
	assert.Equal(t, 1200.0, r.json["max_duration_seconds"])
	assert.Equal(t, map[string]any{"message": "", "mode": "fixed_message", "delay_ms": 0.0, "interruptible": false}, r.json["initial_message"])
	assert.Equal(t, map[string]any{"enabled": true, "min_words": 0.0, "min_speech_seconds": 0.2}, r.json["interrupt_settings"])
	assert.Equal(t, []string{"id", "account_id", "name", "initial_message", "ambient_sound", "inactivity_settings",
		"response_timing", "max_duration_seconds", "note", "tags", "interrupt_settings", "model", "transcriber", "voice",
		"metadata", "capture_settings", "volume", "denoising", "created", "modified"}, keys(t, r.raw), "the seed's key order")
}

// TestItellicoSeedPatchRoundTrip sends the seed page's PATCH body and reads
// every field back.
func TestItellicoSeedPatchRoundTrip(t *testing.T) {
	c := start(t).itellico(t)
	id := newItellicoAgent(t, c)
	before := c.do("GET", agentsPath(itellicoAccount)+"/"+id, nil).must(t, http.StatusOK)
	seed := `{
		"name": "Support line",
		"initial_message": {"message": "Hi {{customer_name}}", "mode": "fixed_message", "delay_ms": 250, "interruptible": true},
		"ambient_sound": {"source": "open_plan_office", "volume": 0.4},
		"max_duration_seconds": 3605,
		"inactivity_settings": {"reminder_timeout_ms": 10000, "reminder_max_count": 2, "end_call_timeout_ms": 305000, "reset_on_activity": false},
		"note": "VIP queue",
		"tags": ["sales", "vip"],
		"interrupt_settings": {"enabled": false, "min_words": 2, "min_speech_seconds": 0.5},
		"response_timing": {"min_endpointing_delay_seconds": 0.3},
		"metadata": {"crm_id": "42", "nested": {"a": [1, 2]}},
		"capture_settings": {"recording_enabled": false},
		"volume": {"web": 0.6, "telephony": 0.7, "allow_adjustment": false},
		"denoising": {"web": false, "telephony": true},
		"model": {"temperature": 0.2},
		"transcriber": {"provider": "deepgram", "language": "es"},
		"voice": {"settings": {"stability": 0.9}}
	}`
	patched := c.do("PATCH", agentsPath(itellicoAccount)+"/"+id, seed).must(t, http.StatusOK)
	got := c.do("GET", agentsPath(itellicoAccount)+"/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, patched.json, got.json)
	for field, want := range map[string]any{
		"name":                 "Support line",
		"initial_message":      map[string]any{"message": "Hi {{customer_name}}", "mode": "fixed_message", "delay_ms": 250.0, "interruptible": true},
		"ambient_sound":        map[string]any{"source": "open_plan_office", "volume": 0.4},
		"max_duration_seconds": 3605.0,
		"inactivity_settings":  map[string]any{"reminder_timeout_ms": 10000.0, "reminder_max_count": 2.0, "end_call_timeout_ms": 305000.0, "reset_on_activity": false},
		"note":                 "VIP queue",
		"tags":                 []any{"sales", "vip"},
		"interrupt_settings":   map[string]any{"enabled": false, "min_words": 2.0, "min_speech_seconds": 0.5},
		"response_timing":      map[string]any{"min_endpointing_delay_seconds": 0.3},
		"metadata":             map[string]any{"crm_id": "42", "nested": map[string]any{"a": []any{1.0, 2.0}}},
		"capture_settings":     map[string]any{"recording_enabled": false},
		"volume":               map[string]any{"web": 0.6, "telephony": 0.7, "allow_adjustment": false},
		"denoising":            map[string]any{"web": false, "telephony": true},
		"model":                map[string]any{"model": "gpt-5-mini", "provider": "azure_openai", "temperature": 0.2},
		"transcriber":          map[string]any{"provider": "deepgram", "language": "es"},
		"voice":                map[string]any{"voice_id": "pMsXgVXv3BLzUgSXRplE", "provider": "elevenlabs", "settings": map[string]any{"stability": 0.9}},
	} {
		assert.Equal(t, want, got.json[field], field)
	}
	assert.Equal(t, before.json["id"], got.json["id"])
	assert.Equal(t, before.json["created"], got.json["created"])
	assert.Greater(t, got.json["modified"], before.json["modified"])
}

func TestItellicoMergePatchSemantics(t *testing.T) {
	c := start(t).itellico(t)
	id := newItellicoAgent(t, c)
	path := agentsPath(itellicoAccount) + "/" + id
	c.do("PATCH", path, `{"name":"A","note":"n","initial_message":{"delay_ms":100,"message":"hi"}}`).must(t, http.StatusOK)

	r := c.do("PATCH", path, `{"initial_message":{"delay_ms":200}}`).must(t, http.StatusOK)
	assert.Equal(t, "hi", r.path("initial_message.message"), "nested objects merge")
	assert.Equal(t, 200.0, r.path("initial_message.delay_ms"))
	assert.Equal(t, "A", r.json["name"])

	r = c.do("PATCH", path, `{"initial_message":{"delay_ms":null},"note":null,"max_duration_seconds":null}`).must(t, http.StatusOK)
	assert.Equal(t, 0.0, r.path("initial_message.delay_ms"), "null restores the default")
	assert.Nil(t, r.json["note"], "null clears a nullable member")
	assert.Equal(t, 1200.0, r.json["max_duration_seconds"])

	r = c.do("PATCH", path, `{"metadata":{"k1":"v1"}}`).must(t, http.StatusOK)
	r = c.do("PATCH", path, `{"metadata":{"k2":"v2","k1":null}}`).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"k2": "v2"}, r.json["metadata"])
}

func TestItellicoConstraints(t *testing.T) {
	c := start(t).itellico(t)
	id := newItellicoAgent(t, c)
	path := agentsPath(itellicoAccount) + "/" + id
	cases := []struct {
		name, body string
		field      string // "" when accepted
	}{
		{"name at 50", `{"name":"` + strings.Repeat("n", 50) + `"}`, ""},
		{"name at 51", `{"name":"` + strings.Repeat("n", 51) + `"}`, "body.name"},
		{"note at 5000", `{"note":"` + strings.Repeat("n", 5000) + `"}`, ""},
		{"note at 5001", `{"note":"` + strings.Repeat("n", 5001) + `"}`, "body.note"},
		{"max_duration_seconds at 10", `{"max_duration_seconds":10}`, ""},
		{"max_duration_seconds at 9", `{"max_duration_seconds":9}`, "body.max_duration_seconds"},
		{"max_duration_seconds at 7200", `{"max_duration_seconds":7200}`, ""},
		{"max_duration_seconds at 7201", `{"max_duration_seconds":7201}`, "body.max_duration_seconds"},
		{"delay_ms at 5000", `{"initial_message":{"delay_ms":5000}}`, ""},
		{"delay_ms at 5001", `{"initial_message":{"delay_ms":5001}}`, "body.initial_message.delay_ms"},
		{"delay_ms below 0", `{"initial_message":{"delay_ms":-1}}`, "body.initial_message.delay_ms"},
		{"initial mode outside the enum", `{"initial_message":{"mode":"shout"}}`, "body.initial_message.mode"},
		{"ambient volume at 1", `{"ambient_sound":{"volume":1}}`, ""},
		{"ambient volume above 1", `{"ambient_sound":{"volume":1.01}}`, "body.ambient_sound.volume"},
		{"ambient source outside the enum", `{"ambient_sound":{"source":"jungle"}}`, "body.ambient_sound.source"},
		{"reminder_timeout_ms at 5000", `{"inactivity_settings":{"reminder_timeout_ms":5000}}`, ""},
		{"reminder_timeout_ms at 4999", `{"inactivity_settings":{"reminder_timeout_ms":4999}}`, "body.inactivity_settings.reminder_timeout_ms"},
		{"reminder_timeout_ms at 300000", `{"inactivity_settings":{"reminder_timeout_ms":300000}}`, ""},
		{"reminder_timeout_ms at 300001", `{"inactivity_settings":{"reminder_timeout_ms":300001}}`, "body.inactivity_settings.reminder_timeout_ms"},
		{"end_call_timeout_ms at 10000", `{"inactivity_settings":{"end_call_timeout_ms":10000}}`, ""},
		{"end_call_timeout_ms at 600001", `{"inactivity_settings":{"end_call_timeout_ms":600001}}`, "body.inactivity_settings.end_call_timeout_ms"},
		{"reminder_max_count at 0", `{"inactivity_settings":{"reminder_max_count":0}}`, ""},
		{"reset_on_activity not a boolean", `{"inactivity_settings":{"reset_on_activity":"yes"}}`, "body.inactivity_settings.reset_on_activity"},
		{"end_call_timeout_ms at 600000", `{"inactivity_settings":{"end_call_timeout_ms":600000}}`, ""},
		{"end_call_timeout_ms at 9999", `{"inactivity_settings":{"end_call_timeout_ms":9999}}`, "body.inactivity_settings.end_call_timeout_ms"},
		{"reminder_max_count below 0", `{"inactivity_settings":{"reminder_max_count":-1}}`, "body.inactivity_settings.reminder_max_count"},
		{"min_words at 0", `{"interrupt_settings":{"min_words":0}}`, ""},
		{"min_words below 0", `{"interrupt_settings":{"min_words":-1}}`, "body.interrupt_settings.min_words"},
		{"min_speech_seconds at 0", `{"interrupt_settings":{"min_speech_seconds":0}}`, ""},
		{"min_speech_seconds below 0", `{"interrupt_settings":{"min_speech_seconds":-0.1}}`, "body.interrupt_settings.min_speech_seconds"},
		{"min_endpointing_delay_seconds at 0", `{"response_timing":{"min_endpointing_delay_seconds":0}}`, ""},
		{"min_endpointing_delay_seconds below 0", `{"response_timing":{"min_endpointing_delay_seconds":-0.1}}`, "body.response_timing.min_endpointing_delay_seconds"},
		{"volume web at 0", `{"volume":{"web":0}}`, ""},
		{"volume web below 0", `{"volume":{"web":-0.01}}`, "body.volume.web"},
		{"volume telephony at 1", `{"volume":{"telephony":1}}`, ""},
		{"volume telephony above 1", `{"volume":{"telephony":1.5}}`, "body.volume.telephony"},
		{"ambient volume at 0", `{"ambient_sound":{"volume":0}}`, ""},
		{"ambient volume below 0", `{"ambient_sound":{"volume":-0.1}}`, "body.ambient_sound.volume"},
		{"delay_ms at 0", `{"initial_message":{"delay_ms":0}}`, ""},
		{"interruptible not a boolean", `{"initial_message":{"interruptible":1}}`, "body.initial_message.interruptible"},
		{"capture recording_enabled null", `{"capture_settings":{"recording_enabled":null}}`, ""},
		{"max_duration_seconds not an integer", `{"max_duration_seconds":60.5}`, "body.max_duration_seconds"},
		{"metadata not an object", `{"metadata":[1]}`, "body.metadata"},
		{"denoising not a boolean", `{"denoising":{"web":"yes"}}`, "body.denoising.web"},
		{"tags not strings", `{"tags":[1]}`, "body.tags.0"},
		{"seed transcriber", `{"transcriber":{"provider":"azure","language":"af-ZA"}}`, ""},
		{"azure language outside the enum", `{"transcriber":{"provider":"azure","language":"xx-XX"}}`, "body.transcriber.language"},
		{"unknown member", `{"nmae":"typo"}`, "body.nmae"},
		{"unknown nested member", `{"volume":{"loud":true}}`, "body.volume.loud"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("PATCH", path, tc.body)
			if tc.field == "" {
				r.must(t, http.StatusOK)
				return
			}
			r.must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"])
			assert.Equal(t, "Validation failed", r.json["message"])
			assert.Equal(t, tc.field, r.path("errors.0.field"), "body: %s", r.raw)
			assert.NotEmpty(t, r.path("errors.0.message"))
		})
	}
}

func TestItellicoErrors(t *testing.T) {
	tg := start(t)
	c := tg.itellico(t)
	id := newItellicoAgent(t, c)
	path := agentsPath(itellicoAccount) + "/" + id

	r := c.withKey("").do("GET", path, nil).must(t, http.StatusUnauthorized)
	assert.Equal(t, "unauthorized", r.json["code"])
	r = c.withKey("itl-nope").do("PATCH", path, `{}`).must(t, http.StatusUnauthorized)
	assert.Equal(t, "unauthorized", r.json["code"])

	missing := "00000000-0000-4000-8000-000000000000"
	r = c.do("PATCH", agentsPath(itellicoAccount)+"/"+missing, `{"name":"x"}`).must(t, http.StatusNotFound)
	assert.Equal(t, map[string]any{"code": "not_found", "message": "Resource not found", "detail": "Agent with UUID " + missing + " does not exist"}, r.json)

	r = c.do("PATCH", path, `{"name":`).must(t, http.StatusBadRequest)
	assert.Equal(t, "bad_request", r.json["code"])
	r = c.do("PATCH", path, `{"name":"x"}`, "Content-Type", "application/xml").must(t, http.StatusUnsupportedMediaType)
	assert.Equal(t, "unsupported_media_type", r.json["code"])
	r = c.do("PATCH", path, `{"note":"`+strings.Repeat("a", 1<<20)+`"}`).must(t, http.StatusRequestEntityTooLarge)
	assert.Equal(t, "payload_too_large", r.json["code"])
	r = c.do("GET", "/_stainless_unknown_path", nil).must(t, http.StatusNotFound)
	assert.Equal(t, "not_found", r.json["code"])
	r = c.do("PUT", path, `{}`).must(t, http.StatusMethodNotAllowed)
	assert.Equal(t, "method_not_allowed", r.json["code"])
	r = c.do("GET", agentsPath(itellicoAccount)+"/not-a-uuid", nil).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "path.agent_id", r.path("errors.0.field"))
}

func TestItellicoTenantsAreIsolated(t *testing.T) {
	tg := start(t)
	demo := tg.itellico(t)
	other := demo.withKey(tg.itlOther)
	id := newItellicoAgent(t, demo)

	r := other.do("GET", agentsPath(itellicoAccount)+"/"+id, nil).must(t, http.StatusForbidden)
	assert.Equal(t, "forbidden", r.json["code"])
	other.do("PATCH", agentsPath(itellicoAccount)+"/"+id, `{"name":"x"}`).must(t, http.StatusForbidden)
	other.do("GET", agentsPath(itellicoAccount), nil).must(t, http.StatusForbidden)
	// Under its own account, the other key finds no such agent.
	other.do("GET", agentsPath(itellicoOther)+"/"+id, nil).must(t, http.StatusNotFound)
	other.do("PATCH", agentsPath("me")+"/"+id, `{"name":"x"}`).must(t, http.StatusNotFound)
	assert.Equal(t, 0.0, other.do("GET", agentsPath("me"), nil).must(t, http.StatusOK).json["count"])
	// The demo key reaches its subaccount, and "me" is its own account.
	demo.do("GET", agentsPath(itellicoSub), nil).must(t, http.StatusOK)
	demo.do("GET", agentsPath("me")+"/"+id, nil).must(t, http.StatusOK)
	demo.do("GET", agentsPath(itellicoOther), nil).must(t, http.StatusForbidden)
}

func TestItellicoArchive(t *testing.T) {
	c := start(t).itellico(t)
	id := newItellicoAgent(t, c)
	path := agentsPath(itellicoAccount) + "/" + id
	live := c.do("GET", agentsPath(itellicoAccount), nil).must(t, http.StatusOK).json["count"].(float64)
	r := c.do("DELETE", path, nil).must(t, http.StatusNoContent)
	assert.Empty(t, r.raw)
	c.do("GET", path, nil).must(t, http.StatusOK)
	for _, a := range c.do("GET", agentsPath(itellicoAccount), nil).must(t, http.StatusOK).json["items"].([]any) {
		assert.NotEqual(t, id, a.(map[string]any)["id"], "archived agents leave the default list")
	}
	archived := c.do("GET", agentsPath(itellicoAccount)+"?is_archived=true", nil).must(t, http.StatusOK)
	assert.Equal(t, 1.0, archived.json["count"])
	assert.Equal(t, id, archived.path("items.0.id"))
	assert.Equal(t, live-1, c.do("GET", agentsPath(itellicoAccount), nil).must(t, http.StatusOK).json["count"])
	// A PATCH brings an archived agent back, and the counts follow.
	c.do("PATCH", path, map[string]any{"name": "back"}).must(t, http.StatusOK)
	assert.Equal(t, live, c.do("GET", agentsPath(itellicoAccount), nil).must(t, http.StatusOK).json["count"])
	assert.Equal(t, 0.0, c.do("GET", agentsPath(itellicoAccount)+"?is_archived=true", nil).must(t, http.StatusOK).json["count"])
	c.do("DELETE", agentsPath(itellicoAccount)+"/00000000-0000-4000-8000-000000000000", nil).must(t, http.StatusNotFound)
}
