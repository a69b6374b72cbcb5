package openapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"3c90c3cc-0d44-4b50-8888-8dd25736052a", true},
		{"3C90C3CC-0D44-4B50-8888-8DD25736052A", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"3c90c3cc-0d44-9b50-8888-8dd25736052a", true}, // version 9: pydantic's UUID accepts it
		{"3c90c3cc0d444b5088888dd25736052a", false},
		{"3c90c3cc-0d44-4b50-8888-8dd25736052", false},
		{"3c90c3cc-0d44-4b50-8888-8dd25736052az", false},
		{"3c90c3cc_0d44-4b50-8888-8dd25736052a", false},
		{"3c90c3cc-0d44-4b50-8888-8dd25736052g", false},
		{"", false},
	} {
		assert.Equal(t, tc.ok, validateUUID(tc.in) == nil, tc.in)
	}
}
