package mock

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentmock/agentmock/mock/provider"
)

// answers keeps the answers of reads by the store's generation, so that a
// GET of what nobody changed since (a page a client polls, an agent a
// suite reads again) is answered as it was, without reading and encoding
// it again.
//
// A GET's answer is a function of the store's documents, the request's
// operation, tenant, credential, path and query (no handler reads another
// header), and the server's options, fixed at start; unless its handler
// reads the clock or draws an id, which it does through Server.Now and
// Server.NewID, and those count their calls (Server.draws). So an answer
// is kept only when, from before its handler ran until it was made and
// found to conform, the store stayed at one generation, quiet, and nothing
// on the server read the clock or drew an id: no write overlapped it, and
// it read the documents as they were at that generation. It is given to a
// request that finds the store at that generation, quiet: no write has
// begun since, so the handler would read what it read.
//
// Invariants:
//   - every entry is a 200's bytes, as sent and found to conform, for the
//     generation gen;
//   - a put for a later generation forgets every entry first; one for an
//     earlier one is dropped;
//   - the entries total at most answersBytes, none over answersLongest.
type answers struct {
	fp    provider.Fingerprinter
	mu    sync.RWMutex
	gen   uint64
	m     map[opSum][]byte
	bytes int
}

const (
	answersBytes   = 8 << 20
	answersLongest = 512 << 10
)

// pendingRead is a read whose answer may be kept: its key, and the
// generation and draws it began at.
type pendingRead struct {
	key   opSum
	gen   uint64
	draws uint64
}

func newAnswers() *answers {
	return &answers{fp: provider.NewFingerprinter(), m: map[opSum][]byte{}}
}

func (a *answers) key(op *openapi3.Operation, tenant, credential string, r *http.Request) opSum {
	var buf [512]byte // most reads' parts, on the stack
	b := buf[:0]
	for _, part := range []string{tenant, credential, r.URL.EscapedPath()} {
		b = append(binary.AppendUvarint(b, uint64(len(part))), part...)
	}
	b = append(b, r.URL.RawQuery...)
	return opSum{op: op, sum: a.fp.Of(b)}
}

func (a *answers) get(gen uint64, k opSum) ([]byte, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.gen != gen {
		return nil, false
	}
	data, ok := a.m[k]
	return data, ok
}

// put keeps an answer made at gen; data must be the answers' own copy.
func (a *answers) put(gen uint64, k opSum, data []byte) {
	if len(data) > answersLongest {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case gen < a.gen:
		return
	case gen > a.gen || a.bytes+len(data) > answersBytes:
		clear(a.m)
		a.gen, a.bytes = gen, 0
	}
	if old, ok := a.m[k]; ok {
		a.bytes -= len(old)
	}
	a.m[k] = data
	a.bytes += len(data)
}

// answered gives a GET the answer it got before, at the store's present
// generation, or marks it for its answer to be kept (kept).
func (s *Server) answered(req *provider.Request) (provider.Response, bool) {
	if s.answers == nil {
		return provider.Response{}, false
	}
	gen, quiet := s.store.Generation()
	if !quiet {
		return provider.Response{}, false
	}
	k := s.answers.key(req.Route.Operation, req.Tenant, s.prov.Credential(req.HTTP), req.HTTP)
	if data, ok := s.answers.get(gen, k); ok {
		return provider.Response{Status: http.StatusOK, Body: json.RawMessage(data), Checked: req.Route.ResponseSchema(http.StatusOK)}, true
	}
	traceOf(req.HTTP).read = &pendingRead{key: k, gen: gen, draws: s.draws.Load()}
	return provider.Response{}, false
}

// kept keeps a read's answer, found to conform, if nothing overlapped it.
func (s *Server) kept(r *http.Request, status int, data []byte) {
	p := traceOf(r).read
	if p == nil || status != http.StatusOK || len(data) == 0 {
		return
	}
	if gen, quiet := s.store.Generation(); !quiet || gen != p.gen || s.draws.Load() != p.draws {
		return
	}
	s.answers.put(p.gen, p.key, bytes.Clone(data))
}
