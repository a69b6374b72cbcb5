package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestOpenMigratesTheIndex writes a tenant the way agentmock did before the
// index carried Meta flags (an index value was the bare id, and the tenant
// had no layout key) and checks that Open brings it to the current layout
// without losing an archived flag, and that a second Open writes nothing.
func TestOpenMigratesTheIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		coll, err := tx.CreateBucket([]byte("itellico/agents"))
		if err != nil {
			return err
		}
		tb, err := coll.CreateBucket([]byte("acct"))
		if err != nil {
			return err
		}
		docs, _ := tb.CreateBucket(docsBucket)
		order, _ := tb.CreateBucket(orderBucket)
		for i := range 5 {
			seq, _ := order.NextSequence()
			id := fmt.Sprintf("a%d", i)
			if err := docs.Put([]byte(id), encodeValue(seq, Meta{Archived: i%2 == 1}, []byte(`{}`))); err != nil {
				return err
			}
			if err := order.Put(seqKey(seq), []byte(id)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())

	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	p, err := s.List(ctx, "itellico/agents", "acct", Query{Where: func(m Meta) bool { return m.Archived }, Count: true})
	require.NoError(t, err)
	var got []string
	for _, r := range p.Records {
		got = append(got, r.ID)
	}
	assert.Equal(t, []string{"a1", "a3"}, got)
	assert.Equal(t, 2, p.Total)
	txid := lastTx(t, s)
	require.NoError(t, s.Close())

	_, errs := Verify(path)
	assert.Empty(t, errs)

	s, err = Open(ctx, path, Options{})
	require.NoError(t, err)
	assert.Equal(t, txid, lastTx(t, s), "a current database is not rewritten")
	require.NoError(t, s.Close())
}

// lastTx is the id of the last committed write transaction.
func lastTx(t *testing.T, s *Store) int {
	t.Helper()
	var id int
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	}))
	return id
}

// TestOpenRefusesANewerLayout keeps an older agentmock from misreading a file
// a newer one wrote.
func TestOpenRefusesANewerLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(layoutBucket)
		if err != nil {
			return err
		}
		return b.Put(layoutKey, []byte{layoutFlagsInIndex + 1})
	}))
	require.NoError(t, db.Close())
	_, err = Open(context.Background(), path, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "written by a newer one")
}
