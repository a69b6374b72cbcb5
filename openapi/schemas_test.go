package openapi

import (
	"context"
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
// documents and schemasDoc, and every status, a Route's table answers as
// the package functions.
func TestRouteSchemasAnswerAsTheFunctions(t *testing.T) {
	docs := map[string][]byte{"schemasDoc": []byte(schemasDoc), "routerDoc": []byte(routerDoc)}
	for _, name := range []string{"diga", "itellico", "control"} {
		data, err := Embedded(name)
		require.NoError(t, err)
		docs[name] = data
	}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			spec, err := Load(context.Background(), data)
			require.NoError(t, err)
			n := 0
			for _, byMethod := range spec.router.templates() {
				for _, route := range byMethod {
					require.NotNil(t, route.schemas, route.Key)
					op := route.Operation
					assert.Equal(t, SuccessStatus(op), route.SuccessStatus(), route.Key)
					assert.Same(t, RequestSchema(op), route.RequestSchema(), route.Key)
					assert.Same(t, FormSchema(op), route.FormSchema(), route.Key)
					assert.Same(t, BodySchema(op), route.BodySchema(), route.Key)
					for status := -1; status <= 700; status++ {
						assert.Same(t, ResponseSchema(op, status), route.ResponseSchema(status), "%s %d", route.Key, status)
					}
					n++
				}
			}
			assert.Equal(t, len(spec.Operations()), n)
		})
	}
	var none *Route
	assert.Nil(t, none.ResponseSchema(200))
}

// templates are the routes of every template, by method, in no order.
func (r *router) templates() []map[string]*Route {
	var out []map[string]*Route
	var visit func(n *node)
	visit = func(n *node) {
		if n.end != nil {
			out = append(out, n.end.ops)
		}
		for _, next := range n.literals {
			visit(next)
		}
		for _, p := range n.params {
			visit(p.next)
		}
	}
	visit(r.root)
	return out
}
