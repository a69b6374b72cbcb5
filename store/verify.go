package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// VerifyReport counts what Verify looked at.
type VerifyReport struct {
	Collections, Tenants, Docs int
}

// Verify opens a closed database file read-only and returns every
// inconsistency found: bbolt's own page-level check, then the store's
// layout:
// the file is in the current layout; every document has exactly one
// index entry, at its own sequence and with its own flags; every index entry
// names a document stored at that sequence; every document is JSON; and each
// tenant's sequence counter is past every sequence used, so that none is
// handed out twice.
func Verify(path string) (VerifyReport, []error) {
	var rep VerifyReport
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return rep, []error{err}
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			bad("bbolt: %w", err)
		}
		if b := tx.Bucket(layoutBucket); b == nil || !bytes.Equal(b.Get(layoutKey), []byte{layoutFlagsInIndex}) {
			bad("the file is not in layout %d", layoutFlagsInIndex)
		}
		_ = forEachCollection(tx, func([]byte, *bolt.Bucket) error {
			rep.Collections++
			return nil
		})
		return forEachTenant(tx, func(where string, tb *bolt.Bucket) error {
			docs, order := tb.Bucket(docsBucket), tb.Bucket(orderBucket)
			if docs == nil || order == nil {
				bad("%s: the docs or order bucket is missing", where)
				return nil
			}
			rep.Tenants++
			indexed := map[string]uint64{}
			var top uint64
			_ = order.ForEach(func(k, iv []byte) error {
				flags, id := decodeIndex(iv)
				if len(k) != 8 {
					bad("%s: index key %x is not a sequence", where, k)
					return nil
				}
				seq := binary.BigEndian.Uint64(k)
				top = max(top, seq)
				if prev, dup := indexed[string(id)]; dup {
					bad("%s: %s is indexed at %d and at %d", where, id, prev, seq)
				}
				indexed[string(id)] = seq
				v := docs.Get(id)
				stored, meta, _ := decodeValue(v)
				switch {
				case v == nil:
					bad("%s: index entry %d names %s, which has no document", where, seq, id)
				case len(v) < headerLen || stored != seq:
					bad("%s: index entry %d names %s, which is stored at another sequence", where, seq, id)
				case meta != flags:
					bad("%s: index entry %d says %s is %+v, the document says %+v", where, seq, id, flags, meta)
				}
				return nil
			})
			counts := map[Meta]int{}
			_ = docs.ForEach(func(id, v []byte) error {
				rep.Docs++
				_, meta, _ := decodeValue(v)
				counts[meta]++
				if _, ok := indexed[string(id)]; !ok {
					bad("%s: document %s is not in the index", where, id)
				}
				if _, _, doc := decodeValue(v); len(v) < headerLen || !json.Valid(doc) {
					bad("%s: document %s is not JSON", where, id)
				}
				return nil
			})
			stored := map[Meta]int{}
			forEachCount(tb, func(meta Meta, n int) { stored[meta] += n })
			// A count of documents there are none of is checked too.
			for meta := range stored {
				if _, ok := counts[meta]; !ok {
					counts[meta] = 0
				}
			}
			for meta, n := range counts {
				if stored[meta] != n {
					bad("%s: the count of %+v documents is %d, and there are %d", where, meta, stored[meta], n)
				}
			}
			if order.Sequence() < top {
				bad("%s: the sequence counter %d is behind index entry %d", where, order.Sequence(), top)
			}
			return nil
		})
	})
	if err != nil {
		errs = append(errs, err)
	}
	return rep, errs
}
