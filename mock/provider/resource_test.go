package provider_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTaggedUnionsComeFromTheDocument: the members whose variant is replaced
// whole when its tag changes are found in the create schema, not listed by
// hand.
func TestTaggedUnionsComeFromTheDocument(t *testing.T) {
	tests := []struct {
		doc, create, get string
		want             map[string]string
	}{
		{"itellico", "POST /v1/accounts/{}/agents", "GET /v1/accounts/{}/agents/{}", map[string]string{"model": "provider", "transcriber": "provider", "voice": "provider"}},
		{"diga", "POST /v1/agent/", "GET /v1/agent/{}", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			data, err := openapi.Embedded(tt.doc)
			require.NoError(t, err)
			spec, err := openapi.Load(context.Background(), data)
			require.NoError(t, err)
			rs, err := provider.NewResource(spec, tt.create, tt.get, http.StatusOK)
			require.NoError(t, err)
			assert.Equal(t, tt.want, rs.Unions)
		})
	}
}
