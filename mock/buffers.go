package mock

import (
	"bytes"
	"sync"

	"github.com/agentmock/agentmock/store"
)

// buffers lends the buffers answers are encoded into, and the arenas list
// pages read their documents into (store.Arena). An answer's bytes
// are garbage once written: net/http copies or sends them before Write
// returns, the journal keeps its own copy and the conformed cache a hash.
// Encoding a page of 100 agents into a fresh buffer allocated and zeroed
// about 100 KB a request, a third of a page's allocation and with it of
// the collector's work (BenchmarkListPage).
//
// A page's arena held another 128 KB of its 271; it is garbage at the same
// point, once the answer is encoded and written.
//
// Invariant: a buffer or arena is put back only by the function that got
// it, after the answer is written, and nothing holds its bytes past that.
type buffers struct{ pool, arenas sync.Pool }

// maxPooled bounds the buffers kept: one rare huge answer must not stay
// allocated for good.
const maxPooled = 1 << 20

func (b *buffers) get() *bytes.Buffer {
	if buf, ok := b.pool.Get().(*bytes.Buffer); ok {
		return buf
	}
	return new(bytes.Buffer)
}

func (b *buffers) put(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooled {
		b.pool.Put(buf)
	}
}

func (b *buffers) arena() *store.Arena {
	if a, ok := b.arenas.Get().(*store.Arena); ok {
		return a
	}
	return store.NewArena()
}

func (b *buffers) putArena(a *store.Arena) {
	if a.Size() <= maxPooled {
		a.Reset()
		b.arenas.Put(a)
	}
}
