package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// TestVerifyFindsWhatIsBroken plants each inconsistency Verify looks for in
// an otherwise sound file, and checks it is reported; the sound file has
// nothing to report.
func TestVerifyFindsWhatIsBroken(t *testing.T) {
	cases := []struct {
		name  string
		plant func(tb *bolt.Bucket) error
		want  string
	}{
		{"sound", func(*bolt.Bucket) error { return nil }, ""},
		{"index entry naming nothing", func(tb *bolt.Bucket) error {
			return tb.Bucket(orderBucket).Put(seqKey(2), indexValue(Meta{}, []byte("ghost")))
		}, "names ghost, which has no document"},
		{"index flags disagree with the document", func(tb *bolt.Bucket) error {
			return tb.Bucket(orderBucket).Put(seqKey(1), indexValue(Meta{Archived: true}, []byte("a")))
		}, "index entry 1 says a is {Archived:true}, the document says {Archived:false}"},
		{"count wrong", func(tb *bolt.Bucket) error {
			return tally(tb, Meta{}, +2)
		}, "the count of {Archived:false} documents is 3, and there are 1"},
		{"count of documents there are none of", func(tb *bolt.Bucket) error {
			return tally(tb, Meta{Archived: true}, +1)
		}, "the count of {Archived:true} documents is 1, and there are 0"},
		{"layout unknown", func(tb *bolt.Bucket) error {
			return tb.Tx().DeleteBucket(layoutBucket)
		}, "the file is not in layout 2"},
		{"document missing from the index", func(tb *bolt.Bucket) error {
			return tb.Bucket(docsBucket).Put([]byte("stray"), encodeValue(1, Meta{}, []byte(`{}`)))
		}, "document stray is not in the index"},
		{"index at the wrong sequence", func(tb *bolt.Bucket) error {
			return tb.Bucket(docsBucket).Put([]byte("a"), encodeValue(7, Meta{}, []byte(`{}`)))
		}, "which is stored at another sequence"},
		{"document not JSON", func(tb *bolt.Bucket) error {
			return tb.Bucket(docsBucket).Put([]byte("a"), encodeValue(1, Meta{}, []byte(`{`)))
		}, "document a is not JSON"},
		{"sequence counter behind", func(tb *bolt.Bucket) error {
			return tb.Bucket(orderBucket).SetSequence(0)
		}, "the sequence counter 0 is behind index entry 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "v.db")
			s, err := Open(context.Background(), path, Options{NoSync: true})
			require.NoError(t, err)
			_, err = s.Create(context.Background(), "c", "t", "a", []byte(`{"n":1}`))
			require.NoError(t, err)
			require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
				return tc.plant(tx.Bucket([]byte("c")).Bucket([]byte("t")))
			}))
			require.NoError(t, s.Close())

			rep, errs := Verify(path)
			assert.Equal(t, 1, rep.Collections)
			assert.Equal(t, 1, rep.Tenants)
			if tc.want == "" {
				assert.Empty(t, errs)
				return
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tc.want)
		})
	}
}
