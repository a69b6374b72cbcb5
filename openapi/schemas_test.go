package openapi

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemasDoc declares what the table must get right: a range beside a
// status of the range, a status without a body, a form, and a default.
const schemasDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      requestBody:
        content:
          multipart/form-data: {schema: {type: object, properties: {f: {type: string}}}}
      responses:
        "201": {description: ok, content: {application/json: {schema: {type: object}}}}
        "204": {description: none}
        "4XX": {description: range, content: {application/json: {schema: {type: string}}}}
        "422": {description: exact, content: {application/json: {schema: {type: integer}}}}
        "5XX": {description: server, content: {application/json: {schema: {type: number}}}}
        default: {description: other, content: {application/json: {schema: {type: boolean}}}}
`

// TestRouteSchemasAnswerAsTheFunctions: for every operation of our
// documents, schemasDoc and a document gorillamux routes, and every status,
// a Route's table answers as the package functions.
func TestRouteSchemasAnswerAsTheFunctions(t *testing.T) {
	docs := ourDocuments(t)
	docs["schemasDoc"] = []byte(schemasDoc)
	docs["routerDoc"] = []byte(routerDoc)
	docs["fallback"] = []byte(strings.Replace(routerDoc, "/v1/files/{name}.json:", "/v1/files/{name}.{ext}:", 1))
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			spec, err := Load(context.Background(), data)
			require.NoError(t, err)
			assert.Equal(t, name == "fallback", spec.router.fallback != nil)
			for _, route := range spec.router.routes {
				require.NotNil(t, route.schemas, route.Key)
				op := route.Operation
				assert.Equal(t, SuccessStatus(op), route.SuccessStatus(), route.Key)
				assert.Same(t, RequestSchema(op), route.RequestSchema(), route.Key)
				assert.Same(t, FormSchema(op), route.FormSchema(), route.Key)
				assert.Same(t, BodySchema(op), route.BodySchema(), route.Key)
				for status := -1; status <= 700; status++ {
					assert.Same(t, ResponseSchema(op, status), route.ResponseSchema(status), "%s %d", route.Key, status)
				}
			}
			assert.Len(t, spec.router.routes, len(spec.Operations()))
		})
	}
	var none *Route
	assert.Nil(t, none.ResponseSchema(200))
}
