package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operations of Diga's embedded document beyond agents (issue 13): for
// each, its success, its validation errors, a missing record, the other
// project's records, and a dangling reference; then the chains a user
// walks through them. Every response is also checked against our document
// by the harness.

const (
	digaDemoPhone    = "e7d6c5b4-a392-4817-8615-243342516001"
	digaDemoNumber   = "+34910000001"
	digaOtherNumber  = "+34910000002"
	digaDemoKB       = "4b1f0c8e-2d3a-4e5f-8a9b-0c1d2e3f4a01"
	digaDemoItem     = "5c2e1f0a-3b4c-4d5e-8f6a-7b8c9d0e1f01"
	digaDemoTool     = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c01"
	digaNowhere      = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
	formBoundaryName = "file"
)

// form is a multipart/form-data body: fields, then one file part per
// file (name → content), all in the "file" field.
func form(t *testing.T, fields map[string][]string, files map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(t, w.WriteField(k, v))
		}
	}
	for name, content := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+formBoundaryName+`"; filename="`+name+`"`)
		h.Set("Content-Type", "text/plain")
		part, err := w.CreatePart(h)
		require.NoError(t, err)
		_, err = part.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

// upload sends a form to the file upload.
func upload(c client, fields map[string][]string, files map[string]string) reply {
	body, ct := form(c.t, fields, files)
	return c.do("POST", "/v1/knowledge/item/file", body, "Content-Type", ct)
}

// array decodes a reply whose body is a JSON array.
func array(t *testing.T, r reply) []any {
	t.Helper()
	var out []any
	require.NoError(t, json.Unmarshal(r.raw, &out), "%s", r.raw)
	return out
}

func id(t *testing.T, r reply, member string) string {
	t.Helper()
	v, _ := r.json[member].(string)
	require.NotEmpty(t, v, "%s: %s", member, r.raw)
	return v
}

// launched launches the fixture agent's draft and returns the version id.
func launched(t *testing.T, c client) string {
	t.Helper()
	r := c.do("POST", "/v1/agent/"+FixtureDigaAgent+"/version", `{"version_name":"for calls"}`).must(t, http.StatusCreated)
	return id(t, r, "version_id")
}

// surfaceCase is one request and what it must answer.
type surfaceCase struct {
	name         string
	other        bool // sent with the other project's key
	method, path string
	body         any
	status       int
	check        func(t *testing.T, r reply)
}

// loc asserts the first FastAPI violation's location.
func loc(want ...any) func(t *testing.T, r reply) {
	return func(t *testing.T, r reply) {
		assert.Equal(t, want, r.path("detail.0.loc"), "%s", r.raw)
	}
}

// code asserts Diga's error code.
func code(want string) func(t *testing.T, r reply) {
	return func(t *testing.T, r reply) { assert.Equal(t, want, r.json["error_code"], "%s", r.raw) }
}

func member(name string, want any) func(t *testing.T, r reply) {
	return func(t *testing.T, r reply) { assert.Equal(t, want, r.path(name), "%s", r.raw) }
}

func runCases(t *testing.T, c client, cases []surfaceCase) {
	t.Helper()
	other := c.withKey(digaOtherKey)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := c
			if tc.other {
				cl = other
			}
			cl.t = t
			r := cl.do(tc.method, tc.path, tc.body).must(t, tc.status)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestDigaKnowledge(t *testing.T) { digaSurfaceKnowledge(t, start(t).diga(t)) }

func digaSurfaceKnowledge(t *testing.T, c client) {
	kb := id(t, c.do("POST", "/v1/knowledge/base/", `{"name":"Clinic","description":"Hours"}`).must(t, http.StatusOK), "id")
	text := id(t, c.do("POST", "/v1/knowledge/item/text", `{"name":"hours","content":"We open at nine","knowledge_base_id":"`+kb+`"}`).must(t, http.StatusOK), "id")
	runCases(t, c, []surfaceCase{
		{name: "base create", method: "POST", path: "/v1/knowledge/base/", body: `{"name":"B","knowledge_item_ids":["` + text + `"]}`, status: 200,
			check: member("knowledge_item_ids.0", text)},
		{name: "base create without name", method: "POST", path: "/v1/knowledge/base/", body: `{}`, status: 422, check: loc("body", "name")},
		{name: "base create with a dangling item", method: "POST", path: "/v1/knowledge/base/", body: `{"name":"B","knowledge_item_ids":["` + digaNowhere + `"]}`, status: 422,
			check: loc("body", "knowledge_item_ids", 0.0)},
		{name: "base get", method: "GET", path: "/v1/knowledge/base/" + kb, status: 200, check: member("name", "Clinic")},
		{name: "base get missing", method: "GET", path: "/v1/knowledge/base/" + digaNowhere, status: 404, check: code("KNOWLEDGE_BASE_NOT_FOUND")},
		{name: "base get of the other project", other: true, method: "GET", path: "/v1/knowledge/base/" + kb, status: 404},
		{name: "base patch", method: "PATCH", path: "/v1/knowledge/base/" + kb, body: `{"description":null}`, status: 200, check: member("description", nil)},
		{name: "base patch invalid", method: "PATCH", path: "/v1/knowledge/base/" + kb, body: `{"name":""}`, status: 422, check: loc("body", "name")},
		{name: "base patch of the other project", other: true, method: "PATCH", path: "/v1/knowledge/base/" + kb, body: `{"name":"x"}`, status: 404},
		{name: "base delete of the other project", other: true, method: "DELETE", path: "/v1/knowledge/base/" + digaDemoKB, status: 404},
		{name: "base list of the other project", other: true, method: "GET", path: "/v1/knowledge/base/", status: 200,
			check: func(t *testing.T, r reply) { assert.NotContains(t, string(r.raw), kb) }},

		{name: "text item", method: "POST", path: "/v1/knowledge/item/text", body: `{"name":"n","content":"c"}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, "txt", r.json["category"])
				assert.Equal(t, "c", r.json["content"])
				assert.Equal(t, "uploaded", r.json["status"])
			}},
		{name: "text item without content", method: "POST", path: "/v1/knowledge/item/text", body: `{"name":"n"}`, status: 422, check: loc("body", "content")},
		{name: "text item in a dangling base", method: "POST", path: "/v1/knowledge/item/text", body: `{"name":"n","content":"c","knowledge_base_id":"` + digaNowhere + `"}`, status: 422,
			check: loc("body", "knowledge_base_id")},
		{name: "text item in the other project's base", other: true, method: "POST", path: "/v1/knowledge/item/text", body: `{"name":"n","content":"c","knowledge_base_id":"` + kb + `"}`, status: 422,
			check: loc("body", "knowledge_base_id")},
		{name: "url items", method: "POST", path: "/v1/knowledge/item/url", body: `{"items":[{"url":"https://example.com/a"},{"url":"https://example.com/b","name":"B"}],"knowledge_base_id":"` + kb + `"}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, "https://example.com/a", r.path("successful_items.0.name"), "unnamed: named after its URL")
				assert.Equal(t, "B", r.path("successful_items.1.name"))
				assert.Equal(t, "url", r.path("successful_items.1.category"))
				assert.Equal(t, kb, r.path("successful_items.1.knowledge_base_id"))
				assert.Equal(t, []any{}, r.json["failed_items"])
			}},
		{name: "url items none", method: "POST", path: "/v1/knowledge/item/url", body: `{"items":[]}`, status: 422, check: loc("body", "items")},
		{name: "url items in a dangling base", method: "POST", path: "/v1/knowledge/item/url", body: `{"items":[{"url":"https://example.com/a"}],"knowledge_base_id":"` + digaNowhere + `"}`, status: 422,
			check: loc("body", "knowledge_base_id")},
		{name: "items listed by category", method: "GET", path: "/v1/knowledge/item/?category=txt", status: 200,
			check: func(t *testing.T, r reply) {
				assert.Contains(t, string(r.raw), text)
				assert.NotContains(t, string(r.raw), digaDemoItem, "the fixture item is a file")
			}},
		{name: "items listed by base", method: "GET", path: "/v1/knowledge/item/?knowledge_base_id=" + digaDemoKB, status: 200, check: member("data.0.id", digaDemoItem)},
		{name: "item get", method: "GET", path: "/v1/knowledge/item/" + text, status: 200, check: member("content", "We open at nine")},
		{name: "item get missing", method: "GET", path: "/v1/knowledge/item/" + digaNowhere, status: 404, check: code("KNOWLEDGE_ITEM_NOT_FOUND")},
		{name: "item get of the other project", other: true, method: "GET", path: "/v1/knowledge/item/" + text, status: 404},
		{name: "item patch", method: "PATCH", path: "/v1/knowledge/item/" + text, body: `{"tags":["hours"]}`, status: 200, check: member("tags.0", "hours")},
		{name: "item patch invalid", method: "PATCH", path: "/v1/knowledge/item/" + text, body: `{"category":"pdf"}`, status: 422, check: loc("body", "category")},
		{name: "item delete of the other project", other: true, method: "DELETE", path: "/v1/knowledge/item/" + text, status: 404},
		{name: "tags", method: "GET", path: "/v1/knowledge/tag/", status: 200,
			check: func(t *testing.T, r reply) { assert.Len(t, array(t, r), 2, "%s", r.raw) }},
		{name: "tags of the other project", other: true, method: "GET", path: "/v1/knowledge/tag/", status: 200,
			check: func(t *testing.T, r reply) { assert.Empty(t, array(t, r)) }},
		{name: "item delete", method: "DELETE", path: "/v1/knowledge/item/" + text, status: 200},
		{name: "item gone", method: "GET", path: "/v1/knowledge/item/" + text, status: 404},
		{name: "base delete", method: "DELETE", path: "/v1/knowledge/base/" + kb, status: 200},
		{name: "base gone", method: "GET", path: "/v1/knowledge/base/" + kb, status: 404},
	})

	t.Run("file upload", func(t *testing.T) {
		c := c
		c.t = t
		r := upload(c, map[string][]string{"tags": {"faq", "2026"}, "knowledge_base_id": {digaDemoKB}}, map[string]string{"faq.txt": "Opening hours: 9 to 5"}).must(t, http.StatusOK)
		item := r.path("successful_items.0").(map[string]any)
		assert.Equal(t, "faq.txt", item["name"], "named after the file")
		assert.Equal(t, "text/plain", item["content_type"])
		assert.Equal(t, float64(len("Opening hours: 9 to 5")), item["size_bytes"])
		assert.Equal(t, "file", item["category"])
		assert.Equal(t, []any{"faq", "2026"}, item["tags"])
		assert.Equal(t, digaDemoKB, item["knowledge_base_id"])
		got := c.do("GET", "/v1/knowledge/item/"+item["id"].(string), nil).must(t, http.StatusOK)
		assert.Equal(t, "faq.txt", got.json["name"], "stored")

		r = upload(c, map[string][]string{"name": {"Price list"}}, map[string]string{"a.txt": "a", "b.txt": "bb"}).must(t, http.StatusOK)
		assert.Len(t, r.json["successful_items"], 2, "one item per file")
		assert.Equal(t, "Price list", r.path("successful_items.0.name"), "the form's name wins")
	})
	t.Run("file upload without a file", func(t *testing.T) {
		c := c
		c.t = t
		r := upload(c, map[string][]string{"name": {"x"}}, nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body", "file"}, r.path("detail.0.loc"), "%s", r.raw)
	})
	t.Run("file upload into a dangling base", func(t *testing.T) {
		c := c
		c.t = t
		r := upload(c, map[string][]string{"knowledge_base_id": {digaNowhere}}, map[string]string{"a.txt": "a"}).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body", "knowledge_base_id"}, r.path("detail.0.loc"), "%s", r.raw)
	})
	t.Run("file upload as JSON", func(t *testing.T) {
		c := c
		c.t = t
		c.do("POST", "/v1/knowledge/item/file", `{"file":["a.txt"]}`).must(t, http.StatusUnsupportedMediaType)
	})
}

func TestDigaPathsAndIntegrations(t *testing.T) { digaSurfacePathsAndIntegrations(t, start(t).diga(t)) }

func digaSurfacePathsAndIntegrations(t *testing.T, c client) {
	path := id(t, c.do("POST", "/v1/path/", `{"name":"Booking","nodes":[{"node_type":"start","name":"Start"}]}`).must(t, http.StatusOK), "id")
	integ := id(t, c.do("POST", "/v1/integration", `{"name":"CRM","base_url":"https://crm.example.com","integration_type":"HTTP","headers":{"X-Env":"test"}}`).must(t, http.StatusCreated), "id")
	tool := id(t, c.do("POST", "/v1/integration/"+integ+"/tool", `{"name":"find","description":"Finds","endpoint_path":"/find","method":"GET"}`).must(t, http.StatusCreated), "id")
	runCases(t, c, []surfaceCase{
		{name: "path create without name", method: "POST", path: "/v1/path/", body: `{"nodes":[]}`, status: 422, check: loc("body", "name")},
		{name: "path create with a dangling knowledge base", method: "POST", path: "/v1/path/", body: `{"name":"p","nodes":[{"node_type":"conversation","knowledge_base_ids":["` + digaNowhere + `"]}]}`, status: 422,
			check: loc("body", "nodes", 0.0, "knowledge_base_ids", 0.0)},
		{name: "path get", method: "GET", path: "/v1/path/" + path, status: 200, check: member("nodes.0.name", "Start")},
		{name: "path get missing", method: "GET", path: "/v1/path/" + digaNowhere, status: 404, check: code("PATH_NOT_FOUND")},
		{name: "path get of the other project", other: true, method: "GET", path: "/v1/path/" + path, status: 404},
		{name: "path patch", method: "PATCH", path: "/v1/path/" + path, body: `{"global_prompt":"Be brief"}`, status: 200, check: member("global_prompt", "Be brief")},
		{name: "path patch invalid", method: "PATCH", path: "/v1/path/" + path, body: `{"nodes":"none"}`, status: 422, check: loc("body", "nodes")},
		{name: "path delete of the other project", other: true, method: "DELETE", path: "/v1/path/" + path, status: 404},

		{name: "integration create invalid", method: "POST", path: "/v1/integration", body: `{"name":"x","base_url":"https://x","integration_type":"SOAP"}`, status: 422, check: loc("body", "integration_type")},
		{name: "integration get", method: "GET", path: "/v1/integration/" + integ, status: 200, check: member("headers.X-Env", "test")},
		{name: "integration get missing", method: "GET", path: "/v1/integration/" + digaNowhere, status: 404, check: code("INTEGRATION_NOT_FOUND")},
		{name: "integration get of the other project", other: true, method: "GET", path: "/v1/integration/" + integ, status: 404},
		{name: "integration patch", method: "PATCH", path: "/v1/integration/" + integ, body: `{"description":"Customers"}`, status: 200, check: member("description", "Customers")},
		{name: "integration patch invalid", method: "PATCH", path: "/v1/integration/" + integ, body: `{"headers":{"X":1}}`, status: 422, check: loc("body", "headers", "X")},

		{name: "tool create invalid", method: "POST", path: "/v1/integration/" + integ + "/tool", body: `{"name":"t","description":"d","endpoint_path":"/","method":"FETCH"}`, status: 422, check: loc("body", "method")},
		{name: "tool create under a missing integration", method: "POST", path: "/v1/integration/" + digaNowhere + "/tool", body: `{"name":"t","description":"d","endpoint_path":"/","method":"GET"}`, status: 404, check: code("INTEGRATION_NOT_FOUND")},
		{name: "tool get", method: "GET", path: "/v1/integration/" + integ + "/tool/" + tool, status: 200, check: member("method", "GET")},
		{name: "tool get missing", method: "GET", path: "/v1/integration/" + integ + "/tool/" + digaNowhere, status: 404, check: code("TOOL_NOT_FOUND")},
		{name: "tool get of the other project", other: true, method: "GET", path: "/v1/integration/" + integ + "/tool/" + tool, status: 404},
		{name: "tool patch", method: "PATCH", path: "/v1/integration/" + integ + "/tool/" + tool, body: `{"timeout":9}`, status: 200, check: member("timeout", 9.0)},
		{name: "tool patch invalid", method: "PATCH", path: "/v1/integration/" + integ + "/tool/" + tool, body: `{"timeout":"soon"}`, status: 422, check: loc("body", "timeout")},
		{name: "tool approval", method: "PATCH", path: "/v1/integration/" + integ + "/tool-approval", body: `{"tools":[{"tool_id":"` + tool + `","approval_required":true}]}`, status: 204},
		{name: "tool approval applied", method: "GET", path: "/v1/integration/" + integ + "/tool/" + tool, status: 200, check: member("approval_required", true)},
		{name: "tool approval invalid", method: "PATCH", path: "/v1/integration/" + integ + "/tool-approval", body: `{"tools":[{"tool_id":"` + tool + `"}]}`, status: 422, check: loc("body", "tools", 0.0, "approval_required")},
		{name: "tool approval of a dangling tool", method: "PATCH", path: "/v1/integration/" + integ + "/tool-approval", body: `{"tools":[{"tool_id":"` + digaNowhere + `","approval_required":true}]}`, status: 422,
			check: loc("body", "tools", 0.0, "tool_id")},
		{name: "tool approval of the other project", other: true, method: "PATCH", path: "/v1/integration/" + integ + "/tool-approval", body: `{"tools":[]}`, status: 404},
		{name: "agent with a dangling tool", method: "PATCH", path: "/v1/agent/" + FixtureDigaAgent, body: `{"integrations":[{"integration_id":"` + integ + `","tool_ids":["` + digaNowhere + `"]}]}`, status: 422,
			check: loc("body", "integrations", 0.0, "tool_ids", 0.0)},
		{name: "tool delete", method: "DELETE", path: "/v1/integration/" + integ + "/tool/" + tool, status: 204},
		{name: "tool gone", method: "GET", path: "/v1/integration/" + integ + "/tool/" + tool, status: 404},
		{name: "integration delete", method: "DELETE", path: "/v1/integration/" + integ, status: 204},
		{name: "integration gone", method: "GET", path: "/v1/integration/" + integ, status: 404},
		{name: "path delete", method: "DELETE", path: "/v1/path/" + path, status: 204},
		{name: "path gone", method: "GET", path: "/v1/path/" + path, status: 404},
		{name: "call tools", method: "GET", path: "/v1/call-tool/", status: 200},
	})
}

func TestDigaPhonesAndCalls(t *testing.T) { digaSurfacePhonesAndCalls(t, start(t).diga(t)) }

func digaSurfacePhonesAndCalls(t *testing.T, c client) {
	version := launched(t, c)
	phone := id(t, c.do("POST", "/v1/phone/import", `{"phone_number":"+34910000099","nickname":"Sales"}`).must(t, http.StatusOK), "id")
	call := id(t, c.do("POST", "/v1/call/", `{"from_number":"`+digaDemoNumber+`","to_number":"+34600000000","agent_version_id":"`+version+`"}`).must(t, http.StatusCreated), "id")
	runCases(t, c, []surfaceCase{
		{name: "import", method: "POST", path: "/v1/phone/import", body: `{"phone_number":"+34910000098","sip_config":{"termination_uri":"sip:t.example.com"}}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, "+34910000098", r.json["number"], "phone_number is the phone's number")
				assert.Equal(t, "custom", r.json["telephony_provider"])
				assert.Equal(t, "assigned", r.json["status"])
				assert.Equal(t, "sip:t.example.com", r.path("sip_config.termination_uri"))
			}},
		{name: "import without sip config", method: "GET", path: "/v1/phone/" + phone, status: 200, check: member("sip_config", nil)},
		{name: "import invalid", method: "POST", path: "/v1/phone/import", body: `{"phone_number":"612 34 56 78"}`, status: 422, check: loc("body", "phone_number")},
		{name: "list", method: "GET", path: "/v1/phone/", status: 200,
			check: func(t *testing.T, r reply) { assert.Contains(t, string(r.raw), digaDemoPhone) }},
		{name: "list of the other project", other: true, method: "GET", path: "/v1/phone/", status: 200,
			check: func(t *testing.T, r reply) { assert.NotContains(t, string(r.raw), phone) }},
		{name: "get missing", method: "GET", path: "/v1/phone/" + digaNowhere, status: 404, check: code("PHONE_NUMBER_NOT_FOUND")},
		{name: "get of the other project", other: true, method: "GET", path: "/v1/phone/" + phone, status: 404},
		{name: "update", method: "PATCH", path: "/v1/phone/" + phone, body: `{"inbound_version_id":"` + version + `","nickname":"Main"}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, version, r.json["inbound_version_id"])
				assert.Equal(t, FixtureDigaAgent, r.json["inbound_agent_id"], "the version's agent")
				assert.Equal(t, "Main", r.json["nickname"])
			}},
		{name: "list by inbound agent", method: "GET", path: "/v1/phone/?inbound_agent_id=" + FixtureDigaAgent, status: 200, check: member("data.0.id", phone)},
		{name: "update with a dangling version", method: "PATCH", path: "/v1/phone/" + phone, body: `{"outbound_version_id":"` + digaNowhere + `"}`, status: 422, check: loc("body", "outbound_version_id")},
		{name: "update with the other project's version", other: true, method: "PATCH", path: "/v1/phone/e7d6c5b4-a392-4817-8615-243342516002", body: `{"outbound_version_id":"` + version + `"}`, status: 422,
			check: loc("body", "outbound_version_id")},
		{name: "update invalid", method: "PATCH", path: "/v1/phone/" + phone, body: `{"outbound_version_id":"v1"}`, status: 422, check: loc("body", "outbound_version_id")},
		{name: "update clearing the version", method: "PATCH", path: "/v1/phone/" + phone, body: `{"inbound_version_id":null}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Nil(t, r.json["inbound_version_id"])
				assert.Nil(t, r.json["inbound_agent_id"], "the agent goes with its version")
			}},
		{name: "update of the other project", other: true, method: "PATCH", path: "/v1/phone/" + phone, body: `{"nickname":"x"}`, status: 404},
		{name: "release of the other project", other: true, method: "DELETE", path: "/v1/phone/" + phone, status: 404},

		{name: "call from a number with no outbound version", method: "POST", path: "/v1/call/", body: `{"from_number":"` + digaDemoPhone + `","to_number":"+34600000001","dynamic_variables":{"name":"Ana"}}`, status: 412,
			check: func(t *testing.T, r reply) { assert.Equal(t, "SIP_CONFIG_NOT_SET", r.json["error_code"]) }},
		{name: "call outside Spain", method: "POST", path: "/v1/call/", body: `{"from_number":"` + digaDemoNumber + `","to_number":"+14155550100"}`, status: 400,
			check: func(t *testing.T, r reply) { assert.Equal(t, "NON_SPANISH_PHONE_NUMBER", r.json["error_code"]) }},
		{name: "call invalid", method: "POST", path: "/v1/call/", body: `{"from_number":"` + digaDemoNumber + `","to_number":"0034"}`, status: 422, check: loc("body", "to_number")},
		{name: "call without a number", method: "POST", path: "/v1/call/", body: `{"to_number":"+34600000000"}`, status: 422, check: loc("body", "from_number")},
		{name: "call from a number the project lacks", method: "POST", path: "/v1/call/", body: `{"from_number":"+34999999999","to_number":"+34600000000"}`, status: 404, check: code("PHONE_NUMBER_NOT_FOUND")},
		{name: "call from the other project's number", method: "POST", path: "/v1/call/", body: `{"from_number":"` + digaOtherNumber + `","to_number":"+34600000000"}`, status: 404, check: code("PHONE_NUMBER_NOT_FOUND")},
		{name: "call with a dangling version", method: "POST", path: "/v1/call/", body: `{"from_number":"` + digaDemoNumber + `","to_number":"+34600000000","agent_version_id":"` + digaNowhere + `"}`, status: 422,
			check: loc("body", "agent_version_id")},
		{name: "call get", method: "GET", path: "/v1/call/" + call, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, version, r.json["agent_version_id"])
				assert.Equal(t, FixtureDigaAgent, r.json["agent_id"], "the version's agent")
			}},
		{name: "call get missing", method: "GET", path: "/v1/call/" + digaNowhere, status: 404, check: code("CALL_NOT_FOUND")},
		{name: "call get of the other project", other: true, method: "GET", path: "/v1/call/" + call, status: 404, check: code("CALL_NOT_FOUND")},
		{name: "calls by status and agent", method: "GET", path: "/v1/call/?status=dialing&type=outbound&agent_id=" + FixtureDigaAgent, status: 200,
			check: func(t *testing.T, r reply) { assert.Len(t, r.json["data"], 1, "%s", r.raw) }},
		{name: "calls by another status", method: "GET", path: "/v1/call/?status=completed", status: 200, check: member("data", []any{})},
		{name: "calls invalid filter", method: "GET", path: "/v1/call/?status=ringing", status: 422,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, "VALIDATION_ERROR", r.json["error_code"], "the list's 422 is the standard error body: %s", r.raw)
				assert.Contains(t, r.json["message"], "query.status")
			}},
		{name: "calls of the other project", other: true, method: "GET", path: "/v1/call/", status: 200, check: member("data", []any{})},
		{name: "messages", method: "GET", path: "/v1/call/" + call + "/message", status: 200, check: member("data", []any{})},
		{name: "messages of a missing call", method: "GET", path: "/v1/call/" + digaNowhere + "/message", status: 404, check: code("CALL_NOT_FOUND")},
		{name: "messages of the other project", other: true, method: "GET", path: "/v1/call/" + call + "/message", status: 404},
		{name: "recording not made yet", method: "GET", path: "/v1/recording/" + call, status: 404,
			check: func(t *testing.T, r reply) { assert.Contains(t, r.json["message"], "no recording_url yet") }},
		{name: "recording of a missing call", method: "GET", path: "/v1/recording/" + digaNowhere, status: 404, check: code("CALL_NOT_FOUND")},
		{name: "recording of the other project", other: true, method: "GET", path: "/v1/recording/" + call, status: 404},
		{name: "release", method: "DELETE", path: "/v1/phone/" + phone, status: 204},
		{name: "released", method: "GET", path: "/v1/phone/" + phone, status: 404},
	})
}

func TestDigaWebhooksAndKeys(t *testing.T) { digaSurfaceWebhooksAndKeys(t, start(t).diga(t)) }

func digaSurfaceWebhooksAndKeys(t *testing.T, c client) {
	hook := c.do("POST", "/v1/webhook/", `{"url":"https://example.com/hook","subscribed_events":["status_changed"]}`).must(t, http.StatusOK)
	wh := id(t, hook, "id")
	key := c.do("POST", "/v1/api_key/", `{"name":"ci","restricted":true,"permissions":["agents.view"]}`).must(t, http.StatusOK)
	kid, value := id(t, key, "id"), id(t, key, "value")
	runCases(t, c, []surfaceCase{
		{name: "webhook create invalid", method: "POST", path: "/v1/webhook/", body: `{"url":"https://example.com","subscribed_events":["call_ended"]}`, status: 422, check: loc("body", "subscribed_events", 0.0)},
		{name: "webhook create without url", method: "POST", path: "/v1/webhook/", body: `{"subscribed_events":[]}`, status: 422, check: loc("body", "url")},
		{name: "webhook get", method: "GET", path: "/v1/webhook/" + wh, status: 200, check: member("secret", nil)},
		{name: "webhook get missing", method: "GET", path: "/v1/webhook/" + digaNowhere, status: 404, check: code("WEBHOOK_NOT_FOUND")},
		{name: "webhook get of the other project", other: true, method: "GET", path: "/v1/webhook/" + wh, status: 404},
		{name: "webhook patch", method: "PATCH", path: "/v1/webhook/" + wh, body: `{"url":"https://example.com/v2"}`, status: 200,
			check: func(t *testing.T, r reply) {
				assert.Equal(t, "https://example.com/v2", r.json["url"])
				assert.NotContains(t, r.json, "secret")
			}},
		{name: "webhook patch invalid", method: "PATCH", path: "/v1/webhook/" + wh, body: `{"url":""}`, status: 422, check: loc("body", "url")},
		{name: "webhook delete of the other project", other: true, method: "DELETE", path: "/v1/webhook/" + wh, status: 404},

		{name: "key create invalid", method: "POST", path: "/v1/api_key/", body: `{"name":"x"}`, status: 422, check: loc("body", "restricted")},
		{name: "key create with an unknown permission", method: "POST", path: "/v1/api_key/", body: `{"name":"x","restricted":true,"permissions":["everything"]}`, status: 422,
			check: loc("body", "permissions", 0.0)},
		{name: "key get", method: "GET", path: "/v1/api_key/" + kid, status: 200,
			check: func(t *testing.T, r reply) {
				assert.NotContains(t, r.json, "value")
				assert.Equal(t, value[len(value)-4:], r.json["last_four_digits"])
			}},
		{name: "key list", method: "GET", path: "/v1/api_key/", status: 200,
			check: func(t *testing.T, r reply) { assert.NotContains(t, string(r.raw), value) }},
		{name: "key get missing", method: "GET", path: "/v1/api_key/" + digaNowhere, status: 404, check: code("API_KEY_NOT_FOUND")},
		{name: "key get of the other project", other: true, method: "GET", path: "/v1/api_key/" + kid, status: 404},
		{name: "key patch", method: "PATCH", path: "/v1/api_key/" + kid, body: `{"name":"ci-2"}`, status: 200, check: member("name", "ci-2")},
		{name: "key patch invalid", method: "PATCH", path: "/v1/api_key/" + kid, body: `{"restricted":"yes"}`, status: 422, check: loc("body", "restricted")},
	})
	t.Run("a created key works, within its permissions", func(t *testing.T) {
		c := c
		c.t = t
		k := c.withKey(value)
		k.do("GET", "/v1/agent/", nil).must(t, http.StatusOK)
		k.do("GET", "/v1/webhook/", nil).must(t, http.StatusForbidden)
		c.do("DELETE", "/v1/api_key/"+kid, nil).must(t, http.StatusOK)
		k.do("GET", "/v1/agent/", nil).must(t, http.StatusUnauthorized)
	})
	t.Run("knowledge items and tags need knowledge_bases permissions", func(t *testing.T) {
		c := c
		c.t = t
		r := c.do("POST", "/v1/api_key/", `{"name":"kb","restricted":true,"permissions":["knowledge_bases.view"]}`).must(t, http.StatusOK)
		k := c.withKey(id(t, r, "value"))
		k.do("GET", "/v1/knowledge/item/", nil).must(t, http.StatusOK)
		k.do("GET", "/v1/knowledge/tag/", nil).must(t, http.StatusOK)
		k.do("POST", "/v1/knowledge/item/text", `{"name":"n","content":"c"}`).must(t, http.StatusForbidden)
		k.do("GET", "/v1/phone/", nil).must(t, http.StatusForbidden)
	})
	t.Run("webhook delete", func(t *testing.T) {
		c := c
		c.t = t
		c.do("DELETE", "/v1/webhook/"+wh, nil).must(t, http.StatusOK)
		c.do("GET", "/v1/webhook/"+wh, nil).must(t, http.StatusNotFound)
	})
}

func TestDigaVersionsDropdown(t *testing.T) { digaSurfaceVersionsDropdown(t, start(t).diga(t)) }

func digaSurfaceVersionsDropdown(t *testing.T, c client) {
	version := launched(t, c)
	r := c.do("GET", "/v1/agent/versions-dropdown/dashboard", nil).must(t, http.StatusOK)
	agents := array(t, r)
	require.Len(t, agents, 1, "%s", r.raw)
	a := agents[0].(map[string]any)
	assert.Equal(t, FixtureDigaAgent, a["agent_id"])
	assert.Equal(t, "Reception", a["name"])
	vs := a["versions"].([]any)
	require.Len(t, vs, 3, "v1, the launched v2, then the draft: %s", r.raw)
	assert.Equal(t, version, vs[1].(map[string]any)["version_id"])
	assert.Equal(t, "for calls", vs[1].(map[string]any)["version_name"])
	assert.Equal(t, true, vs[2].(map[string]any)["is_draft"])
	other := c.withKey(digaOtherKey).do("GET", "/v1/agent/versions-dropdown/dashboard", nil).must(t, http.StatusOK)
	assert.Empty(t, array(t, other))
}

// The chains a user walks, on the embedded default.

// chainKnowledge: a knowledge base, a text item in it, and an agent that
// consults the base.
func chainKnowledge(t *testing.T, c client) {
	kb := id(t, c.do("POST", "/v1/knowledge/base/", `{"name":"Clinic FAQ"}`).must(t, http.StatusOK), "id")
	item := id(t, c.do("POST", "/v1/knowledge/item/text", `{"name":"hours","content":"Open 9 to 5","knowledge_base_id":"`+kb+`"}`).must(t, http.StatusOK), "id")
	got := c.do("GET", "/v1/knowledge/item/"+item, nil).must(t, http.StatusOK)
	assert.Equal(t, kb, got.json["knowledge_base_id"])
	c.do("PATCH", "/v1/knowledge/base/"+kb, `{"knowledge_item_ids":["`+item+`"]}`).must(t, http.StatusOK)
	base := c.do("GET", "/v1/knowledge/base/"+kb, nil).must(t, http.StatusOK)
	assert.Equal(t, item, base.path("knowledge_items.0.id"), "the base lists the items that name it")
	assert.Equal(t, "hours", base.path("knowledge_items.0.name"))
	c.do("GET", "/v1/knowledge/item/?knowledge_base_id="+kb, nil).must(t, http.StatusOK)
	r := c.do("PATCH", "/v1/agent/"+FixtureDigaAgent, `{"knowledge_base_ids":["`+kb+`"]}`).must(t, http.StatusOK)
	assert.Equal(t, []any{kb}, r.json["knowledge_base_ids"])
	r = c.do("GET", "/v1/agent/"+FixtureDigaAgent, nil).must(t, http.StatusOK)
	assert.Equal(t, []any{kb}, r.json["knowledge_base_ids"])
}

// chainCall: an imported number set to make its calls with a launched
// version, and a call from it.
func chainCall(t *testing.T, c client) {
	version := launched(t, c)
	phone := id(t, c.do("POST", "/v1/phone/import", `{"phone_number":"+34910000123","nickname":"Outbound","sip_config":{"termination_uri":"sip:trunk.example.com","username":"u","password":"p"}}`).must(t, http.StatusOK), "id")
	r := c.do("PATCH", "/v1/phone/"+phone, `{"outbound_version_id":"`+version+`"}`).must(t, http.StatusOK)
	assert.Equal(t, FixtureDigaAgent, r.json["outbound_agent_id"])
	c.do("GET", "/v1/phone/"+phone, nil).must(t, http.StatusOK)
	c.do("GET", "/v1/phone/?outbound_agent_id="+FixtureDigaAgent, nil).must(t, http.StatusOK)
	r = c.do("POST", "/v1/call/", `{"from_number":"+34910000123","to_number":"+34600000000"}`).must(t, http.StatusCreated)
	assert.Equal(t, "dialing", r.json["status"])
	assert.Equal(t, FixtureDigaAgent, r.json["agent_id"])
	assert.Equal(t, version, r.json["agent_version_id"])
	assert.Equal(t, phone, r.json["phone_register_id"])
	call := id(t, r, "id")
	c.do("GET", "/v1/call/"+call, nil).must(t, http.StatusOK)
	c.do("GET", "/v1/call/?agent_id="+FixtureDigaAgent, nil).must(t, http.StatusOK)
	c.do("GET", "/v1/call/"+call+"/message", nil).must(t, http.StatusOK)
}

// chainWebhook: a webhook's secret is shown at creation and never again.
func chainWebhook(t *testing.T, c client) {
	r := c.do("POST", "/v1/webhook/", `{"url":"https://example.com/events","subscribed_events":["status_changed"]}`).must(t, http.StatusOK)
	secret, _ := r.json["secret"].(string)
	assert.Len(t, secret, 64, "%s", r.raw)
	wh := id(t, r, "id")
	list := c.do("GET", "/v1/webhook/", nil).must(t, http.StatusOK)
	assert.Contains(t, string(list.raw), wh)
	assert.NotContains(t, string(list.raw), secret)
	assert.NotContains(t, string(list.raw), `"secret"`)
	got := c.do("GET", "/v1/webhook/"+wh, nil).must(t, http.StatusOK)
	assert.NotContains(t, string(got.raw), secret)
	assert.NotContains(t, got.json, "secret")
}

var digaChains = []struct {
	name string
	run  func(t *testing.T, c client)
}{
	{"knowledge base, text item, agent", chainKnowledge},
	{"phone, outbound version, call", chainCall},
	{"webhook secret shown once", chainWebhook},
}

// digaTables are the per-operation tables above, which the vendor check
// runs too, its statuses unchecked: Diga's document declares no 404 or 422
// for several of them.
var digaTables = []struct {
	name string
	run  func(t *testing.T, c client)
}{
	{"knowledge", digaSurfaceKnowledge},
	{"paths and integrations", digaSurfacePathsAndIntegrations},
	{"phones and calls", digaSurfacePhonesAndCalls},
	{"webhooks and keys", digaSurfaceWebhooksAndKeys},
	{"versions dropdown", digaSurfaceVersionsDropdown},
}

func TestDigaChains(t *testing.T) {
	for _, ch := range digaChains {
		t.Run(ch.name, func(t *testing.T) {
			c := start(t).diga(t)
			c.t = t
			ch.run(t, c)
		})
	}
}

// TestDigaChainsValidateAgainstVendor runs the chains on the embedded
// default and checks every answer against Diga's own 2026-01-22 document
// as well (its statuses included), given in AGENTMOCK_VENDOR_DIGA_SPECS;
// then the per-operation tables, bodies only. Operations that document
// lacks (text and URL items) are checked against ours only; the reads of
// what they create are in it.
func TestDigaChainsValidateAgainstVendor(t *testing.T) {
	inProcessOnly(t)
	var file string
	for _, f := range filepath.SplitList(os.Getenv("AGENTMOCK_VENDOR_DIGA_SPECS")) {
		if strings.Contains(filepath.Base(f), "2026-01-22") {
			file = f
		}
	}
	if file == "" {
		t.Skip("AGENTMOCK_VENDOR_DIGA_SPECS names no 2026-01-22 document")
	}
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	vendor, err := openapi.Load(context.Background(), data)
	require.NoError(t, err)
	for _, ch := range digaChains {
		t.Run(ch.name, func(t *testing.T) {
			c := start(t).diga(t)
			for _, p := range []string{"/v1/knowledge/base/", "/v1/phone/", "/v1/call/", "/v1/webhook/"} {
				probe, err := http.NewRequest(http.MethodGet, c.base+p, nil)
				require.NoError(t, err)
				_, err = vendor.FindRoute(probe)
				require.NoError(t, err, "%s: the vendor's document must route our requests, or nothing is checked against it", p)
			}
			// The server checks each answer against our document; the
			// harness checks it against the vendor's.
			c.t, c.spec, c.strict = t, vendor, true
			ch.run(t, c)
		})
	}
	for _, tb := range digaTables {
		t.Run(tb.name, func(t *testing.T) {
			c := start(t).diga(t)
			c.t, c.spec, c.strict = t, vendor, false
			tb.run(t, c)
		})
	}
}
