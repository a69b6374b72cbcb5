package mock

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryDocumentedOperationHasBehaviour keeps our documents and the
// handlers in step: an operation we document but do not serve would answer
// 501.
func TestEveryDocumentedOperationHasBehaviour(t *testing.T) {
	app, err := Open(context.Background(), Options{DB: filepath.Join(t.TempDir(), "h.db"), NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close() })
	for _, srv := range []*Server{app.Diga, app.Itellico, app.Diga.control, app.Itellico.control} {
		for _, op := range srv.spec.Operations() {
			assert.NotNil(t, srv.handlers[op.Key], "%s: %s has no handler", srv.prov.Name(), op.Key)
		}
	}
}
