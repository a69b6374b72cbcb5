package contracttests

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProbesCoverEveryKeyword builds the probes of a schema that uses every
// constraint the generator knows, in OpenAPI 3.0 and 3.1 spellings, and
// checks each edge and each value past it is there, nested objects and
// array items included.
func TestProbesCoverEveryKeyword(t *testing.T) {
	bounds := map[string]string{
		"3.0.3": `"count":{"type":"integer","minimum":0,"exclusiveMinimum":true,"maximum":10,"exclusiveMaximum":true}`,
		"3.1.0": `"count":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}`,
	}
	for version, count := range bounds {
		t.Run(version, func(t *testing.T) {
			doc := `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}},
"components":{"schemas":{"Row":{"type":"object","required":["code"],"properties":{` + count + `,
 "code":{"type":"string","minLength":2,"maxLength":4},
 "kind":{"type":"string","enum":["a","b"]},
 "when":{"type":"string","format":"date-time"},
 "ref":{"type":"string","format":"uuid"},
 "ratio":{"type":"number","minimum":0.5,"maximum":1.5},
 "tags":{"type":"array","minItems":1,"maxItems":2,"items":{"type":"string"}},
 "inner":{"type":"object","required":["id"],"properties":{"id":{"type":"integer","minimum":1}}},
 "items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer","maximum":3}}}}}}}}}`
			spec, err := openapi.Load(context.Background(), []byte(doc))
			require.NoError(t, err)
			got := map[string]bool{}
			for _, p := range probes(spec.Schema("Row"), nil, false, true) {
				value := "(absent)"
				if !p.omit {
					data, err := json.Marshal(p.value)
					require.NoError(t, err)
					value = string(data)
				}
				got[strings.Join(p.path, ".")+" "+p.rule+" "+value+" "+map[bool]string{true: "accept", false: "reject"}[p.accept]] = true
			}
			for _, want := range []string{
				"count exclusiveMinimum 0 reject", "count exclusiveMinimum 1 accept",
				"count exclusiveMaximum 10 reject", "count exclusiveMaximum 9 accept",
				`count type "not-a-integer" reject`,
				`code minLength "aa" accept`, `code minLength "a" reject`,
				`code maxLength "aaaa" accept`, `code maxLength "aaaaa" reject`,
				"code required (absent) reject",
				`kind enum "a" accept`, `kind enum "b" accept`, `kind enum "not-one-of-the-values" reject`,
				`when format "2025-01-01T00:00:00Z" accept`, `when format "2025-13-01 25:00" reject`,
				`ref format "not-a-uuid" reject`,
				"ratio minimum 0.5 accept", "ratio minimum 0.499 reject", "ratio maximum 1.5 accept", "ratio maximum 1.501 reject",
				"ratio nullable null reject",
				"inner.id minimum 1 accept", "inner.id minimum 0 reject", "inner.id required (absent) reject",
				`items.0.n maximum [{"n":3}] accept`, `items.0.n maximum [{"n":4}] reject`,
			} {
				assert.True(t, got[want], "missing probe %q", want)
			}
			// minItems and maxItems, whatever item the generator makes.
			var items []string
			for k := range got {
				if strings.HasPrefix(k, "tags minItems") || strings.HasPrefix(k, "tags maxItems") {
					items = append(items, k)
				}
			}
			assert.Len(t, items, 4, "tags: minItems and maxItems, at the edge and past it: %v", items)
		})
	}
}
