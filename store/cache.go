package store

import (
	"encoding/binary"
	"sync"
)

// cache keeps the stored values of documents read lately, so that a
// read-only transaction's Get of one of them skips bbolt's three nested
// bucket lookups and B-tree search: a quarter of what agentmock itself
// spends on a GET, and a client that polls a call's status GETs the same
// document again and again.
//
// Invariants:
//   - an entry holds a document's value as the file holds it now, for the
//     state after commit number gen;
//   - gen counts write transactions begun and ended: it moves when a write
//     transaction begins and again when it ends, committed or not, and busy
//     counts those in flight (the group commits one at a time; a count
//     keeps the cache right should two ever overlap);
//   - a read-only transaction may use the cache only while gen is what it
//     was when the transaction began, which was read before bbolt began it,
//     and busy is zero. No write can then have begun since, so bbolt's
//     snapshot is the file as it is now, and the entries agree with every
//     other read of the transaction;
//   - a write transaction records the documents it touches, and its end
//     drops their entries (all entries, for what removes a tenant or a
//     collection) before moving gen, so that no entry outlives the value
//     it holds;
//   - a read that is a transaction of its own (Store.Get) reads the
//     cache at the generation it finds, with no bbolt transaction at all;
//   - entries are filled only by a read-only transaction that may use the
//     cache, from what it read of bbolt, and never written to after;
//   - the entries' values total at most cacheBytes.
type cache struct {
	mu   sync.RWMutex
	gen  uint64
	busy int
	// entries are keyed by cacheKey, a string of collection, tenant and id,
	// so that a lookup with a key made in a stack buffer allocates nothing.
	entries map[string][]byte
	bytes   int
	// touched are the keys of the documents the write in flight changed;
	// all is set when it removed more than documents.
	touched []string
	all     bool
}

// cacheKey appends a document's key to buf: the collection's and the
// tenant's names, each after its length, then the id. The lengths make it
// unambiguous whatever bytes the names hold.
func cacheKey[ID string | []byte](buf []byte, coll, tenant string, id ID) []byte {
	buf = append(binary.AppendUvarint(buf, uint64(len(coll))), coll...)
	buf = append(binary.AppendUvarint(buf, uint64(len(tenant))), tenant...)
	return append(buf, id...)
}

// keyBuf is room for a key on the stack: an itellico agent's is 60 bytes.
type keyBuf [128]byte

// lookup is c.get of a document named by its parts, its key made on the
// stack.
func lookup[ID string | []byte](c *cache, gen uint64, coll, tenant string, id ID) ([]byte, bool) {
	var buf keyBuf
	return c.get(gen, cacheKey(buf[:0], coll, tenant, id))
}

// remember is c.put of a document named by its parts.
func remember(c *cache, gen uint64, coll, tenant, id string, v []byte) {
	var buf keyBuf
	c.put(gen, cacheKey(buf[:0], coll, tenant, id), v)
}

// cachedDocs is the cache as a read-only transaction sees it, for one
// tenant's documents of a collection (a list's).
type cachedDocs struct {
	cache        *cache
	gen          uint64
	coll, tenant string
}

const (
	// cacheBytes bounds the values kept: a few thousand agents.
	cacheBytes = 8 << 20
	// cacheValueBytes is the largest value kept, so that a few big
	// documents do not push out every other.
	cacheValueBytes = 64 << 10
)

func newCache() *cache { return &cache{entries: map[string][]byte{}} }

// reading is the generation a read-only transaction about to begin may use
// the cache at; ok is false while a write is in flight.
func (c *cache) reading() (gen uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen, c.busy == 0
}

// get returns the stored value under a cacheKey, valid for a transaction
// that began at gen.
func (c *cache) get(gen uint64, k []byte) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen || c.busy > 0 {
		return nil, false
	}
	v, ok := c.entries[string(k)]
	return v, ok
}

// put keeps a value a transaction that began at gen read from bbolt; v
// must be the cache's own copy.
func (c *cache) put(gen uint64, k []byte, v []byte) {
	if len(v) > cacheValueBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.busy > 0 {
		return
	}
	c.drop(string(k))
	for key := range c.entries {
		if c.bytes+len(v) <= cacheBytes {
			break
		}
		c.drop(key) // map order is as good as any: what is read often comes back
	}
	c.entries[string(k)] = v
	c.bytes += len(v)
}

// drop forgets an entry; c.mu must be held.
func (c *cache) drop(k string) {
	if old, ok := c.entries[k]; ok {
		delete(c.entries, k)
		c.bytes -= len(old)
	}
}

// begin marks a write transaction in flight.
func (c *cache) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy++
	c.gen++
}

// touch records a document the write in flight changes.
func (c *cache) touch(coll, tenant, id string) {
	k := string(cacheKey(nil, coll, tenant, id))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.touched = append(c.touched, k)
}

// touchAll records that the write in flight removes more than documents.
func (c *cache) touchAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = true
}

// end drops what the write touched, whether or not it was committed: a
// batch that failed is run again without the write that failed it.
func (c *cache) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.all {
		clear(c.entries)
		c.bytes = 0
	}
	for _, k := range c.touched {
		c.drop(k)
	}
	c.gen++
	if c.busy--; c.busy == 0 {
		c.touched, c.all = c.touched[:0], false
	}
}
