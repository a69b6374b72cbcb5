package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func seed(t *testing.T, s *store.Store, tenant string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("id-%03d", i)
		_, err := s.Create(context.Background(), "c", tenant, ids[i], []byte(fmt.Sprintf(`{"n":%d}`, i)))
		require.NoError(t, err)
	}
	return ids
}

func ids(p store.Page) []string {
	out := make([]string, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.ID
	}
	return out
}

func TestCreateGetUpdateDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	_, err := s.Create(ctx, "c", "t1", "a", []byte(`{"v":1}`))
	require.NoError(t, err)
	_, err = s.Create(ctx, "c", "t1", "a", []byte(`{}`))
	assert.ErrorIs(t, err, store.ErrExists)

	rec, err := s.Update(ctx, "c", "t1", "a", func(doc []byte, m *store.Meta) ([]byte, error) {
		m.Archived = true
		return []byte(`{"v":2}`), nil
	})
	require.NoError(t, err)
	assert.True(t, rec.Archived)
	got, err := s.Get(ctx, "c", "t1", "a")
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":2}`, string(got.Doc))
	assert.True(t, got.Archived)

	boom := errors.New("boom")
	_, err = s.Update(ctx, "c", "t1", "a", func([]byte, *store.Meta) ([]byte, error) { return nil, boom })
	assert.ErrorIs(t, err, boom)
	got, _ = s.Get(ctx, "c", "t1", "a")
	assert.JSONEq(t, `{"v":2}`, string(got.Doc), "a failed update stores nothing")

	_, err = s.Get(ctx, "c", "t2", "a")
	assert.ErrorIs(t, err, store.ErrNotFound, "tenants do not see each other")
	require.NoError(t, s.Delete(ctx, "c", "t1", "a"))
	_, err = s.Get(ctx, "c", "t1", "a")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.Delete(ctx, "c", "t1", "a"), store.ErrNotFound)
	page, err := s.List(ctx, "c", "t1", store.Query{})
	require.NoError(t, err)
	assert.Empty(t, page.Records, "delete removes the index entry too")
}

func TestListOrderAndCursors(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	all := seed(t, s, "t", 7)
	checkLists(t, s, []listCase{
		{"asc", store.Query{Limit: 3}, all[0:3], true, 0},
		{"desc", store.Query{Desc: true, Limit: 3}, []string{all[6], all[5], all[4]}, true, 0},
		{"asc after", store.Query{After: all[2], Limit: 3}, all[3:6], true, 0},
		{"asc after to the end", store.Query{After: all[4], Limit: 3}, all[5:7], false, 0},
		{"desc after", store.Query{Desc: true, After: all[4], Limit: 3}, []string{all[3], all[2], all[1]}, true, 0},
		{"asc before", store.Query{Before: all[4], Limit: 2}, all[2:4], true, 0},
		{"asc before to the start", store.Query{Before: all[2], Limit: 5}, all[0:2], false, 0},
		{"desc before", store.Query{Desc: true, Before: all[2], Limit: 2}, []string{all[4], all[3]}, true, 0},
		{"offset", store.Query{Offset: 5, Limit: 5, Count: true}, all[5:7], false, 7},
	})
	p, err := s.List(ctx, "c", "t", store.Query{Limit: 2, Count: true})
	require.NoError(t, err)
	assert.Equal(t, 7, p.Total, "Count totals every match, not the page")
	_, err = s.List(ctx, "c", "t", store.Query{After: "nope"})
	assert.ErrorIs(t, err, store.ErrCursor)
}

type listCase struct {
	name string
	q    store.Query
	want []string
	more bool
	// total is checked when q.Count asks for one.
	total int
}

func checkLists(t *testing.T, s *store.Store, cases []listCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.List(context.Background(), "c", "t", tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(p))
			assert.Equal(t, tc.more, p.HasMore)
			if tc.q.Count {
				assert.Equal(t, tc.total, p.Total)
			}
			for _, r := range p.Records {
				assert.True(t, tc.q.Where == nil || tc.q.Where(r.Meta), "%s came back with the Meta it was chosen by", r.ID)
			}
		})
	}
}

// TestWhereFiltersByMeta lists, skips and counts by Meta alone, with and
// without a document filter, and sees an archive, a restore and a delete at
// once.
func TestWhereFiltersByMeta(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	all := seed(t, s, "t", 10)
	setArchived := func(id string, on bool) {
		t.Helper()
		_, err := s.Update(ctx, "c", "t", id, func(doc []byte, m *store.Meta) ([]byte, error) {
			m.Archived = on
			return doc, nil
		})
		require.NoError(t, err)
	}
	for _, i := range []int{1, 4, 7, 8} {
		setArchived(all[i], true)
	}
	setArchived(all[8], false)
	require.NoError(t, s.Delete(ctx, "c", "t", all[4]))
	live := func(m store.Meta) bool { return !m.Archived }
	archived := func(m store.Meta) bool { return m.Archived }
	even := func(doc []byte) bool {
		var d struct{ N int }
		require.NoError(t, json.Unmarshal(doc, &d))
		return d.N%2 == 0
	}
	checkLists(t, s, []listCase{
		{"live", store.Query{Where: live, Limit: 3, Count: true},
			[]string{all[0], all[2], all[3]}, true, 7},
		{"live past an offset", store.Query{Where: live, Offset: 3, Limit: 3, Count: true},
			[]string{all[5], all[6], all[8]}, true, 7},
		{"live, last page", store.Query{Where: live, Offset: 6, Limit: 3, Count: true},
			[]string{all[9]}, false, 7},
		{"archived", store.Query{Where: archived, Count: true},
			[]string{all[1], all[7]}, false, 2},
		{"archived, newest first", store.Query{Where: archived, Desc: true, Limit: 1, Count: true},
			[]string{all[7]}, true, 2},
		{"live and even", store.Query{Where: live, Match: even, Offset: 1, Limit: 2, Count: true},
			[]string{all[2], all[6]}, true, 4},
		{"no count stops at the page", store.Query{Where: live, Limit: 2},
			[]string{all[0], all[2]}, true, 3},
	})
}

// TestWalkWhileCreating pages forward while new records keep arriving, and
// sees every record that existed when the walk began exactly once.
func TestWalkWhileCreating(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	before := seed(t, s, "t", 25)
	seen := map[string]int{}
	after, n := "", 0
	for {
		p, err := s.List(ctx, "c", "t", store.Query{After: after, Limit: 4})
		require.NoError(t, err)
		for _, r := range p.Records {
			seen[r.ID]++
		}
		_, err = s.Create(ctx, "c", "t", fmt.Sprintf("new-%d", n), []byte(`{}`))
		require.NoError(t, err)
		n++
		if !p.HasMore {
			break
		}
		after = p.Records[len(p.Records)-1].ID
	}
	for _, id := range before {
		assert.Equal(t, 1, seen[id], id)
	}
	for id, c := range seen {
		assert.Equal(t, 1, c, id)
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	_, err := s.Create(ctx, "c", "t", "a", []byte(`0`))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			_, err := s.Update(ctx, "c", "t", "a", func(doc []byte, _ *store.Meta) ([]byte, error) {
				var n int
				_, _ = fmt.Sscan(string(doc), &n)
				return []byte(fmt.Sprint(n + 1)), nil
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	rec, err := s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.Equal(t, "100", string(rec.Doc))
}

func TestSecondOpenFailsFast(t *testing.T) {
	_, path := open(t)
	start := time.Now()
	_, err := store.Open(context.Background(), path, store.Options{Timeout: 200 * time.Millisecond})
	assert.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), "in use by another process")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestEmpty(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	empty, err := s.Empty(ctx)
	require.NoError(t, err)
	assert.True(t, empty)
	seed(t, s, "t", 1)
	empty, err = s.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty)
}

func TestDumpLoadKeepsOrderAndMeta(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	want := seed(t, s, "t1", 5)
	seed(t, s, "t2", 2)
	_, err := s.Update(ctx, "c", "t1", want[2], func(doc []byte, m *store.Meta) ([]byte, error) {
		m.Archived = true
		return doc, nil
	})
	require.NoError(t, err)
	var dump map[string][]store.Record
	require.NoError(t, s.View(ctx, func(tx *store.Tx) (err error) {
		dump, err = tx.Dump("c")
		return err
	}))
	require.Len(t, dump["t1"], 5)
	require.NoError(t, s.Write(ctx, func(tx *store.Tx) error { return tx.DeleteCollection("c") }))
	_, err = s.Get(ctx, "c", "t1", want[0])
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.Write(ctx, func(tx *store.Tx) error { return tx.Load("c", dump) }))
	p, err := s.List(ctx, "c", "t1", store.Query{})
	require.NoError(t, err)
	assert.Equal(t, want, ids(p))
	assert.True(t, p.Records[2].Archived)
	assert.JSONEq(t, `{"n":2}`, string(p.Records[2].Doc))
	p, err = s.List(ctx, "c", "t1", store.Query{Where: func(m store.Meta) bool { return m.Archived }, Count: true})
	require.NoError(t, err)
	assert.Equal(t, []string{want[2]}, ids(p), "a load indexes Meta too")
	assert.Equal(t, 1, p.Total)
}

func TestFindLooksAcrossTenants(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	for _, r := range []struct{ tenant, id, doc string }{{"t1", "a", `{"n":"1"}`}, {"t2", "b", `{"n":"2"}`}, {"t2", "c", `{"n":"3"}`}} {
		_, err := s.Create(ctx, "c", r.tenant, r.id, []byte(r.doc))
		require.NoError(t, err)
	}
	require.NoError(t, s.View(ctx, func(tx *store.Tx) error {
		tenant, rec, ok := tx.Find("c", func(_ string, doc []byte) bool { return string(doc) == `{"n":"3"}` })
		require.True(t, ok)
		assert.Equal(t, "t2", tenant)
		assert.Equal(t, "c", rec.ID)
		assert.JSONEq(t, `{"n":"3"}`, string(rec.Doc))
		_, _, ok = tx.Find("c", func(id string, _ []byte) bool { return id == "zz" })
		assert.False(t, ok, "no record matches")
		tenant, rec, ok = tx.FindID("c", "b")
		require.True(t, ok)
		assert.Equal(t, "t2", tenant)
		assert.JSONEq(t, `{"n":"2"}`, string(rec.Doc))
		_, _, ok = tx.FindID("c", "zz")
		assert.False(t, ok)
		_, _, ok = tx.Find("nope", func(string, []byte) bool { return true })
		assert.False(t, ok, "no such collection")
		return nil
	}))
}

func TestReplaceKeepsMetaAndOrder(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		_, err := s.Create(ctx, "c", "t", id, []byte(`{"v":0}`))
		require.NoError(t, err)
	}
	require.NoError(t, s.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Put("c", "t", "a", store.Meta{Archived: true}, []byte(`{"v":1}`)); err != nil {
			return err
		}
		return tx.Replace("c", "t", "a", []byte(`{"v":2}`))
	}))
	got, err := s.Get(ctx, "c", "t", "a")
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":2}`, string(got.Doc))
	assert.True(t, got.Archived, "Meta is kept")
	page, err := s.List(ctx, "c", "t", store.Query{})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	assert.Equal(t, "a", page.Records[0].ID, "creation order is kept")
	assert.ErrorIs(t, s.Write(ctx, func(tx *store.Tx) error { return tx.Replace("c", "t", "zz", nil) }), store.ErrNotFound)
}
