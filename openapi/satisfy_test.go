package openapi_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSatisfyIsRepeatable fills the required members a stored document
// lacks, at several depths: the same seed must give the same document every
// time, whatever order Go walks its maps in.
func TestSatisfyIsRepeatable(t *testing.T) {
	doc := []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok",
"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Row"}}}}}}}},
"components":{"schemas":{
 "Leaf":{"type":"object","required":["id","n"],"properties":{"id":{"type":"string","format":"uuid"},"n":{"type":"integer"}}},
 "Row":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
   "a":{"$ref":"#/components/schemas/Leaf"},"b":{"$ref":"#/components/schemas/Leaf"},"c":{"$ref":"#/components/schemas/Leaf"},
   "items":{"type":"array","items":{"$ref":"#/components/schemas/Leaf"}}}}}}}`)
	spec, err := openapi.Load(context.Background(), doc)
	require.NoError(t, err)
	row := spec.Schema("Row")
	require.NotNil(t, row)

	fill := func() string {
		obj := map[string]any{"a": map[string]any{}, "b": map[string]any{"n": 1}, "c": map[string]any{}, "items": []any{map[string]any{}}}
		spec.Satisfy(row, obj, rand.New(rand.NewPCG(1, 2)))
		data, err := json.Marshal(obj)
		require.NoError(t, err)
		return string(data)
	}
	first := fill()
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(first), &got))
	assert.NotEmpty(t, got["name"], "a required member is generated")
	assert.Equal(t, 1.0, got["b"].(map[string]any)["n"], "a member present is kept")
	for _, leaf := range []any{got["a"], got["c"], got["items"].([]any)[0]} {
		assert.Contains(t, leaf, "id")
		assert.Contains(t, leaf, "n")
	}
	for range 50 {
		require.Equal(t, first, fill())
	}
}
