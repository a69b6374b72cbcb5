package store

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openCached(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"), Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestCacheServesReads: a second Get with no write between is answered
// from the cache. The test knows it was because it changes the entry
// behind the store's back.
func TestCacheServesReads(t *testing.T) {
	ctx := context.Background()
	s := openCached(t)
	_, err := s.Create(ctx, "c", "t", "a", []byte(`{"v":1}`))
	require.NoError(t, err)
	rec, err := s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, `{"v":1}`, string(rec.Doc))

	k := string(cacheKey(nil, "c", "t", "a"))
	v, ok := s.cache.entries[k]
	require.True(t, ok, "the read is kept")
	s.cache.entries[k] = append(v[:headerLen:headerLen], `{"v":"cached"}`...)
	rec, err = s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, `{"v":"cached"}`, string(rec.Doc))

	rec.Doc[0] = 'X'
	again, err := s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, `{"v":"cached"}`, string(again.Doc), "a caller's changes to its record do not reach the cache")
	require.NoError(t, s.View(ctx, func(tx *Tx) error {
		rec, err = tx.Get("c", "t", "a")
		return err
	}))
	assert.Equal(t, `{"v":"cached"}`, string(rec.Doc), "a transaction's Get reads the cache too")

	s.cache.begin() // as a write does
	rec, err = s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, `{"v":1}`, string(rec.Doc), "while a write is in flight, reads go to bbolt")
	s.cache.begin() // two at once, which the group never does
	s.cache.end()
	rec, err = s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, `{"v":1}`, string(rec.Doc), "while the other write is in flight, reads go to bbolt")
	s.cache.end()
}

// TestCacheDropsWhatWritesChange: after every kind of write, a Get that
// the cache answered before answers what was written.
func TestCacheDropsWhatWritesChange(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(*Tx) error
		want  string // "" for not found
	}{
		{"update", func(tx *Tx) error {
			_, err := tx.Update("c", "t", "a", func([]byte, *Meta) ([]byte, error) { return []byte(`{"v":2}`), nil })
			return err
		}, `{"v":2}`},
		{"put", func(tx *Tx) error { return tx.Put("c", "t", "a", Meta{Archived: true}, []byte(`{"v":3}`)) }, `{"v":3}`},
		{"replace", func(tx *Tx) error { return tx.Replace("c", "t", "a", []byte(`{"v":4}`)) }, `{"v":4}`},
		{"delete", func(tx *Tx) error { return tx.Delete("c", "t", "a") }, ""},
		{"delete and create", func(tx *Tx) error {
			if err := tx.Delete("c", "t", "a"); err != nil {
				return err
			}
			_, err := tx.Create("c", "t", "a", []byte(`{"v":5}`))
			return err
		}, `{"v":5}`},
		{"delete tenant", func(tx *Tx) error { return tx.DeleteTenant("c", "t") }, ""},
		{"delete collection", func(tx *Tx) error { return tx.DeleteCollection("c") }, ""},
		{"load", func(tx *Tx) error {
			return tx.Load("c", map[string][]Record{"t": {{ID: "a", Doc: []byte(`{"v":6}`)}}})
		}, `{"v":6}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openCached(t)
			_, err := s.Create(ctx, "c", "t", "a", []byte(`{"v":1}`))
			require.NoError(t, err)
			for range 2 { // the second is the cache's
				rec, err := s.Get(ctx, "c", "t", "a")
				require.NoError(t, err)
				require.Equal(t, `{"v":1}`, string(rec.Doc))
				page, err := s.List(ctx, "c", "t", Query{})
				require.NoError(t, err)
				require.Len(t, page.Records, 1)
				require.Equal(t, `{"v":1}`, string(page.Records[0].Doc))
			}
			require.NoError(t, s.Write(ctx, tc.write))
			page, err := s.List(ctx, "c", "t", Query{})
			require.NoError(t, err)
			rec, err := s.Get(ctx, "c", "t", "a")
			if tc.want == "" {
				assert.ErrorIs(t, err, ErrNotFound)
				assert.Empty(t, page.Records)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(rec.Doc))
			require.Len(t, page.Records, 1)
			assert.Equal(t, tc.want, string(page.Records[0].Doc), "a list reads what was written")
		})
	}
}

// TestCacheKeepsTransactionsWhole: writers change two documents together
// while readers read both in one transaction, each read from the cache or
// from bbolt as it happens. Every reader must see both at the same count,
// and never a count older than one whose write had returned before its
// transaction began.
func TestCacheKeepsTransactionsWhole(t *testing.T) {
	ctx := context.Background()
	s := openCached(t)
	for _, id := range []string{"a", "b"} {
		_, err := s.Create(ctx, "c", "t", id, []byte("0"))
		require.NoError(t, err)
	}
	var done atomic.Int64 // the highest count whose write has returned
	var wg sync.WaitGroup
	const writes = 2000
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; n <= writes; n++ {
			err := s.Write(ctx, func(tx *Tx) error {
				for _, id := range []string{"a", "b"} {
					if err := tx.Replace("c", "t", id, []byte(strconv.Itoa(n))); err != nil {
						return err
					}
				}
				return nil
			})
			if !assert.NoError(t, err) {
				return
			}
			done.Store(int64(n))
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Load() < writes {
				floor := done.Load()
				var a, b int64
				err := s.View(ctx, func(tx *Tx) error {
					for i := range 8 {
						id, n := "a", &a
						if i%2 == 1 {
							id, n = "b", &b
						}
						rec, err := tx.Get("c", "t", id)
						if err != nil {
							return err
						}
						was := *n
						if *n, err = strconv.ParseInt(string(rec.Doc), 10, 64); err != nil {
							return err
						}
						if i > 1 && *n != was {
							return fmt.Errorf("%s read %d, then %d, in one transaction", id, was, *n)
						}
						runtime.Gosched() // let writes and other readers in between
					}
					return nil
				})
				if !assert.NoError(t, err) || !assert.Equal(t, a, b, "one transaction, one state") ||
					!assert.GreaterOrEqual(t, a, floor, "a write that returned is read") {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestCacheKeepsAnOpenTransactionsSnapshot: a transaction that read one
// document from bbolt, and is still open when a write changes it and the
// next one and a later transaction puts both in the cache, reads the next
// one as its own snapshot has it, not from the cache.
func TestCacheKeepsAnOpenTransactionsSnapshot(t *testing.T) {
	ctx := context.Background()
	s := openCached(t)
	seed := func(id, doc string) {
		_, err := s.Create(ctx, "c", "t", id, []byte(doc))
		require.NoError(t, err)
	}
	for i := range 50 { // room in the file, so that the write below need not grow it while a reader is open
		seed(fmt.Sprint("pad", i), string(make([]byte, 1000)))
	}
	seed("a", "0")
	seed("b", "0")
	for i := range 50 {
		require.NoError(t, s.Delete(ctx, "c", "t", fmt.Sprint("pad", i)))
	}

	read, wrote := make(chan struct{}), make(chan struct{})
	var a, b string
	viewed := make(chan error, 1)
	go func() {
		viewed <- s.View(ctx, func(tx *Tx) error {
			rec, err := tx.Get("c", "t", "a")
			a = string(rec.Doc)
			close(read)
			<-wrote
			if err == nil {
				rec, err = tx.Get("c", "t", "b")
				b = string(rec.Doc)
			}
			return err
		})
	}()
	<-read
	require.NoError(t, s.Write(ctx, func(tx *Tx) error {
		for _, id := range []string{"a", "b"} {
			if err := tx.Replace("c", "t", id, []byte("1")); err != nil {
				return err
			}
		}
		return nil
	}))
	for _, id := range []string{"a", "b"} {
		rec, err := s.Get(ctx, "c", "t", id)
		require.NoError(t, err)
		require.Equal(t, "1", string(rec.Doc))
	}
	require.Contains(t, s.cache.entries, string(cacheKey(nil, "c", "t", "b")), "the later transaction kept b")
	close(wrote)
	require.NoError(t, <-viewed)
	assert.Equal(t, "0", a)
	assert.Equal(t, "0", b, "the open transaction reads its own snapshot")
	rec, err := s.Get(ctx, "c", "t", "b")
	require.NoError(t, err)
	assert.Equal(t, "1", string(rec.Doc), "what the open transaction read is not kept")
}

// TestCacheKeepsWhatAPageShows: a list keeps the documents on its page,
// and answers them from the cache the next time, but not those a filter
// read and passed over.
func TestCacheKeepsWhatAPageShows(t *testing.T) {
	ctx := context.Background()
	s := openCached(t)
	for i := range 6 {
		_, err := s.Create(ctx, "c", "t", fmt.Sprint("d", i), []byte(fmt.Sprint(i)))
		require.NoError(t, err)
	}
	even := func(doc []byte) bool { return (doc[0]-'0')%2 == 0 }
	page, err := s.List(ctx, "c", "t", Query{Limit: 2, Match: even})
	require.NoError(t, err)
	require.Equal(t, []string{"d0", "d2"}, []string{page.Records[0].ID, page.Records[1].ID})
	var kept []string
	for k := range s.cache.entries {
		kept = append(kept, k[len(cacheKey(nil, "c", "t", "")):])
	}
	assert.ElementsMatch(t, []string{"d0", "d2"}, kept, "only the page is kept")

	s.cache.entries[string(cacheKey(nil, "c", "t", "d2"))] = encodeValue(page.Records[1].Seq, Meta{}, []byte("8"))
	page, err = s.List(ctx, "c", "t", Query{Limit: 2, Match: even})
	require.NoError(t, err)
	assert.Equal(t, "8", string(page.Records[1].Doc), "the page's documents come from the cache")
}

// TestCacheKeysAreUnambiguous: no two documents share a key, whatever
// bytes their collection, tenant and id hold.
func TestCacheKeysAreUnambiguous(t *testing.T) {
	seen := map[string][3]string{}
	for _, k := range [][3]string{
		{"c", "t", "ab"}, {"c", "ta", "b"}, {"ct", "", "ab"}, {"c", "t\x00a", "b"}, {"c", "t", "\x00ab"}, {"c\x01", "t", "ab"}, {"", "", ""}, {"", "", "\x00"},
	} {
		key := string(cacheKey(nil, k[0], k[1], k[2]))
		if other, ok := seen[key]; ok {
			t.Fatalf("%q and %q share a key", k, other)
		}
		seen[key] = k
	}
}

// TestCacheIsBounded: the values kept never exceed cacheBytes, and a value
// over cacheValueBytes is not kept.
func TestCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	s := openCached(t)
	doc := make([]byte, 40<<10)
	for i := range doc {
		doc[i] = 'x'
	}
	for i := range 300 {
		id := fmt.Sprint(i)
		_, err := s.Create(ctx, "c", "t", id, doc)
		require.NoError(t, err)
		_, err = s.Get(ctx, "c", "t", id)
		require.NoError(t, err)
		assert.LessOrEqual(t, s.cache.bytes, cacheBytes)
	}
	assert.Greater(t, s.cache.bytes, cacheBytes-len(doc)-headerLen-1, "it fills up to its bound")
	total := 0
	for _, v := range s.cache.entries {
		total += len(v)
	}
	assert.Equal(t, total, s.cache.bytes)

	_, err := s.Create(ctx, "c", "t", "big", make([]byte, cacheValueBytes+1))
	require.NoError(t, err)
	_, err = s.Get(ctx, "c", "t", "big")
	require.NoError(t, err)
	assert.NotContains(t, s.cache.entries, string(cacheKey(nil, "c", "t", "big")))
}
