package openapi_test

import (
	"context"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParametersAndSampleRequest: path-item parameters are an operation's
// too, an operation's own replaces one of the same name and location, and
// known values fill path parameters wherever they are declared.
func TestParametersAndSampleRequest(t *testing.T) {
	doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a/{id}/b/{sub}":{
 "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},
               {"name":"q","in":"query","required":true,"schema":{"type":"string","enum":["path-level"]}}],
 "get":{"parameters":[{"name":"sub","in":"path","required":true,"schema":{"type":"integer","minimum":7,"maximum":7}},
                      {"name":"q","in":"query","required":true,"schema":{"type":"string","enum":["operation-level"]}}],
        "responses":{"200":{"description":"ok"}}}}}}`
	spec, err := openapi.Load(context.Background(), []byte(doc))
	require.NoError(t, err)
	op := spec.Operations()[0]

	var names []string
	for _, p := range spec.Parameters(op) {
		names = append(names, p.In+" "+p.Name)
	}
	assert.Equal(t, []string{"path id", "query q", "path sub"}, names)

	path, query, _ := openapi.SampleRequest(spec, op, map[string]string{"id": "known id"})
	assert.Equal(t, "/a/known%20id/b/7", path, "a path-item parameter takes its known value")
	assert.Equal(t, "?q=operation-level", query, "the operation's parameter replaces the path item's")
}
