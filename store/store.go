// Package store keeps agentmock's resources in one bbolt file.
//
// Each collection ("diga/agents") is a bucket with one sub-bucket per tenant
// (a Diga project, an itellico account). A tenant bucket holds the documents
// by id and an index from creation sequence to id, so that listing walks the
// index in order instead of scanning and sorting every document. The index
// also carries each document's Meta flags, and the tenant bucket counts its
// documents by flags, so that a list filtered by them alone (itellico's
// archived agents) reads only its page and takes its total from the counts.
//
// Documents read lately are kept in memory (cache.go), and a read-only
// transaction's Get answers from there while no write has begun since the
// transaction did.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
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
	// layoutBucket, at the root beside the collections, holds layoutKey: the
	// layout the file is in. Files written before the index carried Meta
	// flags have none, and Open migrates them.
	layoutBucket = []byte("agentmock")
	layoutKey    = []byte("layout")
)

// layoutFlagsInIndex is the current layout: an index value is the Meta flags
// byte, then the id, and each tenant counts its documents by flags. Layout 1
// (no layout bucket) had the bare id and no counts.
const layoutFlagsInIndex = 2

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
	cache  *cache
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
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate %s to the current layout: %w", path, err)
	}
	c := newCache()
	return &Store{db: db, writes: &group{db: db, cache: c}, cache: c}, nil
}

// migrate brings the file to the current layout. A current file costs one
// read of the layout bucket, not a walk: a Diga project with 100,000 agents
// has 100,000 version tenants, and reading each costs a page.
func migrate(db *bolt.DB) error {
	var layout []byte
	err := db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(layoutBucket); b != nil {
			layout = bytes.Clone(b.Get(layoutKey))
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case bytes.Equal(layout, []byte{layoutFlagsInIndex}):
		return nil
	case layout != nil:
		return fmt.Errorf("the file is in layout %v, which this agentmock does not know: it was written by a newer one", layout)
	}
	return db.Update(func(tx *bolt.Tx) error {
		err := forEachTenant(tx, func(name string, t *bolt.Bucket) error {
			docs, order := t.Bucket(docsBucket), t.Bucket(orderBucket)
			if docs == nil || order == nil {
				return fmt.Errorf("%s has no docs or order bucket", name)
			}
			type entry struct{ k, v []byte }
			var rewrite []entry
			counts := map[Meta]int{}
			err := order.ForEach(func(k, id []byte) error {
				_, meta, _ := decodeValue(docs.Get(id))
				rewrite = append(rewrite, entry{bytes.Clone(k), indexValue(meta, id)})
				counts[meta]++
				return nil
			})
			if err != nil {
				return err
			}
			// After the walk: a bucket must not be written while a ForEach
			// walks it.
			for _, e := range rewrite {
				if err := order.Put(e.k, e.v); err != nil {
					return err
				}
			}
			for meta, n := range counts {
				if err := tally(t, meta, n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(layoutBucket)
		if err != nil {
			return err
		}
		return b.Put(layoutKey, []byte{layoutFlagsInIndex})
	})
}

// forEachCollection calls fn with every collection bucket: every root
// bucket but the layout's.
func forEachCollection(tx *bolt.Tx, fn func(name []byte, b *bolt.Bucket) error) error {
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if bytes.Equal(name, layoutBucket) {
			return nil
		}
		return fn(name, b)
	})
}

// forEachTenant calls fn with every tenant bucket and its name,
// "collection tenant".
func forEachTenant(tx *bolt.Tx, fn func(name string, t *bolt.Bucket) error) error {
	return forEachCollection(tx, func(coll []byte, b *bolt.Bucket) error {
		return b.ForEachBucket(func(tenant []byte) error {
			return fn(string(coll)+" "+string(tenant), b.Bucket(tenant))
		})
	})
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
		return forEachCollection(tx, func([]byte, *bolt.Bucket) error {
			empty = false
			return nil
		})
	})
	return empty, err
}

// Tx is one transaction over any number of collections, for changes that
// must happen together (an agent's draft and its versions).
type Tx struct {
	tx    *bolt.Tx
	cache *cache
	// gen is the cache's generation when a read-only transaction began;
	// cached says it may read the cache at all (cache.go).
	gen    uint64
	cached bool
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	gen, ok := s.cache.reading() // before bbolt begins the transaction
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, cache: s.cache, gen: gen, cached: ok}) })
}

// Write runs fn in a read-write transaction, committed only if fn returns nil.
// Concurrent writes share transactions and their fsync (see group), so fn
// may run more than once and must only assign to what it captures.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.writes.write(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, cache: s.cache}) })
}

// Create stores a new document. It fails with ErrExists if the id is taken.
func (t *Tx) Create(coll, tenant, id string, doc []byte) (Record, error) {
	b, err := tenantBucket(t.tx, coll, tenant, true)
	if err != nil {
		return Record{}, err
	}
	docs, order := b.Bucket(docsBucket), b.Bucket(orderBucket)
	t.cache.touch(coll, tenant, id)
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
	if err := order.Put(seqKey(seq), indexValue(Meta{}, []byte(id))); err != nil {
		return Record{}, err
	}
	if err := tally(b, Meta{}, +1); err != nil {
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
	if t.cached {
		if v, ok := lookup(t.cache, t.gen, coll, tenant, id); ok {
			return recordOf(id, v), nil
		}
	}
	_, v, err := t.locate("get", coll, tenant, id)
	if err != nil {
		return Record{}, err
	}
	if t.cached {
		v = bytes.Clone(v)
		remember(t.cache, t.gen, coll, tenant, id, v)
	}
	return recordOf(id, v), nil
}

// recordOf is the record a stored value holds, its document a copy.
func recordOf(id string, v []byte) Record {
	seq, meta, doc := decodeValue(v)
	return Record{ID: id, Seq: seq, Meta: meta, Doc: bytes.Clone(doc)}
}

// Put replaces an existing document and its Meta, keeping its place in the
// creation order.
func (t *Tx) Put(coll, tenant, id string, meta Meta, doc []byte) error {
	b, v, err := t.locate("put", coll, tenant, id)
	if err != nil {
		return err
	}
	t.cache.touch(coll, tenant, id)
	seq, was, _ := decodeValue(v)
	if err := reindex(b, id, seq, was, meta); err != nil {
		return err
	}
	return b.Bucket(docsBucket).Put([]byte(id), encodeValue(seq, meta, doc))
}

// Replace stores doc in place of a document, keeping its Meta and its place
// in the creation order.
func (t *Tx) Replace(coll, tenant, id string, doc []byte) error {
	_, err := t.Update(coll, tenant, id, func([]byte, *Meta) ([]byte, error) { return doc, nil })
	return err
}

// reindex keeps the index's copy of a document's flags true to its Meta. It
// writes only when they change, so that a PATCH touches one bucket.
func reindex(b *bolt.Bucket, id string, seq uint64, was, meta Meta) error {
	if was == meta {
		return nil
	}
	if err := tally(b, was, -1); err != nil {
		return err
	}
	if err := tally(b, meta, +1); err != nil {
		return err
	}
	return b.Bucket(orderBucket).Put(seqKey(seq), indexValue(meta, []byte(id)))
}

// A tenant bucket counts its documents by Meta flags, under countKey(flags),
// so that a list filtered by Meta alone knows its total without a walk. A
// walk of the index is cheap in pages read but not in pages mapped: on a
// file grown by many small commits the index's pages lie among the
// documents', and the kernel maps the neighbours of every page faulted in,
// so counting 100,000 agents that way added ~150 MB to the RSS.
func countKey(flags byte) []byte { return []byte{'n', flags} }

func tally(b *bolt.Bucket, meta Meta, delta int) error {
	k := countKey(meta.flags())
	var n uint64
	if v := b.Get(k); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(int64(n)+int64(delta))))
}

// counted is how many documents of a tenant bucket where accepts.
func counted(b *bolt.Bucket, where func(Meta) bool) int {
	total := 0
	forEachCount(b, func(meta Meta, n int) {
		if where == nil || where(meta) {
			total += n
		}
	})
	return total
}

// forEachCount calls fn with each count a tenant bucket keeps.
func forEachCount(b *bolt.Bucket, fn func(meta Meta, n int)) {
	c := b.Cursor()
	for k, v := c.Seek(countKey(0)); len(k) == 2 && k[0] == 'n'; k, v = c.Next() {
		if len(v) == 8 {
			fn(metaOf(k[1]), int(binary.BigEndian.Uint64(v)))
		}
	}
}

// Update replaces a document, and optionally its Meta, with what fn makes of
// them, finding it once. fn gets the stored bytes, valid only during the
// call.
func (t *Tx) Update(coll, tenant, id string, fn func(doc []byte, meta *Meta) ([]byte, error)) (Record, error) {
	b, v, err := t.locate("update", coll, tenant, id)
	if err != nil {
		return Record{}, err
	}
	t.cache.touch(coll, tenant, id)
	seq, meta, doc := decodeValue(v)
	was := meta
	next, err := fn(doc, &meta)
	if err != nil {
		return Record{}, err
	}
	if err := reindex(b, id, seq, was, meta); err != nil {
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
	t.cache.touch(coll, tenant, id)
	seq, meta, _ := decodeValue(v)
	if err := b.Bucket(orderBucket).Delete(seqKey(seq)); err != nil {
		return err
	}
	if err := tally(b, meta, -1); err != nil {
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
	t.cache.touchAll()
	return b.DeleteBucket([]byte(tenant))
}

// DeleteCollection removes a collection and everything in it.
func (t *Tx) DeleteCollection(coll string) error {
	if t.tx.Bucket([]byte(coll)) == nil {
		return nil
	}
	t.cache.touchAll()
	return t.tx.DeleteBucket([]byte(coll))
}

// Find returns the first record, of any tenant of a collection, that match
// accepts, and its tenant: for what is addressed across tenants, a call by
// its id, a number by its digits. match gets the record's id and stored
// bytes, valid only during the call. Tenants are tried in key order and
// records in id order; ok is false when none matches.
func (t *Tx) Find(coll string, match func(id string, doc []byte) bool) (tenant string, rec Record, ok bool) {
	b := t.tx.Bucket([]byte(coll))
	if b == nil {
		return "", Record{}, false
	}
	c := b.Cursor()
	for name, v := c.First(); name != nil; name, v = c.Next() {
		tb := b.Bucket(name)
		if v != nil || tb == nil || tb.Bucket(docsBucket) == nil {
			continue // not a tenant's bucket
		}
		dc := tb.Bucket(docsBucket).Cursor()
		for id, value := dc.First(); id != nil; id, value = dc.Next() {
			if _, _, doc := decodeValue(value); match(string(id), doc) {
				return string(name), recordOf(string(id), value), true
			}
		}
	}
	return "", Record{}, false
}

// FindID finds a record by its id in any tenant of a collection: one lookup
// per tenant, where Find reads every record.
func (t *Tx) FindID(coll, id string) (tenant string, rec Record, ok bool) {
	b := t.tx.Bucket([]byte(coll))
	if b == nil {
		return "", Record{}, false
	}
	c := b.Cursor()
	for name, v := c.First(); name != nil; name, v = c.Next() {
		if v != nil {
			continue // not a tenant's bucket
		}
		if r, err := t.Get(coll, string(name), id); err == nil {
			return string(name), r, true
		}
	}
	return "", Record{}, false
}

// Dump returns every record of a collection, by tenant, in creation order.
func (t *Tx) Dump(coll string) (map[string][]Record, error) {
	out := map[string][]Record{}
	b := t.tx.Bucket([]byte(coll))
	if b == nil {
		return out, nil
	}
	err := b.ForEachBucket(func(tenant []byte) error {
		page, err := list(b.Bucket(tenant), Query{}, nil)
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
	var via *cachedDocs
	if t.cached {
		via = &cachedDocs{cache: t.cache, gen: t.gen, coll: coll, tenant: tenant}
	}
	page, err := list(b, q, via)
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

// Generation is the store's state as a number that every write transaction
// moves when it begins and again when it ends, and quiet is false while one
// is in flight. Two reads that find the same generation, quiet, saw the
// same documents, and so did every read between them: what a read
// transaction begun between two such readings read is the file as it was
// at both. A write's caller learns of its end after the generation moved.
func (s *Store) Generation() (gen uint64, quiet bool) { return s.cache.reading() }

// Get reads one document. One that the cache holds is read without a
// transaction at all: a read of one value is a snapshot of its own.
func (s *Store) Get(ctx context.Context, coll, tenant, id string) (rec Record, err error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if gen, ok := s.cache.reading(); ok {
		if v, ok := lookup(s.cache, gen, coll, tenant, id); ok {
			return recordOf(id, v), nil
		}
	}
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
	// Where keeps only the records whose Meta it accepts; nil keeps all. It
	// is read from the index, so it costs no document read.
	Where func(Meta) bool
	// Match keeps only the records whose documents it accepts; nil keeps
	// all.
	Match func(doc []byte) bool
	// Count asks for Total. Without Match it comes from the tenant's counts
	// by flags; with Match it costs a walk over every document.
	Count bool
	// Arena, if not nil, holds the page's documents, in memory the caller
	// may Reset and use again once it is done with the page; nil gives the
	// page memory of its own.
	Arena *Arena
}

// Page is a Query's result.
type Page struct {
	Records []Record
	// HasMore reports matches beyond the page in the direction of travel.
	HasMore bool
	// Total is the number of matches in the whole collection, with Count.
	Total int
}

// source is what a list walks: a tenant's records in creation order, read
// from the index (bucketSource) or from memory (sliceSource). Both go
// through walk, so that pagination has one set of semantics.
type source interface {
	// seek positions on the record after id in the direction of travel;
	// false when id names no record.
	seek(id string, forward bool) bool
	// end positions on the first record (forward) or the last.
	end(forward bool)
	// next returns the record at the position and moves on: its id and
	// Meta.
	next(forward bool) (id []byte, meta Meta, ok bool)
	// read returns the sequence and document of the record next returned
	// last; found is false when the index names a record no longer there.
	// It is a method, not a closure next returns, which cost a page an
	// allocation per record.
	read() (seq uint64, doc []byte, found bool)
	// keep is told the id of a record read last that is on the page.
	keep(id string)
}

// list runs q over a tenant bucket, reading its documents through via when
// it is not nil.
func list(t *bolt.Bucket, q Query, via *cachedDocs) (Page, error) {
	src := &bucketSource{docs: t.Bucket(docsBucket), c: t.Bucket(orderBucket).Cursor(), via: via}
	return walk(src, q, func(where func(Meta) bool) int { return counted(t, where) })
}

// Paginate applies a Query to records held in memory, in creation order,
// with the semantics of a stored list: for lists too small to index, or
// made of more than one collection (an agent's versions and its draft).
// Without Match, the total is the number of records Where keeps.
func Paginate(records []Record, q Query) (Page, error) {
	src := &sliceSource{records: records}
	return walk(src, q, func(where func(Meta) bool) int {
		n := 0
		for _, r := range records {
			if where == nil || where(r.Meta) {
				n++
			}
		}
		return n
	})
}

// walk reads a page from src. tally counts the records Where keeps, for a
// total that needs no Match.
func walk(src source, q Query, tally func(func(Meta) bool) int) (Page, error) {
	forward := !q.Desc
	switch {
	case q.After != "" || q.Before != "":
		cursor := q.After
		if cursor == "" {
			// Before walks back toward the start, against the list's order,
			// and the page is reversed at the end.
			cursor, forward = q.Before, !forward
		}
		if !src.seek(cursor, forward) {
			return Page{}, ErrCursor
		}
	default:
		src.end(forward)
	}

	var page Page
	if q.Limit > 0 {
		// A page of 100 grew its slice eight times.
		page.Records = make([]Record, 0, min(q.Limit, maxPresized))
	}
	docs := q.Arena
	if docs == nil {
		docs = &Arena{limit: q.Limit}
	}
	skipped := 0
	// Without Match, the total is in the counts: the walk ends with the page.
	tallied := q.Count && q.Match == nil
walk:
	for {
		id, meta, ok := src.next(forward)
		if !ok {
			break
		}
		if q.Where != nil && !q.Where(meta) {
			continue
		}
		full := q.Limit > 0 && len(page.Records) >= q.Limit
		onPage := skipped >= q.Offset && !full
		var seq uint64
		var doc []byte
		// A record that is only skipped or counted is read only when Match
		// must judge it.
		if onPage || q.Match != nil {
			var found bool
			if seq, doc, found = src.read(); !found {
				continue
			}
			if q.Match != nil && !q.Match(doc) {
				continue
			}
		}
		page.Total++
		switch {
		case skipped < q.Offset:
			skipped++
		case full:
			page.HasMore = true
			if !q.Count || tallied {
				break walk
			}
		default:
			r := Record{ID: string(id), Seq: seq, Meta: meta, Doc: docs.copy(doc)}
			src.keep(r.ID)
			page.Records = append(page.Records, r)
		}
	}
	if tallied {
		page.Total = tally(q.Where)
	}
	if q.Before != "" && q.After == "" {
		slices.Reverse(page.Records)
	}
	return page, nil
}

// maxPresized bounds the room a page makes for its records before it
// knows how many it finds.
const maxPresized = 256

// An Arena holds the documents a page copies out of its transaction, in a
// few blocks instead of one allocation each: a hundred-agent page was a
// hundred allocations, and a tenth of the page's cost. A copy is never
// appended to.
//
// A page's own arena sizes its first block from the first document and the
// page's limit, as a GET's list of an agent's few versions paid for a whole
// 64 KB block (a sixth of the GET). An Arena a caller keeps (Query.Arena)
// has blocks of arenaBlock, and Reset makes them free for the next pages:
// a server that lends one per list request allocates no page memory once
// warm.
//
// Invariant: after Reset, nothing may still hold a document copied before.
type Arena struct {
	blocks [][]byte // blocks[at] is being filled; those after it are free
	at     int
	limit  int  // a page's own arena: the page's limit, 0 for none
	kept   bool // made by NewArena, for many pages
}

const arenaBlock = 64 << 10

// NewArena returns an arena for a caller to keep and Reset between pages.
func NewArena() *Arena { return &Arena{kept: true} }

// Reset makes every block free again.
func (a *Arena) Reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.at = 0
}

// Size is the memory the arena holds.
func (a *Arena) Size() int {
	n := 0
	for _, b := range a.blocks {
		n += cap(b)
	}
	return n
}

func (a *Arena) copy(doc []byte) []byte {
	for a.at < len(a.blocks) && cap(a.blocks[a.at])-len(a.blocks[a.at]) < len(doc) {
		a.at++
	}
	if a.at == len(a.blocks) {
		a.blocks = append(a.blocks, make([]byte, 0, a.blockSize(len(doc))))
	}
	b := append(a.blocks[a.at], doc...)
	a.blocks[a.at] = b
	return b[len(b)-len(doc) : len(b) : len(b)]
}

// blockSize is the capacity of a new block that must hold n bytes.
func (a *Arena) blockSize(n int) int {
	if a.kept {
		return max(n, arenaBlock)
	}
	size := 2 * n
	switch {
	case len(a.blocks) > 0:
		size = 2 * cap(a.blocks[len(a.blocks)-1]) // later blocks double
	case a.limit > 0:
		size = a.limit * n * 5 / 4
	}
	return max(n, min(size, arenaBlock))
}

// bucketSource walks a tenant bucket's creation-order index.
type bucketSource struct {
	docs *bolt.Bucket
	c    *bolt.Cursor
	k, v []byte
	cur  []byte // the id next returned last
	// via, when set, is read before the documents and keeps what a page
	// shows: a list's documents are a B-tree search each, a quarter of a
	// page of 100.
	via    *cachedDocs
	stored []byte // the value read last, when read from bbolt
	// dc reads the documents the index names. One cursor serves a whole
	// page: bbolt's Get makes a cursor per call, whose stack grows anew
	// each time (a tenth of a page of 100).
	dc *bolt.Cursor
}

// doc returns the stored value under id, as docs.Get does.
func (b *bucketSource) doc(id []byte) []byte {
	if b.dc == nil {
		b.dc = b.docs.Cursor()
	}
	k, v := b.dc.Seek(id)
	if !bytes.Equal(k, id) {
		return nil // v is nil too for a nested bucket, which Get also hides
	}
	return v
}

func (b *bucketSource) seek(id string, forward bool) bool {
	at := b.doc([]byte(id))
	if at == nil {
		return false
	}
	seq, _, _ := decodeValue(at)
	b.c.Seek(seqKey(seq))
	b.k, b.v = step(b.c, forward)
	return true
}

func (b *bucketSource) end(forward bool) {
	if forward {
		b.k, b.v = b.c.First()
	} else {
		b.k, b.v = b.c.Last()
	}
}

func (b *bucketSource) next(forward bool) ([]byte, Meta, bool) {
	if b.k == nil {
		return nil, Meta{}, false
	}
	meta, id := decodeIndex(b.v)
	b.cur = id
	b.k, b.v = step(b.c, forward)
	return id, meta, true
}

func (b *bucketSource) read() (uint64, []byte, bool) {
	b.stored = nil
	if b.via != nil {
		if v, ok := lookup(b.via.cache, b.via.gen, b.via.coll, b.via.tenant, b.cur); ok {
			seq, _, doc := decodeValue(v)
			return seq, doc, true
		}
	}
	stored := b.doc(b.cur)
	if stored == nil {
		return 0, nil, false
	}
	b.stored = stored
	seq, _, doc := decodeValue(stored)
	return seq, doc, true
}

// keep puts the record read last in the cache, if it came from bbolt:
// only what a page shows is kept, not what a filter read and passed over.
func (b *bucketSource) keep(id string) {
	if b.via != nil && b.stored != nil {
		remember(b.via.cache, b.via.gen, b.via.coll, b.via.tenant, id, bytes.Clone(b.stored))
	}
}

// sliceSource walks records held in memory, in creation order.
type sliceSource struct {
	records []Record
	at      int
	cur     Record // the record next returned last
}

func (s *sliceSource) seek(id string, forward bool) bool {
	i := slices.IndexFunc(s.records, func(r Record) bool { return r.ID == id })
	if i < 0 {
		return false
	}
	s.at = i + 1
	if !forward {
		s.at = i - 1
	}
	return true
}

func (s *sliceSource) end(forward bool) {
	s.at = 0
	if !forward {
		s.at = len(s.records) - 1
	}
}

func (s *sliceSource) next(forward bool) ([]byte, Meta, bool) {
	if s.at < 0 || s.at >= len(s.records) {
		return nil, Meta{}, false
	}
	s.cur = s.records[s.at]
	if forward {
		s.at++
	} else {
		s.at--
	}
	return []byte(s.cur.ID), s.cur.Meta, true
}

func (s *sliceSource) read() (uint64, []byte, bool) { return s.cur.Seq, s.cur.Doc, true }

func (s *sliceSource) keep(string) {}

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

func (m Meta) flags() byte {
	var flags byte
	if m.Archived {
		flags |= flagArchived
	}
	return flags
}

func metaOf(flags byte) Meta { return Meta{Archived: flags&flagArchived != 0} }

func encodeValue(seq uint64, meta Meta, doc []byte) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, headerLen+len(doc)), seq)
	return append(append(v, meta.flags()), doc...)
}

func decodeValue(v []byte) (uint64, Meta, []byte) {
	if len(v) < headerLen {
		return 0, Meta{}, nil
	}
	return binary.BigEndian.Uint64(v[:8]), metaOf(v[8]), v[headerLen:]
}

// An index value is the document's Meta flags, then its id.
func indexValue(meta Meta, id []byte) []byte {
	return append([]byte{meta.flags()}, id...)
}

func decodeIndex(v []byte) (Meta, []byte) {
	if len(v) == 0 {
		return Meta{}, nil
	}
	return metaOf(v[0]), v[1:]
}
