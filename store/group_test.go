package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentWritesShareCommits drives many writers at once, some of
// which fail or panic: every successful write is stored, every failure is
// reported to its own writer only, and nothing else is lost.
func TestConcurrentWritesShareCommits(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"), store.Options{})
	require.NoError(t, err)
	defer s.Close()

	boom := errors.New("boom")
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.Create("c", "t", fmt.Sprint("id-", i), []byte(fmt.Sprintf(`{"i":%d}`, i))); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom // rolls back its own create
				case 7:
					panic("writer bug")
				}
				return nil
			})
		}()
	}
	wg.Wait()

	page, err := s.List(ctx, "c", "t", store.Query{})
	require.NoError(t, err)
	stored := map[string]bool{}
	for _, r := range page.Records {
		stored[r.ID] = true
	}
	for i := range n {
		id := fmt.Sprint("id-", i)
		switch i % 10 {
		case 3:
			assert.ErrorIs(t, errs[i], boom, id)
			assert.False(t, stored[id], "%s failed, yet was stored", id)
		case 7:
			assert.ErrorContains(t, errs[i], "panicked", id)
			assert.False(t, stored[id], "%s panicked, yet was stored", id)
		default:
			assert.NoError(t, errs[i], id)
			assert.True(t, stored[id], "%s succeeded, yet was lost", id)
		}
	}
	assert.Len(t, page.Records, n-2*n/10)
}
