// Package store keeps agentmock's resources in one bbolt file.
//
// Each collection ("diga/agents") is a bucket with one sub-bucket per tenant
// (a Diga project, an itellico account). A tenant bucket holds the documents
// by id and an index from creation sequence to id, so that listing walks the
// index in order instead of scanning and sorting every document.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("store: the database file is in use by another process")
	// ErrCursor means a pagination cursor names no record of the tenant.
	ErrCursor = errors.New("store: cursor names no record")
)

var (
	docsBucket  = []byte("docs")
	orderBucket = []byte("order")
)

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock. Zero means 2 s.
	Timeout time.Duration
	// NoSync skips fsync on commit: for throwaway CI databases only.
	NoSync bool
}

// Store is safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the database file.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s for its lock)", path, ErrLocked, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// Record is one stored document.
type Record struct {
	ID  string
	Seq uint64
	Meta
	Doc []byte
}

// Meta is what the store keeps beside a document: state that belongs to the
// mock, not to the resource's published shape.
type Meta struct {
	// Archived marks a soft-deleted resource.
	Archived bool
}

// Empty reports whether the database holds no collection at all, which is
// when fixtures are loaded.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	empty := true
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func([]byte, *bolt.Bucket) error {
			empty = false
			return nil
		})
	})
	return empty, err
}

// Create stores a new document. It fails with ErrExists if the id is taken.
func (s *Store) Create(ctx context.Context, coll, tenant, id string, doc []byte) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	var rec Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		t, err := tenantBucket(tx, coll, tenant, true)
		if err != nil {
			return err
		}
		docs, order := t.Bucket(docsBucket), t.Bucket(orderBucket)
		if docs.Get([]byte(id)) != nil {
			return ErrExists
		}
		seq, err := order.NextSequence()
		if err != nil {
			return err
		}
		if err := docs.Put([]byte(id), encodeValue(seq, Meta{}, doc)); err != nil {
			return err
		}
		if err := order.Put(seqKey(seq), []byte(id)); err != nil {
			return err
		}
		rec = Record{ID: id, Seq: seq, Doc: doc}
		return nil
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: create %s/%s: %w", coll, id, err)
	}
	return rec, nil
}

// Get reads one document.
func (s *Store) Get(ctx context.Context, coll, tenant, id string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	var rec Record
	err := s.db.View(func(tx *bolt.Tx) error {
		t, err := tenantBucket(tx, coll, tenant, false)
		if err != nil {
			return err
		}
		v := t.Bucket(docsBucket).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		seq, meta, doc := decodeValue(v)
		rec = Record{ID: id, Seq: seq, Meta: meta, Doc: bytes.Clone(doc)}
		return nil
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: get %s/%s: %w", coll, id, err)
	}
	return rec, nil
}

// Update replaces a document, and optionally its Meta, with what fn makes of
// them, in one read-modify-write transaction, so that concurrent updates
// never lose each other's changes. An error from fn aborts the update and is
// returned wrapped.
func (s *Store) Update(ctx context.Context, coll, tenant, id string, fn func(doc []byte, meta *Meta) ([]byte, error)) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	var rec Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		t, err := tenantBucket(tx, coll, tenant, false)
		if err != nil {
			return err
		}
		docs := t.Bucket(docsBucket)
		v := docs.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		seq, meta, doc := decodeValue(v)
		next, err := fn(bytes.Clone(doc), &meta)
		if err != nil {
			return err
		}
		rec = Record{ID: id, Seq: seq, Meta: meta, Doc: next}
		return docs.Put([]byte(id), encodeValue(seq, meta, next))
	})
	if err != nil {
		return Record{}, fmt.Errorf("store: update %s/%s: %w", coll, id, err)
	}
	return rec, nil
}

// Delete removes a document and its index entry.
func (s *Store) Delete(ctx context.Context, coll, tenant, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		t, err := tenantBucket(tx, coll, tenant, false)
		if err != nil {
			return err
		}
		docs := t.Bucket(docsBucket)
		v := docs.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		seq, _, _ := decodeValue(v)
		if err := t.Bucket(orderBucket).Delete(seqKey(seq)); err != nil {
			return err
		}
		return docs.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", coll, id, err)
	}
	return nil
}

// Query selects a page of a tenant's documents in creation order.
type Query struct {
	// Desc lists newest first.
	Desc bool
	// After and Before are ids: the page starts just past After, or ends just
	// before Before, in the direction of Desc.
	After, Before string
	Offset, Limit int
	// Match keeps only the records it accepts; nil keeps all.
	Match func(meta Meta, doc []byte) bool
	// Count asks for Total, which costs a walk over every match.
	Count bool
}

// Page is a Query's result.
type Page struct {
	Records []Record
	// HasMore reports matches beyond the page in the direction of travel.
	HasMore bool
	// Total is the number of matches in the whole collection, with Count.
	Total int
}

// List runs a Query.
func (s *Store) List(ctx context.Context, coll, tenant string, q Query) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	var page Page
	err := s.db.View(func(tx *bolt.Tx) error {
		t, err := tenantBucket(tx, coll, tenant, false)
		if errors.Is(err, ErrNotFound) {
			if q.After != "" || q.Before != "" {
				return ErrCursor
			}
			return nil
		}
		if err != nil {
			return err
		}
		page, err = list(t, q)
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("store: list %s: %w", coll, err)
	}
	return page, nil
}

func list(t *bolt.Bucket, q Query) (Page, error) {
	docs, c := t.Bucket(docsBucket), t.Bucket(orderBucket).Cursor()
	forward := !q.Desc
	var k, id []byte
	switch {
	case q.After != "" || q.Before != "":
		cursor := q.After
		if cursor == "" {
			// Before walks back toward the start, against the list's order,
			// and the page is reversed at the end.
			cursor, forward = q.Before, !forward
		}
		v := docs.Get([]byte(cursor))
		if v == nil {
			return Page{}, ErrCursor
		}
		seq, _, _ := decodeValue(v)
		c.Seek(seqKey(seq))
		k, id = step(c, forward)
	case forward:
		k, id = c.First()
	default:
		k, id = c.Last()
	}

	var page Page
	skipped := 0
	for ; k != nil; k, id = step(c, forward) {
		v := docs.Get(id)
		if v == nil {
			continue
		}
		seq, meta, doc := decodeValue(v)
		if q.Match != nil && !q.Match(meta, doc) {
			continue
		}
		if skipped < q.Offset {
			skipped++
			page.Total++
			continue
		}
		if q.Limit > 0 && len(page.Records) >= q.Limit {
			page.HasMore = true
			if !q.Count {
				break
			}
			page.Total++
			continue
		}
		page.Total++
		page.Records = append(page.Records, Record{ID: string(id), Seq: seq, Meta: meta, Doc: bytes.Clone(doc)})
	}
	if q.Before != "" && q.After == "" {
		for i, j := 0, len(page.Records)-1; i < j; i, j = i+1, j-1 {
			page.Records[i], page.Records[j] = page.Records[j], page.Records[i]
		}
	}
	return page, nil
}

func step(c *bolt.Cursor, forward bool) ([]byte, []byte) {
	if forward {
		return c.Next()
	}
	return c.Prev()
}

func tenantBucket(tx *bolt.Tx, coll, tenant string, create bool) (*bolt.Bucket, error) {
	if !create {
		b := tx.Bucket([]byte(coll))
		if b == nil {
			return nil, ErrNotFound
		}
		t := b.Bucket([]byte(tenant))
		if t == nil {
			return nil, ErrNotFound
		}
		return t, nil
	}
	b, err := tx.CreateBucketIfNotExists([]byte(coll))
	if err != nil {
		return nil, err
	}
	t, err := b.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	if _, err := t.CreateBucketIfNotExists(docsBucket); err != nil {
		return nil, err
	}
	if _, err := t.CreateBucketIfNotExists(orderBucket); err != nil {
		return nil, err
	}
	return t, nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// A stored value is the creation sequence (so that Delete finds the index
// entry without a scan), one byte of Meta flags, then the document.
const headerLen = 9

const flagArchived = 1 << 0

func encodeValue(seq uint64, meta Meta, doc []byte) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, headerLen+len(doc)), seq)
	var flags byte
	if meta.Archived {
		flags |= flagArchived
	}
	return append(append(v, flags), doc...)
}

func decodeValue(v []byte) (uint64, Meta, []byte) {
	if len(v) < headerLen {
		return 0, Meta{}, nil
	}
	return binary.BigEndian.Uint64(v[:8]), Meta{Archived: v[8]&flagArchived != 0}, v[headerLen:]
}
