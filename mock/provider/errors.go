package provider

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/getkin/kin-openapi/openapi3"
)

// Error is a failure to answer with a provider's error body. Handlers and
// the request pipeline return it; the provider decides how it looks.
type Error struct {
	Status     int
	Code       string // provider's error code; "" picks the provider's default for Status
	Message    string
	Detail     string
	Violations []agentmock.Violation
	Header     http.Header
	// Forced marks a status the caller asked for (Prefer, a fault rule).
	Forced bool
	// WithParams marks violations of the body that are reported together
	// with the parameters' violations, as FastAPI finds them together: a
	// required body that is absent, or one the check refused before.
	WithParams bool
}

func (e *Error) Error() string {
	if len(e.Violations) > 0 {
		return fmt.Sprintf("%d: %d violation(s), first: %s: %s", e.Status, len(e.Violations), e.Violations[0].Field(), pydantic.Message(e.Violations[0]))
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Invalid is the error for a request that breaks the document.
func Invalid(vs ...agentmock.Violation) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Violations: vs}
}

// Fail builds an Error with the provider's default code for status.
func Fail(status int, message string) *Error {
	return &Error{Status: status, Message: message}
}

func AsError(err error) (*Error, bool) {
	if err == nil {
		return nil, false // errors.As's target would escape for nothing
	}
	if e, ok := err.(*Error); ok {
		return e, true
	}
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeMessageBody is the {code, message, errors[]} body that itellico and
// the control API share: with violations, the message is "Validation
// failed" and errors names each field.
func CodeMessageBody(code string, e *Error) map[string]any {
	body := map[string]any{"code": code, "message": e.Message}
	if len(e.Violations) > 0 {
		body["message"] = "Validation failed"
		body["errors"] = FieldErrors(e.Violations)
	}
	return body
}

// FieldErrors lists violations as {field: "body.name", message} objects,
// worded as pydantic does: the errors member of itellico's, the control
// API's and RFC 7807 bodies.
func FieldErrors(vs []agentmock.Violation) []any {
	errs := make([]any, len(vs))
	for i, v := range vs {
		errs[i] = map[string]any{"field": v.Field(), "message": pydantic.Message(v)}
	}
	return errs
}

// DeclaredCode reads the error code from an operation's documented example
// for a status: the error_code or code member.
func DeclaredCode(op *openapi3.Operation, status int) string {
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return ""
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil {
		return ""
	}
	examples := []any{mt.Example}
	for _, ex := range mt.Examples {
		if ex != nil && ex.Value != nil {
			examples = append(examples, ex.Value.Value)
		}
	}
	for _, ex := range examples {
		m, _ := ex.(map[string]any)
		for _, k := range []string{"error_code", "code"} {
			if c, ok := m[k].(string); ok && c != "" && c != "NOT_FOUND" && c != "not_found" {
				return c
			}
		}
	}
	return ""
}
