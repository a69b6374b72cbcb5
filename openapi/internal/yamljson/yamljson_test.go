package yamljson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConvertKeepsOrderAndValues(t *testing.T) {
	got, err := Convert([]byte(`
z: 1
a:
  "200": {description: ok}
  404: {x: [1, 2.50, -3e2, true, null, ~, "s", 2024-01-02, 2024-01-02T03:04:05Z, <b>&]}
  2024-05-06: {}
  1.5: {}
  true: []
m: |
  two
  lines
`))
	require.NoError(t, err)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, got))
	assert.Equal(t, `{"z":1,"a":{"200":{"description":"ok"},"404":{"x":[1,2.5,-300,true,null,null,"s","2024-01-02","2024-01-02T03:04:05Z","<b>&"]},"2024-05-06":{},"1.5":{},"true":[]},"m":"two\nlines\n"}`, compact.String())
	assert.True(t, strings.HasPrefix(string(got), "{\n \"z\": 1,\n \"a\": {\n  \"200\": {\n   \"description\": \"ok\"\n  },\n"),
		"the top levels one member a line:\n%s", got)
}

func TestConvertRefusesWhatItWouldGuessAt(t *testing.T) {
	for _, doc := range []string{
		"a: &x 1\nb: *x\n",
		"base: &b {x: 1}\nc:\n  <<: *b\n",
		"a: 1\na: 2\n",
		"a: 1\n\"a\": 2\n",
		"a: !!str 1\n",
		"a: !custom x\n",
		"? [1]\n: x\n",
		"a: .inf\n",
		"",
		"a: [1\n",
	} {
		_, err := Convert([]byte(doc))
		assert.Error(t, err, "%q", doc)
	}
}

// TestLeanDropsOnlyProse: Lean leaves out descriptions and summaries that
// are strings, at any depth, and keeps them where they are data: inside
// examples, defaults, enums, extensions, a discriminator's mapping and
// OAuth scopes, and a property that is named description.
func TestLeanDropsOnlyProse(t *testing.T) {
	got, err := Lean([]byte(`
info: {title: t, description: about, summary: short}
paths:
  /a:
    summary: s
    get:
      description: d
      responses:
        "200":
          description: ok
          content:
            application/json:
              example: {description: kept, summary: kept}
              schema:
                type: object
                description: d
                default: {description: kept}
                enum: [{summary: kept}]
                x-agentmock: {description: kept}
                discriminator: {propertyName: kind, mapping: {summary: "#/x"}}
                properties:
                  description: {type: string, description: d}
                  summary: {type: object, properties: {description: {type: integer}}}
                  n: {type: integer, description: 3}
components:
  examples:
    one: {summary: kept, value: {description: kept}}
  securitySchemes:
    oauth: {type: oauth2, description: d, flows: {implicit: {authorizationUrl: u, scopes: {description: kept}}}}
`))
	require.NoError(t, err)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, got))
	assert.Equal(t, `{"info":{"title":"t"},"paths":{"/a":{"get":{"responses":{"200":{"content":{"application/json":{"example":{"description":"kept","summary":"kept"},"schema":{"type":"object","default":{"description":"kept"},"enum":[{"summary":"kept"}],"x-agentmock":{"description":"kept"},"discriminator":{"propertyName":"kind","mapping":{"summary":"#/x"}},"properties":{"description":{"type":"string"},"summary":{"type":"object","properties":{"description":{"type":"integer"}}},"n":{"type":"integer","description":3}}}}}}}}}},"components":{"examples":{"one":{"summary":"kept","value":{"description":"kept"}}},"securitySchemes":{"oauth":{"type":"oauth2","flows":{"implicit":{"authorizationUrl":"u","scopes":{"description":"kept"}}}}}}}`, compact.String())

	full, err := Convert([]byte("a: {description: d, b: 1}\n"))
	require.NoError(t, err)
	assert.Contains(t, string(full), `"description": "d"`, "Convert keeps the prose")
}
