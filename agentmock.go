// Package agentmock holds the domain types shared by the mock server's
// packages: what a validation failure is, independent of how a provider
// renders it and of the validator that found it.
package agentmock

import (
	"strconv"
	"strings"
)

// Location says where in the request a violation was found, with the names
// FastAPI uses in its "loc" arrays.
type Location string

const (
	InBody   Location = "body"
	InQuery  Location = "query"
	InPath   Location = "path"
	InHeader Location = "header"
)

// Violation is one reason a request does not conform to the document. Kind is
// a stable machine name close to pydantic's error types, so that each
// provider can render it in its own vocabulary.
//
// A validator sets the kind and what its message names; a provider's
// renderer (mock/provider/pydantic for FastAPI's wording) writes the
// message. A provider's own checks may set Message themselves.
type Violation struct {
	In   Location
	Path []string // member names and array indexes below In
	Kind string
	// Limit is the bound, length or pattern the value breaks.
	Limit string
	// Expected lists the allowed values, a union's tags, or the format's
	// name.
	Expected []string
	// Tag and Got are a tagged union's tag member and the value it held.
	Tag, Got string
	// Variant names the union variant the violation was found in.
	Variant string
	// Reason is a validator's own words, for a keyword with no wording of
	// a renderer's.
	Reason string
	// Message, when set, is the message as written, rendered as it is.
	Message string
}

// Field renders the path the way itellico's errors name fields: "body.a.0.b".
func (v Violation) Field() string {
	var b strings.Builder
	b.WriteString(string(v.In))
	for _, p := range v.Path {
		b.WriteByte('.')
		b.WriteString(p)
	}
	return b.String()
}

// Loc renders the path the way FastAPI does: strings for members, integers
// for array indexes.
func (v Violation) Loc() []any {
	loc := make([]any, 0, len(v.Path)+1)
	loc = append(loc, string(v.In))
	for _, p := range v.Path {
		if n, err := strconv.Atoi(p); err == nil {
			loc = append(loc, n)
			continue
		}
		loc = append(loc, p)
	}
	return loc
}

// Violation kinds. They follow pydantic v2's names where one exists.
const (
	KindMissing        = "missing"
	KindExtraForbidden = "extra_forbidden"
	KindJSONInvalid    = "json_invalid"
	KindType           = "type"
	KindEnum           = "enum"
	KindGreaterEqual   = "greater_than_equal"
	KindLessEqual      = "less_than_equal"
	KindGreater        = "greater_than"
	KindLess           = "less_than"
	KindTooLong        = "string_too_long"
	KindTooShort       = "string_too_short"
	KindTooManyItems   = "too_long"
	KindTooFewItems    = "too_short"
	KindUUID           = "uuid_parsing"
	KindDateTime       = "datetime_parsing"
	KindURL            = "url_parsing"
	KindPattern        = "string_pattern_mismatch"
	KindUnion          = "union_tag_invalid"
	KindValue          = "value_error"
)
