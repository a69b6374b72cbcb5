package contracttests

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agentIDs returns the agent ids of a page, in order.
func agentIDs(r reply) []string {
	var out []string
	for _, a := range r.json["data"].([]any) {
		out = append(out, a.(map[string]any)["agent_id"].(string))
	}
	return out
}

// newProjectWithAgents gives a fresh server whose demo project holds the
// fixture agent plus n more, returning all ids oldest first.
func newProjectWithAgents(t *testing.T, n int) (client, []string) {
	inProcessOnly(t) // exact counts need a fresh database
	c := start(t).diga(t)
	ids := agentIDs(c.do("GET", "/v1/agent/?order=asc&limit=100", nil).must(t, http.StatusOK))
	for range n {
		ids = append(ids, newDigaAgent(t, c))
	}
	return c, ids
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestDigaPaginationWalks(t *testing.T) {
	c, ids := newProjectWithAgents(t, 11) // 12 agents
	for _, order := range []string{"asc", "desc"} {
		want := ids
		if order == "desc" {
			want = reversed(ids)
		}
		t.Run(order+" forward with after", func(t *testing.T) {
			var seen []string
			q := url.Values{"order": {order}, "limit": {"5"}}
			for range 10 {
				r := c.do("GET", "/v1/agent/?"+q.Encode(), nil).must(t, http.StatusOK)
				page := agentIDs(r)
				seen = append(seen, page...)
				assert.Equal(t, page[0], r.json["first_id"])
				assert.Equal(t, page[len(page)-1], r.json["last_id"])
				assert.Nil(t, r.json["current_page"], "cursor mode has no page numbers")
				if r.json["has_more"] == false {
					break
				}
				q.Set("after", r.json["last_id"].(string))
			}
			assert.Equal(t, want, seen)
		})
		t.Run(order+" backward with before", func(t *testing.T) {
			last := want[len(want)-1]
			var seen []string
			q := url.Values{"order": {order}, "limit": {"5"}, "before": {last}}
			for range 10 {
				r := c.do("GET", "/v1/agent/?"+q.Encode(), nil).must(t, http.StatusOK)
				seen = append(agentIDs(r), seen...)
				if r.json["has_more"] == false {
					break
				}
				q.Set("before", r.json["first_id"].(string))
			}
			assert.Equal(t, want[:len(want)-1], seen)
		})
	}
	t.Run("page numbers", func(t *testing.T) {
		r := c.do("GET", "/v1/agent/?order=asc&limit=5&page=3", nil).must(t, http.StatusOK)
		assert.Equal(t, ids[10:12], agentIDs(r))
		assert.Equal(t, 3.0, r.json["current_page"])
		assert.Equal(t, 3.0, r.json["total_pages"])
		assert.Equal(t, false, r.json["has_more"])
		r = c.do("GET", "/v1/agent/?order=asc&limit=5&page=1", nil).must(t, http.StatusOK)
		assert.Equal(t, ids[0:5], agentIDs(r))
		assert.Equal(t, true, r.json["has_more"])
	})
}

// TestDigaWalkWhileCreating pages through while other agents are created:
// every agent that existed when the walk began is seen exactly once.
func TestDigaWalkWhileCreating(t *testing.T) {
	c, ids := newProjectWithAgents(t, 9)
	for _, dir := range []string{"after", "before"} {
		t.Run(dir, func(t *testing.T) {
			seen := map[string]int{}
			q := url.Values{"order": {"asc"}, "limit": {"3"}}
			if dir == "before" {
				// Walk back from a fresh agent: everything older is the set.
				q.Set("before", newDigaAgent(t, c))
			}
			for range 20 {
				r := c.do("GET", "/v1/agent/?"+q.Encode(), nil).must(t, http.StatusOK)
				for _, id := range agentIDs(r) {
					seen[id]++
				}
				newDigaAgent(t, c)
				if r.json["has_more"] == false {
					break
				}
				if dir == "after" {
					q.Set("after", r.json["last_id"].(string))
				} else {
					q.Set("before", r.json["first_id"].(string))
				}
			}
			for _, id := range ids {
				assert.Equal(t, 1, seen[id], id)
			}
			for id, n := range seen {
				assert.Equal(t, 1, n, id)
			}
		})
	}
}

func TestDigaPaginationLimitsAndErrors(t *testing.T) {
	c, ids := newProjectWithAgents(t, 100) // 101 agents
	require.Len(t, ids, 101)
	cases := []struct {
		query  string
		status int
		count  int
		loc    []any
	}{
		{"limit=1", 200, 1, nil},
		{"limit=100", 200, 100, nil},
		{"limit=101", 422, 0, []any{"query", "limit"}},
		{"limit=0", 422, 0, []any{"query", "limit"}},
		{"limit=ten", 422, 0, []any{"query", "limit"}},
		{"order=sideways", 422, 0, []any{"query", "order"}},
		{"page=0", 422, 0, []any{"query", "page"}},
		{"after=not-a-uuid", 422, 0, []any{"query", "after"}},
		{"mode=fixed", 422, 0, []any{"query", "mode"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := c.do("GET", "/v1/agent/?"+tc.query, nil).must(t, tc.status)
			if tc.status == 200 {
				assert.Len(t, r.json["data"], tc.count)
				return
			}
			assert.Equal(t, tc.loc, r.path("detail.0.loc"), "FastAPI validation body: %s", r.raw)
		})
	}
	t.Run("both cursors", func(t *testing.T) {
		r := c.do("GET", fmt.Sprintf("/v1/agent/?after=%s&before=%s", ids[1], ids[5]), nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, map[string]any{"status": "error", "error_code": "INVALID_PAGINATION_PARAMETERS",
			"message": "Cannot use both 'before' and 'after' pagination parameters together"}, r.json)
	})
	t.Run("unknown cursor", func(t *testing.T) {
		r := c.do("GET", "/v1/agent/?after=00000000-0000-4000-8000-000000000000", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "INVALID_PAGINATION_PARAMETERS", r.json["error_code"])
	})
	t.Run("voices allow at most 50", func(t *testing.T) {
		c.do("GET", "/v1/voice/?limit=50", nil).must(t, http.StatusOK)
		r := c.do("GET", "/v1/voice/?limit=51", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"query", "limit"}, r.path("detail.0.loc"))
		r = c.do("GET", fmt.Sprintf("/v1/voice/?after=%s&before=%s", voiceLucia, voiceMateo), nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "INVALID_PAGINATION_PARAMETERS", r.json["error_code"])
	})
	t.Run("mode filter", func(t *testing.T) {
		c.do("PATCH", "/v1/agent/"+ids[3], `{"mode":"path","conversational_path_id":"`+digaPath+`"}`).must(t, http.StatusOK)
		r := c.do("GET", "/v1/agent/?mode=path", nil).must(t, http.StatusOK)
		assert.Equal(t, []string{ids[3]}, agentIDs(r))
	})
}

func TestDigaPermissions(t *testing.T) {
	tg := start(t)
	owner := tg.diga(t)
	ro := owner.withKey("sk-diga-readonly")
	id := newDigaAgent(t, owner)

	ro.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)
	ro.do("GET", "/v1/agent/", nil).must(t, http.StatusOK)
	ro.do("GET", "/v1/voice/", nil).must(t, http.StatusOK)
	cases := []struct{ method, path, body, message string }{
		{"POST", "/v1/agent/", `{"voice_id":"` + voiceLucia + `","language":"es"}`, "Missing required permissions to create agents"},
		{"PATCH", "/v1/agent/" + id, `{"name":"x"}`, "Missing required permissions to update agents"},
		{"DELETE", "/v1/agent/" + id, "", "Missing required permissions to delete agents"},
		{"POST", "/v1/agent/" + id + "/version", `{}`, "Missing required permissions to create agents"},
		{"PATCH", "/v1/agent/" + id + "/published_version", `{}`, "Missing required permissions to update agents or phones"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := ro.do(tc.method, tc.path, body).must(t, http.StatusForbidden)
			assert.Equal(t, map[string]any{"status": "error", "error_code": "INTERNAL_SERVER_ERROR", "message": tc.message}, r.json)
		})
	}
	assert.Nil(t, owner.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["name"], "nothing changed")
}

func TestDigaReferenceLists(t *testing.T) {
	tg := start(t)
	c := tg.diga(t)
	for path, want := range map[string]string{
		"/v1/knowledge/base/":                    digaKB,
		"/v1/path/":                              digaPath,
		"/v1/integration":                        digaInteg,
		"/v1/integration/" + digaInteg + "/tool": digaTool,
	} {
		t.Run(path, func(t *testing.T) {
			r := c.do("GET", path, nil).must(t, http.StatusOK)
			assert.Contains(t, fmt.Sprint(r.json["data"]), want)
		})
	}
	r := c.do("GET", "/v1/call-tool/", nil).must(t, http.StatusOK)
	assert.Contains(t, string(r.raw), digaCallTool)
	r = c.do("GET", "/v1/integration/00000000-0000-4000-8000-000000000000/tool", nil).must(t, http.StatusNotFound)
	assert.Equal(t, "INTEGRATION_NOT_FOUND", r.json["error_code"])
	other := c.withKey(tg.digaOther)
	assert.NotContains(t, string(other.do("GET", "/v1/knowledge/base/", nil).must(t, http.StatusOK).raw), digaKB, "references belong to a project")

	id := newDigaAgent(t, c)
	for name, body := range map[string]string{
		"integration":    `{"integrations":[{"integration_id":"00000000-0000-4000-8000-000000000000","tool_ids":[]}]}`,
		"tool":           `{"integrations":[{"integration_id":"` + digaInteg + `","tool_ids":["00000000-0000-4000-8000-000000000000"]}]}`,
		"call tool":      `{"call_tools":[{"call_tool_id":"00000000-0000-4000-8000-000000000000"}]}`,
		"path":           `{"conversational_path_id":"00000000-0000-4000-8000-000000000000"}`,
		"knowledge base": `{"knowledge_base_ids":["00000000-0000-4000-8000-000000000000"]}`,
		"voice on POST":  "",
	} {
		t.Run("dangling "+name, func(t *testing.T) {
			var r reply
			if body == "" {
				r = c.do("POST", "/v1/agent/", `{"voice_id":"00000000-0000-4000-8000-000000000000","language":"es"}`).must(t, http.StatusUnprocessableEntity)
			} else {
				r = c.do("PATCH", "/v1/agent/"+id, body).must(t, http.StatusUnprocessableEntity)
			}
			assert.Equal(t, "value_error", r.path("detail.0.type"))
			assert.Contains(t, r.path("detail.0.msg"), "00000000-0000-4000-8000-000000000000", "the error names the id")
		})
	}
}
