package openapi

import (
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemas are an operation's body schemas and success status, found once
// when the router is made. kin's Content.Get tries every media range of
// every entry when a type is missing, and a request looked its schemas up
// a few times each: a twentieth of a 422.
//
// Invariant: each answer is the package function's for the operation
// (ResponseSchema, SuccessStatus, RequestSchema, FormSchema, BodySchema),
// which TestRouteSchemasAnswerAsTheFunctions checks for every operation and
// status of our documents.
type schemas struct {
	request, form, body *openapi3.Schema
	success             int
	// exact holds every status the operation declares by number, its
	// schema nil where it has no JSON body; ranges holds "4XX" at 4.
	exact  map[int]*openapi3.Schema
	ranges [6]*openapi3.Schema
	ranged [6]bool
}

func schemasOf(op *openapi3.Operation) *schemas {
	s := &schemas{request: RequestSchema(op), form: FormSchema(op), body: BodySchema(op), success: SuccessStatus(op), exact: map[int]*openapi3.Schema{}}
	if op == nil || op.Responses == nil {
		return s
	}
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && strconv.Itoa(n) == code {
			s.exact[n] = ResponseSchema(op, n)
		}
	}
	for class := 1; class <= 5; class++ {
		if ref := op.Responses.Value(strconv.Itoa(class) + "XX"); ref != nil {
			s.ranged[class] = true
			if ref.Value != nil {
				s.ranges[class] = jsonSchema(ref.Value.Content)
			}
		}
	}
	return s
}

// ResponseSchema is ResponseSchema(r.Operation, status), without a lookup.
// A nil Route has none.
func (r *Route) ResponseSchema(status int) *openapi3.Schema {
	if r == nil {
		return nil
	}
	if sch, ok := r.schemas.exact[status]; ok {
		return sch
	}
	if 99 < status && status < 600 && r.schemas.ranged[status/100] {
		return r.schemas.ranges[status/100]
	}
	return nil
}

// SuccessStatus is SuccessStatus(r.Operation).
func (r *Route) SuccessStatus() int { return r.schemas.success }

// RequestSchema is RequestSchema(r.Operation).
func (r *Route) RequestSchema() *openapi3.Schema { return r.schemas.request }

// FormSchema is FormSchema(r.Operation).
func (r *Route) FormSchema() *openapi3.Schema { return r.schemas.form }

// BodySchema is BodySchema(r.Operation).
func (r *Route) BodySchema() *openapi3.Schema { return r.schemas.body }
