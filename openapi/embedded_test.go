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
	var lean []string
	for _, name := range names {
		lean = append(lean, name, name+".lean")
	}
	assert.ElementsMatch(t, embeddedNames, names)
	assert.ElementsMatch(t, lean, copied, "a whole and a lean JSON copy for each embedded YAML document")
	for _, name := range names {
		src, err := Embedded(name)
		require.NoError(t, err)
		for suffix, convert := range map[string]func([]byte) ([]byte, error){"": yamljson.Convert, ".lean": yamljson.Lean} {
			want, err := convert(src)
			require.NoError(t, err)
			got, err := embeddedJSON(name + suffix)
			require.NoError(t, err)
			if !bytes.Equal(got, want) {
				t.Errorf("json/%s%s.json is not what %s.yaml converts to: run go generate ./openapi", name, suffix, name)
			}
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
			assert.Equal(t, want, marshal(t, validated), "the same document")
			servedJSON, err := served.JSON()
			require.NoError(t, err)
			assert.Equal(t, want, indented(t, servedJSON), "the whole document served")
			assert.NotEqual(t, want, marshal(t, served), "the lean copy loaded")
			for _, s := range []*Spec{validated, served} {
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
	return indented(t, data)
}

func indented(t *testing.T, data []byte) string {
	t.Helper()
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

// TestLeanCopiesLoadAsTheWholeLessItsProse: the lean copy the binary loads
// is the whole document with its prose left out, and nothing else: kin's
// encoding of it is the whole's, without the descriptions and summaries
// yamljson.Lean drops, found here by a walk of kin's own encoding.
func TestLeanCopiesLoadAsTheWholeLessItsProse(t *testing.T) {
	ctx := context.Background()
	for _, name := range embeddedNames {
		t.Run(name, func(t *testing.T) {
			whole, err := embeddedJSON(name)
			require.NoError(t, err)
			full, err := load(ctx, whole, true)
			require.NoError(t, err)
			lean, err := LoadEmbedded(ctx, name)
			require.NoError(t, err)
			decoded := func(s *Spec) any {
				data, err := s.Doc.MarshalJSON()
				require.NoError(t, err)
				var v any
				require.NoError(t, json.Unmarshal(data, &v))
				return v
			}
			want := withoutProse(decoded(full))
			assert.Equal(t, want, decoded(lean))
			assert.NotEqual(t, want, decoded(full), "the whole document has prose")
		})
	}
}

// withoutProse drops prose from a decoded document, except under the
// members whose values are data: yamljson's rule, applied to kin's encoding
// of the document rather than to the YAML.
func withoutProse(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = withoutProse(item)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, m := range x {
			if _, text := m.(string); text && yamljson.ProseKey(k) {
				continue
			}
			if yamljson.HoldsData(k) {
				out[k] = m
			} else {
				out[k] = withoutProse(m)
			}
		}
		return out
	}
	return v
}
