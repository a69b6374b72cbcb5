package openapi_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnionParameterOfTheWrongType: a 3.1 parameter written as FastAPI
// writes Optional[int] (anyOf integer or null) given text that is not an
// integer is a type error, as pydantic says, not "empty value".
func TestUnionParameterOfTheWrongType(t *testing.T) {
	doc := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{
 "parameters":[{"name":"page","in":"query","schema":{"anyOf":[{"type":"integer","minimum":1},{"type":"null"}]}}],
 "responses":{"200":{"description":"ok"}}}}}}`
	spec, err := openapi.Load(context.Background(), []byte(doc))
	require.NoError(t, err)
	for _, tc := range []struct {
		query, kind string
	}{
		{"page=abc", "int_parsing"},
		{"page=0", "greater_than_equal"},
		{"page=2", ""},
	} {
		req := httptest.NewRequest("GET", "/x?"+tc.query, nil)
		route, err := spec.FindRoute(req)
		require.NoError(t, err)
		verr := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
			Request: req, PathParams: route.PathParams, Route: route.Route,
			Options: &openapi3filter.Options{MultiError: true},
		})
		if tc.kind == "" {
			assert.NoError(t, verr, tc.query)
			continue
		}
		vs := spec.Violations(agentmock.InQuery, nil, nil, verr)
		require.Len(t, vs, 1, "%s: %v", tc.query, verr)
		assert.Equal(t, "query.page", vs[0].Field())
		assert.Equal(t, tc.kind, vs[0].Kind, "%s: %s", tc.query, vs[0].Message)
	}
}
