package mock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTaggedUnionsComeFromTheDocument: the members whose variant is replaced
// whole when its tag changes are found in the create schema, not listed by
// hand.
func TestTaggedUnionsComeFromTheDocument(t *testing.T) {
	app := openTestApp(t)
	assert.Equal(t, map[string]string{"model": "provider", "transcriber": "provider", "voice": "provider"},
		app.Itellico.prov.(*itellico).agents.unions)
	assert.Empty(t, app.Diga.prov.(*diga).agents.unions, "Diga's agent has no tagged union members")
}
