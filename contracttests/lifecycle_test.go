package contracttests

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// digaDocuments are the documents the lifecycle runs against: ours, and each
// file named in AGENTMOCK_VENDOR_DIGA_SPECS (a path-list, e.g. Diga's three
// published documents).
func digaDocuments() map[string]string {
	docs := map[string]string{"embedded": ""}
	for _, f := range filepath.SplitList(os.Getenv("AGENTMOCK_VENDOR_DIGA_SPECS")) {
		if f != "" {
			docs[filepath.Base(f)] = f
		}
	}
	return docs
}

// spec is the Diga document served. Against an external instance, that is
// taken to be our embedded document.
func (tg *target) spec(t *testing.T) *openapi.Spec {
	t.Helper()
	if tg.srv != nil {
		return tg.srv.App.Server("diga").Spec()
	}
	data, err := openapi.Embedded("diga")
	require.NoError(t, err)
	spec, err := openapi.Load(context.Background(), data)
	require.NoError(t, err)
	return spec
}

// status is the success status the served document declares.
func (tg *target) status(t *testing.T, key string) int {
	t.Helper()
	op := tg.spec(t).Operation(key)
	require.NotNil(t, op, key)
	return openapi.SuccessStatus(op.Operation)
}

// TestDigaLifecycle walks an agent's whole life: create, edit the draft,
// launch two more versions, publish the latest, fail to delete it, unpublish,
// delete. After each step it reads the stored state back.
func TestDigaLifecycle(t *testing.T) {
	for name, file := range digaDocuments() {
		t.Run(name, func(t *testing.T) {
			var tg *target
			if file == "" {
				tg = start(t)
			} else {
				inProcessOnly(t)
				tg = start(t, agentmocktest.WithDigaSpec(file))
			}
			c := tg.diga(t)
			created := c.do("POST", "/v1/agent/", `{"voice_id":"`+voiceLucia+`","language":"es","name":"Life"}`).must(t, tg.status(t, "POST /v1/agent/"))
			id := created.json["agent_id"].(string)
			v1 := created.json["version_id"].(string)
			assert.Equal(t, false, created.json["is_draft"], "create returns version 1")
			assert.Equal(t, 1.0, created.json["version_number"])

			draft := c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK)
			assert.Equal(t, true, draft.json["is_draft"], "GET returns the draft")
			assert.Equal(t, 2.0, draft.json["version_number"], "the draft carries the next number")
			assert.NotEqual(t, v1, draft.json["version_id"])
			draftID := draft.json["version_id"].(string)

			edited := c.do("PATCH", "/v1/agent/"+id, `{"name":"Life v2"}`).must(t, http.StatusOK)
			assert.Equal(t, "Life v2", edited.json["name"])
			assert.Equal(t, true, edited.json["is_draft"], "PATCH edits the draft")
			v1row := c.do("GET", "/v1/agent/"+id+"?version_id="+v1, nil).must(t, http.StatusOK)
			assert.Equal(t, "Life", v1row.json["name"], "a launched version never changes")

			launch := tg.status(t, "POST /v1/agent/{}/version")
			v2 := c.do("POST", "/v1/agent/"+id+"/version", `{"version_name":"second"}`).must(t, launch)
			assert.Equal(t, 2.0, v2.json["version_number"])
			assert.Equal(t, "second", v2.json["version_name"])
			assert.Equal(t, "Life v2", v2.json["name"])
			assert.Equal(t, false, v2.json["is_draft"])
			v3 := c.do("POST", "/v1/agent/"+id+"/version", `{}`).must(t, launch)
			assert.Equal(t, 3.0, v3.json["version_number"])
			v3ID := v3.json["version_id"].(string)
			assert.Equal(t, 4.0, c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["version_number"])

			list := c.do("GET", "/v1/agent/"+id+"/version?order=asc", nil).must(t, http.StatusOK)
			var numbers []any
			for _, row := range list.json["data"].([]any) {
				numbers = append(numbers, row.(map[string]any)["version_number"])
			}
			assert.Equal(t, []any{1.0, 2.0, 3.0, 4.0}, numbers, "versions, then the draft")
			assert.Equal(t, v1, list.json["first_id"])
			assert.Equal(t, draftID, list.json["last_id"])

			pub := c.do("PATCH", "/v1/agent/"+id+"/published_version", `{"version_id":"`+v3ID+`"}`).must(t, http.StatusOK)
			assert.Equal(t, map[string]any{"agent_id": id, "published_version_id": v3ID, "outbound_phone_number_id": nil, "inbound_phone_number_id": nil}, pub.json)
			got := c.do("GET", "/v1/agent/"+id+"?is_published=true", nil).must(t, http.StatusOK)
			assert.Equal(t, v3ID, got.json["version_id"])
			assert.Equal(t, true, got.json["is_published"])
			published := c.do("GET", "/v1/agent/"+id+"/version?is_published=true", nil).must(t, http.StatusOK)
			assert.Len(t, published.json["data"], 1)
			listed := c.do("GET", "/v1/agent/?is_published=true&limit=100&page=1", nil).must(t, http.StatusOK)
			var rows []map[string]any
			for _, d := range listed.json["data"].([]any) {
				if row := d.(map[string]any); row["agent_id"] == id {
					rows = append(rows, row)
				}
			}
			require.Len(t, rows, 1, "the published list shows the agent once")
			assert.Equal(t, v3ID, rows[0]["version_id"], "as its published row")
			assert.Equal(t, true, rows[0]["is_published"])
			// With limit=1 the page count is the total, where the document
			// has page numbers at all (the seed era's list has none).
			if list := tg.spec(t).Operation("GET /v1/agent/"); list != nil && list.Operation.Parameters.GetByInAndName("query", "page") != nil {
				pubTotal := c.do("GET", "/v1/agent/?is_published=true&limit=1&page=1", nil).must(t, http.StatusOK).json["total_pages"]
				allTotal := c.do("GET", "/v1/agent/?limit=1&page=1", nil).must(t, http.StatusOK).json["total_pages"]
				require.IsType(t, 0.0, pubTotal)
				assert.Less(t, pubTotal, allTotal, "agents with no published version are left out of the total")
			}

			// Publishing another version unpublishes the previous one.
			c.do("PATCH", "/v1/agent/"+id+"/published_version", `{"version_id":"`+v1+`"}`).must(t, http.StatusOK)
			assert.Equal(t, false, c.do("GET", "/v1/agent/"+id+"?version_id="+v3ID, nil).must(t, http.StatusOK).json["is_published"])
			c.do("PATCH", "/v1/agent/"+id+"/published_version", `{"version_id":"`+v3ID+`"}`).must(t, http.StatusOK)

			r := c.do("DELETE", "/v1/agent/"+id+"/version/"+v3ID, nil)
			if r.status != http.StatusConflict {
				t.Fatalf("deleting the published version: %d %s", r.status, r.raw)
			}
			assert.Equal(t, "PUBLISHED_AGENT_VERSION_DELETION", r.json["error_code"])
			r = c.do("DELETE", "/v1/agent/"+id, nil).must(t, http.StatusConflict)
			assert.Equal(t, "PUBLISHED_AGENT_VERSION_DELETION", r.json["error_code"])
			assert.Equal(t, "Cannot delete agent "+id+" with published versions", r.json["message"])

			unpub := c.do("PATCH", "/v1/agent/"+id+"/published_version", `{"version_id":null}`).must(t, http.StatusOK)
			assert.Nil(t, unpub.json["published_version_id"])
			c.do("GET", "/v1/agent/"+id+"?is_published=true", nil).must(t, http.StatusNotFound)

			c.do("DELETE", "/v1/agent/"+id+"/version/"+v1, nil).must(t, tg.status(t, "DELETE /v1/agent/{}/version/{}"))
			c.do("GET", "/v1/agent/"+id+"?version_id="+v1, nil).must(t, http.StatusNotFound)
			assert.Equal(t, 4.0, c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusOK).json["version_number"], "numbers are never reused")

			c.do("DELETE", "/v1/agent/"+id, nil).must(t, tg.status(t, "DELETE /v1/agent/{}"))
			c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
			c.do("GET", "/v1/agent/"+id+"/version", nil).must(t, http.StatusNotFound)
		})
	}
}

func TestDigaVersionErrors(t *testing.T) {
	tg := start(t)
	c := tg.diga(t)
	created := c.do("POST", "/v1/agent/?is_draft=true", `{"voice_id":"`+voiceLucia+`","language":"es"}`).must(t, http.StatusCreated)
	id := created.json["agent_id"].(string)
	assert.Equal(t, true, created.json["is_draft"], "is_draft=true creates only the draft")
	assert.Equal(t, 1.0, created.json["version_number"])
	draftID := created.json["version_id"].(string)
	rows := c.do("GET", "/v1/agent/"+id+"/version", nil).must(t, http.StatusOK)
	assert.Len(t, rows.json["data"], 1)

	missing := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"both version_id and is_published", "GET", "/v1/agent/" + id + "?version_id=" + draftID + "&is_published=true", "", 400, "BAD_PARAMETER"},
		{"nothing published", "GET", "/v1/agent/" + id + "?is_published=true", "", 404, "AGENT_NOT_FOUND"},
		{"unknown version", "GET", "/v1/agent/" + id + "?version_id=" + missing, "", 404, "AGENT_NOT_FOUND"},
		{"publish the draft", "PATCH", "/v1/agent/" + id + "/published_version", `{"version_id":"` + draftID + `"}`, 400, "BAD_PARAMETER"},
		{"publish an unknown version", "PATCH", "/v1/agent/" + id + "/published_version", `{"version_id":"` + missing + `"}`, 404, "AGENT_NOT_FOUND"},
		{"delete the draft", "DELETE", "/v1/agent/" + id + "/version/" + draftID, "", 409, "PUBLISHED_AGENT_VERSION_DELETION"},
		{"delete an unknown version", "DELETE", "/v1/agent/" + id + "/version/" + missing, "", 404, "AGENT_NOT_FOUND"},
		{"launch on an unknown agent", "POST", "/v1/agent/" + missing + "/version", `{}`, 404, "AGENT_NOT_FOUND"},
		{"versions of an unknown agent", "GET", "/v1/agent/" + missing + "/version", "", 404, "AGENT_NOT_FOUND"},
		{"publish on an unknown agent", "PATCH", "/v1/agent/" + missing + "/published_version", `{}`, 404, "AGENT_NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := c.do(tc.method, tc.path, body).must(t, tc.status)
			assert.Equal(t, "error", r.json["status"])
			assert.Equal(t, tc.code, r.json["error_code"])
			assert.NotEmpty(t, r.json["message"])
		})
	}
	t.Run("launch needs a body", func(t *testing.T) {
		r := c.do("POST", "/v1/agent/"+id+"/version", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body"}, r.path("detail.0.loc"))
	})
	t.Run("path mode needs a path to launch", func(t *testing.T) {
		c.do("PATCH", "/v1/agent/"+id, `{"mode":"path"}`).must(t, http.StatusOK)
		r := c.do("POST", "/v1/agent/"+id+"/version", `{}`).must(t, http.StatusBadRequest)
		assert.True(t, strings.Contains(r.json["message"].(string), "conversational_path_id"))
	})
}
