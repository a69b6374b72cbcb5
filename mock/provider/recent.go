package provider

import "sync"

// recent keeps the documents a Resource stored last, decoded, keyed by the
// Fingerprint of the bytes it stored. A merge whose stored bytes it knows
// starts from a copy instead of decoding them, and knows they conformed to
// the response schema: they are what finish checked and encoded.
//
// Its documents are private copies, never changed once kept: merges work
// on copies of them. It holds at most recentMax and forgets all of them
// when full, which bounds its memory (a few KB a document).
type recent struct {
	fp   Fingerprinter
	mu   sync.Mutex
	docs map[Fingerprint]map[string]any
}

const recentMax = 256

func newRecent() *recent {
	return &recent{fp: NewFingerprinter(), docs: map[Fingerprint]map[string]any{}}
}

// get returns the document stored as data, if kept: the caller must not
// change it.
func (r *recent) get(data []byte) map[string]any {
	sum := r.fp.Of(data)
	r.mu.Lock()
	doc := r.docs[sum]
	r.mu.Unlock()
	return doc
}

// put keeps doc, stored as data; doc must not be changed after.
func (r *recent) put(data []byte, doc map[string]any) {
	sum := r.fp.Of(data)
	r.mu.Lock()
	if len(r.docs) >= recentMax {
		clear(r.docs)
	}
	r.docs[sum] = doc
	r.mu.Unlock()
}
