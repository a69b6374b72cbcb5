package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/openapi/internal/yamljson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var embeddedNames = []string{"diga", "itellico", "control"}

func TestJSONCopiesAreGenerated(t *testing.T) {
	sources, err := fs.Glob(documents, "*.yaml")
	require.NoError(t, err)
	made, err := fs.Glob(copies, "json/*.json")
	require.NoError(t, err)
	var names, copied []string
	for _, src := range sources {
		names = append(names, strings.TrimSuffix(src, ".yaml"))
	}
	for _, c := range made {
		copied = append(copied, strings.TrimSuffix(strings.TrimPrefix(c, "json/"), ".json"))
	}
	assert.ElementsMatch(t, embeddedNames, names)
	assert.ElementsMatch(t, names, copied, "one JSON copy for each embedded YAML document")
	for _, name := range names {
		src, err := Embedded(name)
		require.NoError(t, err)
		want, err := yamljson.Convert(src)
		require.NoError(t, err)
		got, err := embeddedJSON(name)
		require.NoError(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("json/%s.json is not what %s.yaml converts to: run go generate ./openapi", name, name)
		}
	}
}

// TestJSONCopiesLoadAsTheYAML: the binary serves what the YAML says. The
// copy loads, validated or not (LoadEmbedded), to the same document, the
// same order of every schema's properties and examples, and the same
// operations as the YAML; strict validation finds nothing in it, and
// neither document is Swagger 2.0, which is what lets LoadEmbedded skip
// both.
func TestJSONCopiesLoadAsTheYAML(t *testing.T) {
	ctx := context.Background()
	for _, name := range embeddedNames {
		t.Run(name, func(t *testing.T) {
			src, err := Embedded(name)
			require.NoError(t, err)
			_, swagger, err := FromSwagger2(src)
			require.NoError(t, err)
			require.False(t, swagger, "LoadEmbedded converts nothing")
			fromYAML, err := Load(ctx, src)
			require.NoError(t, err)
			data, err := embeddedJSON(name)
			require.NoError(t, err)
			validated, err := Load(ctx, data)
			require.NoError(t, err)
			assert.Empty(t, validated.Warnings)
			served, err := LoadEmbedded(ctx, name)
			require.NoError(t, err)
			assert.Empty(t, served.Warnings)

			want := marshal(t, fromYAML)
			for _, s := range []*Spec{validated, served} {
				assert.Equal(t, want, marshal(t, s), "the same document")
				assert.Equal(t, documentOrder(fromYAML), documentOrder(s))
				assert.Equal(t, operationKeys(fromYAML), operationKeys(s))
			}
			for schemaName, ref := range served.Doc.Components.Schemas {
				if len(ref.Value.Properties) > 0 {
					_, recorded := served.order[propsID(ref.Value)]
					assert.True(t, recorded, "the walk read the order of %s's properties", schemaName)
				}
			}
		})
	}
}

// operationKeys lists the operations: sorted, since a path's methods come
// out of a map.
func operationKeys(s *Spec) []string {
	var keys []string
	for _, op := range s.Operations() {
		keys = append(keys, op.Key)
	}
	slices.Sort(keys)
	return keys
}

// marshal is the loaded document as kin-openapi encodes it, indented so that
// a difference shows as a few lines.
func marshal(t *testing.T, s *Spec) string {
	t.Helper()
	data, err := s.Doc.MarshalJSON()
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, json.Indent(&buf, data, "", " "))
	return buf.String()
}

// TestConvertedScalarsLoadAsTheYAML: the scalars YAML reads in more than
// one way load from the converted JSON as kin-openapi reads them from YAML.
func TestConvertedScalarsLoadAsTheYAML(t *testing.T) {
	src := []byte(`
openapi: 3.0.3
info: {title: t, version: "1.0"}
paths:
  /x:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  day: {type: string, format: date, example: 2024-01-02}
                  at: {type: string, example: 2024-01-02T03:04:05Z}
                  ratio: {type: number, default: 1.0, enum: [1.0, 2.50, -3e2, 1e400000]}
                  flag: {type: boolean, example: yes}
                  none: {nullable: true, example: ~}
                  big: {type: integer, example: 123456789012345678901234567890}
                  octal: {type: integer, example: 0o17}
                  text: {type: string, example: "<a href='x'>&amp;</a>"}
`)
	fromYAML, err := Load(context.Background(), src)
	require.NoError(t, err)
	data, err := yamljson.Convert(src)
	require.NoError(t, err)
	fromJSON, err := Load(context.Background(), data)
	require.NoError(t, err)
	assert.Equal(t, marshal(t, fromYAML), marshal(t, fromJSON))
}
