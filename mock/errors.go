package mock

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock"
)

// apiError is a failure to answer with a provider's error body. Handlers and
// the request pipeline return it; the provider decides how it looks.
type apiError struct {
	Status     int
	Code       string // provider's error code; "" picks the provider's default for Status
	Message    string
	Detail     string
	Violations []agentmock.Violation
	Header     http.Header
	// forced marks a status the caller asked for (Prefer, a fault rule).
	forced bool
	// missingBody marks the error for a required body that is absent,
	// which is reported together with the parameters' violations.
	missingBody bool
}

func (e *apiError) Error() string {
	if len(e.Violations) > 0 {
		return fmt.Sprintf("%d: %d violation(s), first: %s: %s", e.Status, len(e.Violations), e.Violations[0].Field(), e.Violations[0].Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// invalid is the error for a request that breaks the document.
func invalid(vs ...agentmock.Violation) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Violations: vs}
}

// fail builds an apiError with the provider's default code for status.
func fail(status int, message string) *apiError {
	return &apiError{Status: status, Message: message}
}

func asAPIError(err error) (*apiError, bool) {
	var e *apiError
	ok := errors.As(err, &e)
	return e, ok
}

// codeMessageBody is the {code, message, errors[]} body that itellico and
// the control API share: with violations, the message is "Validation
// failed" and errors names each field.
func codeMessageBody(code string, e *apiError) map[string]any {
	body := map[string]any{"code": code, "message": e.Message}
	if len(e.Violations) > 0 {
		body["message"] = "Validation failed"
		errs := make([]any, len(e.Violations))
		for i, v := range e.Violations {
			errs[i] = map[string]any{"field": v.Field(), "message": v.Message}
		}
		body["errors"] = errs
	}
	return body
}
