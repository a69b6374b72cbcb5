package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kinDecode is what kin's T.UnmarshalJSON makes of data, references not
// yet resolved.
func kinDecode(data []byte) (*openapi3.T, error) {
	var doc openapi3.T
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// directSeeds are small documents with most of what decodeDirect reads:
// extensions at every level, references, the 3.0 and 3.1 spellings of
// types and bounds, and each form of additionalProperties.
var directSeeds = []string{
	`{"openapi":"3.0.3","info":{"title":"t","version":"1","x-a":[1,"b",null,{"c":true}]},"paths":{"/a/{id}":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string","format":"uuid"}}],"get":{"operationId":"g","responses":{"200":{"description":"ok","headers":{"X":{"schema":{"type":"integer"}}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}},"x-r":1}}},"x-p":{}},"components":{"schemas":{"A":{"type":"object","required":["a"],"properties":{"a":{"type":"string","enum":["x",null],"nullable":true,"default":null,"maxLength":5},"b":{"type":"array","items":{"type":"number","minimum":1.5,"exclusiveMinimum":true},"minItems":0},"c":{"oneOf":[{"type":"integer"},{"type":"boolean"}]},"d":{"additionalProperties":{"type":"string"}},"e":{"additionalProperties":false},"f":{"additionalProperties":{}}},"example":{"a":"x"}}},"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"X-Key"}}},"security":[{"k":[]}],"servers":[{"url":"https://x","variables":{"v":{"default":"a","enum":["a"]}}}],"tags":[{"name":"t","x-t":1}]}`,
	`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},"webhooks":{"w":{"post":{"responses":{"200":{"description":"d"}}}}},"components":{"schemas":{"A":{"type":["string","null"],"exclusiveMaximum":3,"const":"a","examples":["a"],"$defs":{"B":{"type":"string"}}}}}}`,
}

// documentPieces splits a document into documents of one path or one
// component schema each, for seeds: the whole documents (63-113 KB) slow
// -fuzz to a few executions a second once it mutates them, and
// TestDirectDecodeIsKins holds them whole to kin's decoding anyway.
func documentPieces(data []byte) ([][]byte, error) {
	var doc struct {
		OpenAPI    json.RawMessage            `json:"openapi"`
		Info       json.RawMessage            `json:"info"`
		Paths      map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	type piece struct {
		OpenAPI    json.RawMessage            `json:"openapi"`
		Info       json.RawMessage            `json:"info"`
		Paths      map[string]json.RawMessage `json:"paths"`
		Components map[string]any             `json:"components,omitempty"`
	}
	var out [][]byte
	add := func(p piece) error {
		b, err := json.Marshal(p)
		out = append(out, b)
		return err
	}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		if err := add(piece{doc.OpenAPI, doc.Info, map[string]json.RawMessage{path: doc.Paths[path]}, nil}); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		schemas := map[string]json.RawMessage{name: doc.Components.Schemas[name]}
		if err := add(piece{doc.OpenAPI, doc.Info, map[string]json.RawMessage{}, map[string]any{"schemas": schemas}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestDirectDecodeIsKins: every embedded copy, whole and lean, is decoded
// directly (none falls back to kin, which would undo the cold start's
// figure) to the very model kin decodes it to, unexported fields included;
// so are FuzzDirectDecode's seeds, the small documents and the pieces of
// the lean copies, so that each seed exercises the walk rather than its
// refusal.
func TestDirectDecodeIsKins(t *testing.T) {
	for _, name := range embeddedNames {
		for _, copy := range []string{name, name + ".lean"} {
			data, err := embeddedJSON(copy)
			require.NoError(t, err)
			decodedAsKin(t, copy, data)
		}
		lean, err := embeddedJSON(name + ".lean")
		require.NoError(t, err)
		pieces, err := documentPieces(lean)
		require.NoError(t, err)
		assert.Greater(t, len(pieces), 20, "%s: a piece per path and per component schema", name)
		for i, p := range pieces {
			decodedAsKin(t, fmt.Sprintf("%s piece %d", name, i), p)
		}
	}
	for i, doc := range directSeeds {
		decodedAsKin(t, fmt.Sprintf("seed %d", i), []byte(doc))
	}
}

// decodedAsKin checks that decodeDirect accepts data and makes kin's model
// of it.
func decodedAsKin(t *testing.T, what string, data []byte) {
	t.Helper()
	root, err := jsonNode(data)
	require.NoError(t, err, what)
	direct, err := decodeDirect(root)
	require.NoError(t, err, "%s: decoded directly", what)
	want, err := kinDecode(data)
	require.NoError(t, err, what)
	assert.True(t, reflect.DeepEqual(want, direct), "%s: the model kin decodes", what)
}

// TestDirectDecodeRefusesWhatItDoesNotReproduce: each document holds one
// thing kin decodes in a way decodeDirect does not copy; it is refused with
// errNotDirect, and kin's own decoding is what the document gets.
func TestDirectDecodeRefusesWhatItDoesNotReproduce(t *testing.T) {
	for name, doc := range map[string]string{
		"member in another case":  `{"openapi":"3.0.3","Info":{"title":"t","version":"1"},"paths":{}}`,
		"unknown member":          `{"openapi":"3.0.3","info":{"title":"t","version":"1","summary2":1},"paths":{}}`,
		"$ref with a sibling":     `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$ref":"#/components/schemas/B","x-y":1},"B":{}}}}`,
		"$ref in another case":    `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$REF":"#/components/schemas/B"},"B":{}}}}`,
		"repeated member":         `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"openapi":"3.0.2"}`,
		"null responses":          `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":null}}}}`,
		"boolean schema":          `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":true}}}`,
		"big unsigned integer":    `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"d","content":{"application/json":{"schema":{"maxLength":18446744073709551615}}}}}}}}}`,
		"discriminator mapping":   `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"discriminator":{"propertyName":"k","mapping":{"b":"#/components/schemas/B"}}},"B":{}}}}`,
		"number for a string":     `{"openapi":3,"info":{"title":"t","version":"1"},"paths":{}}`,
		"fraction for an integer": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"minLength":1.5}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			root, err := jsonNode([]byte(doc))
			require.NoError(t, err)
			_, err = decodeDirect(root)
			assert.ErrorIs(t, err, errNotDirect)
		})
	}
}

// FuzzDirectDecode: whatever decodeDirect accepts, kin decodes to the same
// model.
func FuzzDirectDecode(f *testing.F) {
	for _, doc := range directSeeds {
		f.Add([]byte(doc))
	}
	for _, name := range embeddedNames {
		data, err := embeddedJSON(name + ".lean")
		if err != nil {
			f.Fatal(err)
		}
		pieces, err := documentPieces(data)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range pieces {
			f.Add(p)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := jsonNode(data)
		if err != nil {
			return
		}
		direct, err := decodeDirect(root)
		if errors.Is(err, errNotDirect) {
			return
		}
		require.NoError(t, err, "only errNotDirect")
		want, err := kinDecode(data)
		require.NoError(t, err, "kin decodes what decodeDirect did")
		if !reflect.DeepEqual(want, direct) {
			t.Fatalf("kin and decodeDirect differ on %s", data)
		}
	})
}
