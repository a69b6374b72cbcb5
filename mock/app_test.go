package mock

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenKeepsOrResets: an existing database is kept as it is, unless
// Reset puts it back to the fixtures.
func TestOpenKeepsOrResets(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "app.db")
	const coll, tenant, fixtureKB = "diga/knowledge_bases", "d1000000-0000-4000-8000-000000000001", "4b1f0c8e-2d3a-4e5f-8a9b-0c1d2e3f4a01"
	app, err := Open(ctx, Options{DB: db, NoSync: true})
	require.NoError(t, err)
	_, err = app.Store.Create(ctx, coll, tenant, "added", []byte(`{"id":"added","name":"Added"}`))
	require.NoError(t, err)
	require.NoError(t, app.Store.Delete(ctx, coll, tenant, fixtureKB))
	require.NoError(t, app.Close())

	app, err = Open(ctx, Options{DB: db, NoSync: true})
	require.NoError(t, err)
	_, err = app.Store.Get(ctx, coll, tenant, "added")
	assert.NoError(t, err, "kept by default")
	require.NoError(t, app.Close())

	app, err = Open(ctx, Options{DB: db, NoSync: true, Reset: true})
	require.NoError(t, err)
	defer app.Close()
	_, err = app.Store.Get(ctx, coll, tenant, "added")
	assert.ErrorIs(t, err, store.ErrNotFound, "gone after a reset")
	_, err = app.Store.Get(ctx, coll, tenant, fixtureKB)
	assert.NoError(t, err, "the fixtures are back")
}
