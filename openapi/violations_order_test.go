package openapi_test

import (
	"context"
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/require"
)

// TestViolationsComeInDocumentOrder checks that several violations are
// reported in the order the document declares the members, every time, for
// 3.0 and for 3.1, whose validator reports them in Go's random map order.
func TestViolationsComeInDocumentOrder(t *testing.T) {
	for _, version := range []string{"3.0.3", "3.1.0"} {
		t.Run(version, func(t *testing.T) {
			doc := `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}},
"components":{"schemas":{"Row":{"type":"object","properties":{
 "zeta":{"type":"integer","minimum":0},"alpha":{"type":"string","maxLength":2},"mid":{"type":"string","enum":["a"]},
 "nested":{"type":"object","properties":{"y":{"type":"integer"},"b":{"type":"integer"}}},
 "list":{"type":"array","items":{"type":"integer"}}}}}}}`
			spec, err := openapi.Load(context.Background(), []byte(doc))
			require.NoError(t, err)
			value := map[string]any{
				"list": []any{"x", 1, "y"}, "nested": map[string]any{"b": "s", "y": "s"},
				"mid": "b", "alpha": "abc", "zeta": -1,
			}
			want := []string{"body.zeta", "body.alpha", "body.mid", "body.nested.y", "body.nested.b", "body.list.0", "body.list.2"}
			for range 30 {
				var got []string
				for _, v := range spec.Check(agentmock.InBody, spec.Schema("Row"), value, true) {
					got = append(got, v.Field())
				}
				require.Equal(t, want, got)
			}
		})
	}
}
