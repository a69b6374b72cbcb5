package provider

import (
	"context"
	"net/http"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const recentDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Create'}}}}
      responses: {"201": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Agent'}}}}}
  /a/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Agent'}}}}}
components:
  schemas:
    Create:
      type: object
      required: [name]
      properties:
        name: {type: string}
        count: {type: integer}
    Agent:
      type: object
      required: [id, name, count]
      additionalProperties: false
      properties:
        id: {type: string}
        name: {type: string, minLength: 1}
        count: {type: integer, minimum: 0, default: 0}
        tags: {type: array, items: {type: string, maxLength: 3}}
        meta: {type: object, nullable: true, properties: {n: {type: integer}}}
`

// TestMergeFromRecentAgreesWithDecoding: a merge that starts from the
// document the resource kept, checking only what changed, answers exactly
// as one that decodes the stored bytes and checks everything.
func TestMergeFromRecentAgreesWithDecoding(t *testing.T) {
	spec, err := openapi.Load(context.Background(), []byte(recentDoc))
	require.NoError(t, err)
	resource := func() *Resource {
		rs, err := NewResource(spec, "POST /a", "GET /a/{}", http.StatusOK)
		require.NoError(t, err)
		return rs
	}
	warm := resource()
	require.Empty(t, spec.CheckChanged("body", warm.Response, map[string]any{"id": "a1", "name": "x", "count": 0}, map[string]any{"id": "a1", "name": "x", "count": 0}), "nothing changed: nothing to check")
	setID := func(doc, _ map[string]any) error { doc["id"] = "a1"; return nil }
	stored, err := warm.Build(map[string]any{"name": "x"}, setID)
	require.NoError(t, err)
	for _, patch := range []string{
		`{"name":"y"}`, `{"count":3,"tags":["ab"]}`, `{"tags":["abcd"]}`, `{"name":""}`, `{"count":-1}`,
		`{"meta":{"n":1}}`, `{"meta":{"n":"one"}}`, `{"meta":null}`, `{"count":null}`, `{"name":null}`,
		`{"other":1}`, `{"tags":[1]}`, `{}`,
	} {
		p, err := DecodeObject([]byte(patch))
		require.NoError(t, err)
		require.NotNil(t, warm.recent.get(stored), "the resource kept what it stored")
		got, gotErr := warm.Merge(stored, p, setID)
		want, wantErr := resource().Merge(stored, p, setID)
		assert.Equal(t, string(want), string(got), patch)
		assert.Equal(t, wantErr, gotErr, patch)
		if gotErr == nil {
			stored = got // the next patch starts from this one
		}
	}
	// count's null brought its default back; meta is nullable, and shown.
	assert.JSONEq(t, `{"id":"a1","name":"y","count":0,"tags":["ab"],"meta":null}`, string(stored))
}
