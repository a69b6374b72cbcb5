package pydantic_test

import (
	"testing"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/stretchr/testify/assert"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		v    agentmock.Violation
		want string
	}{
		{agentmock.Violation{Kind: agentmock.KindMissing}, "Field required"},
		{agentmock.Violation{Kind: agentmock.KindTooLong, Limit: "1"}, "String should have at most 1 character"},
		{agentmock.Violation{Kind: agentmock.KindTooFewItems, Limit: "2"}, "List should have at least 2 items"},
		{agentmock.Violation{Kind: agentmock.KindEnum, Expected: []string{"a"}}, "Input should be 'a'"},
		{agentmock.Violation{Kind: agentmock.KindEnum, Expected: []string{"a", "b", "c"}}, "Input should be 'a', 'b' or 'c'"},
		{agentmock.Violation{Kind: agentmock.KindGreaterEqual, Limit: "0", Variant: "azure"}, "Input should be greater than or equal to 0 (in the azure variant)"},
		{agentmock.Violation{Kind: agentmock.KindExtraForbidden, Path: []string{"transcriber", "model"}, Variant: "azure"},
			"Extra inputs are not permitted: 'model' is not a field of the azure variant"},
		{agentmock.Violation{Kind: agentmock.KindUnion, Tag: "provider", Got: "x", Expected: []string{"a", "b"}},
			"Input tag 'x' found using 'provider' does not match any of the expected tags: 'a', 'b'"},
		{agentmock.Violation{Kind: "union_tag_not_found", Tag: "provider", Expected: []string{"a"}}, "Unable to extract tag using discriminator 'provider': expected one of 'a'"},
		{agentmock.Violation{Kind: agentmock.KindDateTime, Expected: []string{"datetime with a timezone"}}, "Input should be a valid datetime with a timezone"},
		{agentmock.Violation{Kind: agentmock.KindUUID}, "Input should be a valid UUID"},
		{agentmock.Violation{Kind: agentmock.KindValue, Expected: []string{"email"}}, "Input should be a valid email"},
		{agentmock.Violation{Kind: agentmock.KindValue, Reason: "kin's words"}, "kin's words"},
		{agentmock.Violation{Kind: agentmock.KindValue, Message: "Value error, as written"}, "Value error, as written"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) { assert.Equal(t, tt.want, pydantic.Message(tt.v)) })
	}
}
