package contracttests

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestDigaLaterDocumentFields checks that fields only later Diga documents
// have are validated, stored, defaulted and returned as those documents
// define them, with no code naming them. Each case runs only on documents
// that declare its field: a document of our own that adds all of them to
// the embedded one, and Diga's own, listed in AGENTMOCK_VENDOR_DIGA_SPECS.
func TestDigaLaterDocumentFields(t *testing.T) {
	inProcessOnly(t)
	cases := []struct {
		field        string
		defaultValue any // on a new agent; skipped when nil
		good, bad    string
		got          any
	}{
		{field: "voice_speed", defaultValue: 1.0, good: `{"voice_speed":1.2}`, bad: `{"voice_speed":1.3}`, got: 1.2},
		{field: "background_audio", good: `{"background_audio":"cafe"}`, bad: `{"background_audio":"jungle"}`, got: "cafe"},
		{field: "pronunciation_dict", good: `{"pronunciation_dict":{"Diga":"dee-gah"}}`, bad: `{"pronunciation_dict":{"Diga":1}}`, got: map[string]any{"Diga": "dee-gah"}},
		{field: "dynamic_variables", defaultValue: map[string]any{}, good: `{"dynamic_variables":{"customer":"Ana"}}`, bad: `{"dynamic_variables":[1]}`, got: map[string]any{"customer": "Ana"}},
		{field: "volume", defaultValue: 50.0, good: `{"volume":70}`, bad: `{"volume":150}`, got: 70.0},
		{field: "voicemail_action", defaultValue: "leave_message", good: `{"voicemail_action":"hang_up"}`, bad: `{"voicemail_action":"shout"}`, got: "hang_up"},
	}
	docs := digaDocuments()
	delete(docs, "embedded")
	docs["later fields (ours)"] = laterFieldsDocument(t)
	for name, file := range docs {
		t.Run(name, func(t *testing.T) {
			tg := start(t, agentmocktest.WithDigaSpec(file))
			spec := tg.srv.App.Server("diga").Spec()
			update := openapi.View(openapi.RequestSchema(spec.Operation("PATCH /v1/agent/{}").Operation))
			c := tg.diga(t)
			created := c.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es"}`).must(t, tg.status(t, "POST /v1/agent/"))
			id, _ := created.json["agent_id"].(string)
			require.NotEmpty(t, id, "%s", created.raw)
			for _, tc := range cases {
				if update.Properties[tc.field] == nil {
					continue
				}
				t.Run(tc.field, func(t *testing.T) {
					if tc.defaultValue != nil {
						assert.Equal(t, tc.defaultValue, created.json[tc.field], "default on create")
					}
					r := c.do("PATCH", "/v1/agent/"+id, tc.good).must(t, http.StatusOK)
					assert.Equal(t, tc.got, r.json[tc.field])
					assert.Equal(t, tc.got, c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json[tc.field], "stored")
					r = c.do("PATCH", "/v1/agent/"+id, tc.bad).must(t, http.StatusUnprocessableEntity)
					assert.Equal(t, "body", r.path("detail.0.loc.0"))
					assert.Equal(t, tc.field, r.path("detail.0.loc.1"), "%s", r.raw)
				})
			}
			// Decided by the document, not by the answer: later documents
			// make each call tool one of several typed variants, the first
			// one a reference to a built-in tool.
			if ct := update.Properties["call_tools"]; ct != nil && openapi.View(ct.Value).Items != nil &&
				len(openapi.View(ct.Value).Items.Value.OneOf) > 0 {
				t.Run("typed call tools", func(t *testing.T) {
					r := c.do("PATCH", "/v1/agent/"+id, `{"call_tools":[{"type":"transfer_call","name":"to_owner","target_number":"+34600112233"},{"type":"hang_up","name":"end_call"}]}`)
					r.must(t, http.StatusOK)
					assert.Equal(t, "to_owner", r.path("call_tools.0.name"))
					assert.Equal(t, "hang_up", r.path("call_tools.1.type"))
				})
			}
		})
	}
}

// laterFieldsDocument writes the embedded Diga document with the agent
// fields of later documents added, as we define them from Diga's: each to
// the create and update bodies and the answer, with its bounds and default.
func laterFieldsDocument(t *testing.T) string {
	t.Helper()
	data, err := openapi.Embedded("diga")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc))
	fields := map[string]map[string]any{
		"voice_speed":        {"type": "number", "enum": []any{0.8, 0.9, 1.0, 1.1, 1.2}, "default": 1.0, "description": "How fast the agent speaks."},
		"background_audio":   {"type": "string", "enum": []any{"none", "cafe", "office"}, "nullable": true, "description": "Sound behind the agent's voice."},
		"pronunciation_dict": {"type": "object", "nullable": true, "additionalProperties": map[string]any{"type": "string"}, "description": "How to say words."},
		"dynamic_variables":  {"type": "object", "nullable": true, "additionalProperties": true, "default": map[string]any{}, "description": "Variables for the prompt's templates."},
		"volume":             {"type": "integer", "minimum": 0, "maximum": 100, "default": 50, "description": "Output volume; 50 is no change."},
		"voicemail_action":   {"type": "string", "enum": []any{"leave_message", "hang_up"}, "default": "leave_message", "description": "What to do on a voicemail."},
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"AgentRequest", "AgentUpdateRequest", "AgentResponseSchema"} {
		props := schemas[name].(map[string]any)["properties"].(map[string]any)
		for field, sch := range fields {
			require.NotContains(t, props, field, "the embedded document has %s now; this test's document is no longer needed for it", field)
			props[field] = sch
		}
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "diga-later-fields.yaml")
	require.NoError(t, os.WriteFile(file, out, 0o600))
	return file
}
