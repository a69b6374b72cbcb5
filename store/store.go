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
	"io/fs"
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
	// ErrWrite means the database could not be written: a full disk, a
	// file size limit, a file made read-only.
	ErrWrite = errors.New("store: could not write the database")
)

var (
	docsBucket  = []byte("docs")
	orderBucket = []byte("order")
)

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock. Zero means 1 s, so that a
	// second process on the same file gives up within 2 s of starting.
	Timeout time.Duration
	// NoSync skips fsync on commit: for throwaway CI databases only.
	NoSync bool
}

// Store is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	writes *group
}

// Open opens or creates the database file.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s for its lock)", path, ErrLocked, opts.Timeout)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// The path is in the error already.
			return nil, fmt.Errorf("store: %w (the file and its directory must be writable)", err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{db: db, writes: &group{db: db}}, nil
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

// Tx is one transaction over any number of collections, for changes that
// must happen together (an agent's draft and its versions).
type Tx struct {
	tx *bolt.Tx
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Write runs fn in a read-write transaction, committed only if fn returns nil.
// Concurrent writes share transactions and their fsync (see group), so fn
// may run more than once and must only assign to what it captures.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.writes.write(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Create stores a new document. It fails with ErrExists if the id is taken.
func (t *Tx) Create(coll, tenant, id string, doc []byte) (Record, error) {
	b, err := tenantBucket(t.tx, coll, tenant, true)
	if err != nil {
		return Record{}, err
	}
	docs, order := b.Bucket(docsBucket), b.Bucket(orderBucket)
	if docs.Get([]byte(id)) != nil {
		return Record{}, fmt.Errorf("create %s/%s: %w", coll, id, ErrExists)
	}
	seq, err := order.NextSequence()
	if err != nil {
		return Record{}, err
	}
	if err := docs.Put([]byte(id), encodeValue(seq, Meta{}, doc)); err != nil {
		return Record{}, err
	}
	if err := order.Put(seqKey(seq), []byte(id)); err != nil {
		return Record{}, err
	}
	return Record{ID: id, Seq: seq, Doc: doc}, nil
}

// locate finds a stored document: its tenant's bucket and its raw value,
// valid for the transaction. op names the operation in errors.
func (t *Tx) locate(op, coll, tenant, id string) (*bolt.Bucket, []byte, error) {
	b, err := tenantBucket(t.tx, coll, tenant, false)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s/%s: %w", op, coll, id, err)
	}
	v := b.Bucket(docsBucket).Get([]byte(id))
	if v == nil {
		return nil, nil, fmt.Errorf("%s %s/%s: %w", op, coll, id, ErrNotFound)
	}
	return b, v, nil
}

// Get reads one document. The Doc is a copy, valid after the transaction.
func (t *Tx) Get(coll, tenant, id string) (Record, error) {
	_, v, err := t.locate("get", coll, tenant, id)
	if err != nil {
		return Record{}, err
	}
	seq, meta, doc := decodeValue(v)
	return Record{ID: id, Seq: seq, Meta: meta, Doc: bytes.Clone(doc)}, nil
}

// Put replaces an existing document and its Meta, keeping its place in the
// creation order.
func (t *Tx) Put(coll, tenant, id string, meta Meta, doc []byte) error {
	b, v, err := t.locate("put", coll, tenant, id)
	if err != nil {
		return err
	}
	seq, _, _ := decodeValue(v)
	return b.Bucket(docsBucket).Put([]byte(id), encodeValue(seq, meta, doc))
}

// Update replaces a document, and optionally its Meta, with what fn makes of
// them, finding it once. fn gets the stored bytes, valid only during the
// call.
func (t *Tx) Update(coll, tenant, id string, fn func(doc []byte, meta *Meta) ([]byte, error)) (Record, error) {
	b, v, err := t.locate("update", coll, tenant, id)
	if err != nil {
		return Record{}, err
	}
	seq, meta, doc := decodeValue(v)
	next, err := fn(doc, &meta)
	if err != nil {
		return Record{}, err
	}
	value := encodeValue(seq, meta, next)
	if err := b.Bucket(docsBucket).Put([]byte(id), value); err != nil {
		return Record{}, err
	}
	// From the encoded value, which is ours: fn may have handed back the
	// stored bytes themselves, which die with the transaction.
	return Record{ID: id, Seq: seq, Meta: meta, Doc: value[headerLen:]}, nil
}

// Delete removes a document and its index entry.
func (t *Tx) Delete(coll, tenant, id string) error {
	b, v, err := t.locate("delete", coll, tenant, id)
	if err != nil {
		return err
	}
	seq, _, _ := decodeValue(v)
	if err := b.Bucket(orderBucket).Delete(seqKey(seq)); err != nil {
		return err
	}
	return b.Bucket(docsBucket).Delete([]byte(id))
}

// DeleteTenant removes every document a tenant has in a collection.
func (t *Tx) DeleteTenant(coll, tenant string) error {
	b := t.tx.Bucket([]byte(coll))
	if b == nil || b.Bucket([]byte(tenant)) == nil {
		return nil
	}
	return b.DeleteBucket([]byte(tenant))
}

// DeleteCollection removes a collection and everything in it.
func (t *Tx) DeleteCollection(coll string) error {
	if t.tx.Bucket([]byte(coll)) == nil {
		return nil
	}
	return t.tx.DeleteBucket([]byte(coll))
}

// Dump returns every record of a collection, by tenant, in creation order.
func (t *Tx) Dump(coll string) (map[string][]Record, error) {
	out := map[string][]Record{}
	b := t.tx.Bucket([]byte(coll))
	if b == nil {
		return out, nil
	}
	err := b.ForEachBucket(func(tenant []byte) error {
		page, err := list(b.Bucket(tenant), Query{})
		if err != nil {
			return err
		}
		out[string(tenant)] = page.Records
		return nil
	})
	return out, err
}

// Load replaces a collection with the given records, created in the order
// given so that creation order survives a dump and load.
func (t *Tx) Load(coll string, tenants map[string][]Record) error {
	if err := t.DeleteCollection(coll); err != nil {
		return err
	}
	for tenant, recs := range tenants {
		for _, r := range recs {
			if _, err := t.Create(coll, tenant, r.ID, r.Doc); err != nil {
				return err
			}
			if r.Meta != (Meta{}) {
				if err := t.Put(coll, tenant, r.ID, r.Meta, r.Doc); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// List runs a Query.
func (t *Tx) List(coll, tenant string, q Query) (Page, error) {
	b, err := tenantBucket(t.tx, coll, tenant, false)
	if errors.Is(err, ErrNotFound) {
		if q.After != "" || q.Before != "" {
			return Page{}, fmt.Errorf("list %s: %w", coll, ErrCursor)
		}
		return Page{}, nil
	}
	if err != nil {
		return Page{}, err
	}
	page, err := list(b, q)
	if err != nil {
		return Page{}, fmt.Errorf("list %s: %w", coll, err)
	}
	return page, nil
}

// Create stores a new document in its own transaction.
func (s *Store) Create(ctx context.Context, coll, tenant, id string, doc []byte) (rec Record, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		rec, err = tx.Create(coll, tenant, id, doc)
		return err
	})
	return rec, wrap(err)
}

// Get reads one document.
func (s *Store) Get(ctx context.Context, coll, tenant, id string) (rec Record, err error) {
	err = s.View(ctx, func(tx *Tx) error {
		rec, err = tx.Get(coll, tenant, id)
		return err
	})
	return rec, wrap(err)
}

// Update replaces a document, and optionally its Meta, with what fn makes of
// them, in one read-modify-write transaction, so that concurrent updates
// never lose each other's changes. An error from fn aborts the update and is
// returned wrapped.
func (s *Store) Update(ctx context.Context, coll, tenant, id string, fn func(doc []byte, meta *Meta) ([]byte, error)) (rec Record, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		rec, err = tx.Update(coll, tenant, id, fn)
		return err
	})
	return rec, wrap(err)
}

// Delete removes a document.
func (s *Store) Delete(ctx context.Context, coll, tenant, id string) error {
	return wrap(s.Write(ctx, func(tx *Tx) error { return tx.Delete(coll, tenant, id) }))
}

// List runs a Query in its own transaction.
func (s *Store) List(ctx context.Context, coll, tenant string, q Query) (page Page, err error) {
	err = s.View(ctx, func(tx *Tx) error {
		page, err = tx.List(coll, tenant, q)
		return err
	})
	return page, wrap(err)
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %w", err)
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
