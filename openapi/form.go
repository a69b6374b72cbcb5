package openapi

import "github.com/getkin/kin-openapi/openapi3"

// FormMediaType is the media type of a form with files.
const FormMediaType = "multipart/form-data"

// FormSchema returns the schema of an operation's multipart/form-data
// request body, or nil.
func FormSchema(op *openapi3.Operation) *openapi3.Schema {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	if m := op.RequestBody.Value.Content.Get(FormMediaType); m != nil && m.Schema != nil {
		return m.Schema.Value
	}
	return nil
}

// BodySchema returns the schema a request body is checked against: the
// JSON one, else the form's (a form is checked as an object of its
// fields, a file part standing for its file's name).
func BodySchema(op *openapi3.Operation) *openapi3.Schema {
	if sch := RequestSchema(op); sch != nil {
		return sch
	}
	return FormSchema(op)
}
