// Package pydantic words violations as FastAPI's pydantic v2 does, which
// is how Diga (and, in its errors' messages, itellico) tells a client what
// its request broke. The validator (package openapi) only names the kind
// of each violation and what it is about; the wording is this package's,
// used by the providers that speak it.
package pydantic

import (
	"fmt"
	"path"
	"strings"

	"github.com/agentmock/agentmock"
)

// Message words a violation. A violation whose Message is set keeps it.
func Message(v agentmock.Violation) string {
	if v.Message != "" {
		return v.Message
	}
	msg := base(v)
	if v.Variant != "" && v.Kind != agentmock.KindExtraForbidden {
		msg += fmt.Sprintf(" (in the %s variant)", v.Variant)
	}
	return msg
}

func base(v agentmock.Violation) string {
	switch v.Kind {
	case agentmock.KindMissing:
		return "Field required"
	case agentmock.KindExtraForbidden:
		if v.Variant != "" && len(v.Path) > 0 {
			return fmt.Sprintf("Extra inputs are not permitted: '%s' is not a field of the %s variant", path.Base(strings.Join(v.Path, "/")), v.Variant)
		}
		return "Extra inputs are not permitted"
	case agentmock.KindJSONInvalid:
		return "JSON decode error"
	case "int_type":
		return "Input should be a valid integer"
	case "float_type":
		return "Input should be a valid number"
	case "string_type":
		return "Input should be a valid string"
	case "bool_type":
		return "Input should be a valid boolean"
	case "list_type":
		return "Input should be a valid list"
	case "dict_type":
		return "Input should be a valid dictionary or object"
	case "int_parsing":
		return "Input should be a valid integer, unable to parse string as an integer"
	case "float_parsing":
		return "Input should be a valid number, unable to parse string as a number"
	case "bool_parsing":
		return "Input should be a valid boolean, unable to interpret input"
	case agentmock.KindEnum:
		return enum(v.Expected)
	case agentmock.KindGreaterEqual:
		return "Input should be greater than or equal to " + v.Limit
	case agentmock.KindGreater:
		return "Input should be greater than " + v.Limit
	case agentmock.KindLessEqual:
		return "Input should be less than or equal to " + v.Limit
	case agentmock.KindLess:
		return "Input should be less than " + v.Limit
	case agentmock.KindTooLong:
		return fmt.Sprintf("String should have at most %s character%s", v.Limit, plural(v.Limit))
	case agentmock.KindTooShort:
		return fmt.Sprintf("String should have at least %s character%s", v.Limit, plural(v.Limit))
	case agentmock.KindTooManyItems:
		return fmt.Sprintf("List should have at most %s item%s", v.Limit, plural(v.Limit))
	case agentmock.KindTooFewItems:
		return fmt.Sprintf("List should have at least %s item%s", v.Limit, plural(v.Limit))
	case agentmock.KindPattern:
		return fmt.Sprintf("String should match pattern '%s'", v.Limit)
	case agentmock.KindURL:
		return "Input should be a valid URL, " + first(v.Expected, "relative URL without a base")
	case agentmock.KindUUID, agentmock.KindDateTime, "date_parsing":
		return "Input should be a valid " + first(v.Expected, map[string]string{agentmock.KindUUID: "UUID", agentmock.KindDateTime: "datetime", "date_parsing": "date"}[v.Kind])
	case agentmock.KindUnion:
		if v.Tag != "" {
			return fmt.Sprintf("Input tag '%s' found using '%s' does not match any of the expected tags: %s", v.Got, v.Tag, quoted(v.Expected))
		}
		return "Input does not match any of the allowed shapes"
	case "union_tag_not_found":
		return fmt.Sprintf("Unable to extract tag using discriminator '%s': expected one of %s", v.Tag, quoted(v.Expected))
	case agentmock.KindType:
		return "Input has the wrong type"
	}
	if len(v.Expected) == 1 {
		return "Input should be a valid " + v.Expected[0] // a format with no kind of its own
	}
	if v.Reason != "" {
		return v.Reason
	}
	return "Input is not valid"
}

func enum(values []string) string {
	switch len(values) {
	case 0:
		return "Input should be one of the allowed values"
	case 1:
		return "Input should be '" + values[0] + "'"
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "'" + v + "'"
	}
	return "Input should be " + strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func quoted(values []string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "'" + v + "'"
	}
	return strings.Join(parts, ", ")
}

func first(values []string, fallback string) string {
	if len(values) > 0 {
		return values[0]
	}
	return fallback
}

func plural(n string) string {
	if n == "1" {
		return ""
	}
	return "s"
}
