package mock

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTaggedUnionsComeFromTheDocument: the members whose variant is replaced
// whole when its tag changes are found in the create schema, not listed by
// hand.
func TestTaggedUnionsComeFromTheDocument(t *testing.T) {
	app, err := Open(context.Background(), Options{DB: filepath.Join(t.TempDir(), "u.db"), NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	assert.Equal(t, map[string]string{"model": "provider", "transcriber": "provider", "voice": "provider"},
		app.Itellico.prov.(*itellico).agents.unions)
	assert.Empty(t, app.Diga.prov.(*diga).agents.unions, "Diga's agent has no tagged union members")
}
