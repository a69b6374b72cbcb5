package openapi_test

import (
	"context"
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViolationKinds pins each kind of violation, its field and its
// pydantic wording, for 3.0 (kin-openapi's own validator) and 3.1 (the JSON
// Schema 2020-12 validator, whose typed error kinds name the members), so
// that an upgrade of either that changes what is reported fails here.
func TestViolationKinds(t *testing.T) {
	schemas := map[string]string{
		"3.0.3": `"n":{"type":"integer","minimum":0},"maybe":{"type":"integer","nullable":true}`,
		"3.1.0": `"n":{"type":"integer","minimum":0},"maybe":{"anyOf":[{"type":"integer"},{"type":"null"}]}`,
	}
	tests := []struct {
		name  string
		value map[string]any
		field string
		kind  string
		msg   string
	}{
		{"missing", map[string]any{}, "body.name", agentmock.KindMissing, "Field required"},
		{"extra", map[string]any{"name": "a", "bogus": 1}, "body.bogus", agentmock.KindExtraForbidden, "Extra inputs are not permitted"},
		{"too long", map[string]any{"name": "abcd"}, "body.name", agentmock.KindTooLong, "String should have at most 3 characters"},
		{"minimum", map[string]any{"name": "a", "n": -1}, "body.n", agentmock.KindGreaterEqual, "Input should be greater than or equal to 0"},
		{"enum", map[string]any{"name": "a", "tag": "c"}, "body.tag", agentmock.KindEnum, "Input should be 'a' or 'b'"},
		{"type", map[string]any{"name": 5}, "body.name", "string_type", "Input should be a valid string"},
		{"nullable type", map[string]any{"name": "a", "maybe": "x"}, "body.maybe", "int_type", "Input should be a valid integer"},
	}
	for version, extra := range schemas {
		doc := `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}},
"components":{"schemas":{"Row":{"type":"object","required":["name"],"additionalProperties":false,"properties":{
 "name":{"type":"string","maxLength":3},"tag":{"type":"string","enum":["a","b"]},` + extra + `}}}}}`
		spec, err := openapi.Load(context.Background(), []byte(doc))
		require.NoError(t, err)
		for _, tt := range tests {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				vs := spec.Check(agentmock.InBody, spec.Schema("Row"), tt.value, true)
				require.Len(t, vs, 1, "%+v", vs)
				assert.Equal(t, tt.field, vs[0].Field())
				assert.Equal(t, tt.kind, vs[0].Kind)
				assert.Equal(t, tt.msg, pydantic.Message(vs[0]))
			})
		}
		t.Run(version+"/two missing", func(t *testing.T) {
			two := `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}},
"components":{"schemas":{"Pair":{"type":"object","required":["a","b"],"properties":{"a":{"type":"string"},"b":{"type":"string"}}}}}}`
			spec, err := openapi.Load(context.Background(), []byte(two))
			require.NoError(t, err)
			var fields []string
			for _, v := range spec.Check(agentmock.InBody, spec.Schema("Pair"), map[string]any{}, true) {
				fields = append(fields, v.Field())
			}
			assert.Equal(t, []string{"body.a", "body.b"}, fields)
		})
	}
}
