package mock

import (
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentmock/agentmock/mock/provider"
)

// opSum is what the server's caches know a request by: its operation and
// the provider.Fingerprint of the bytes that decide the result (a read's
// tenant, credential, path and query; a body; a path and query). A
// collision, which would give one request another's result, is one in
// 2^128.
type opSum struct {
	op  *openapi3.Operation
	sum provider.Fingerprint
}

// memo holds the results of a pure function by its argument, for the
// server's caches of verdicts (conformed, passed, refused): at most max of
// them, all forgotten when it is full, which bounds its memory at the cost
// of working each result out once more after that. It is safe for
// concurrent use.
type memo[K comparable, V any] struct {
	max int
	mu  sync.RWMutex
	m   map[K]V
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{max: max, m: map[K]V{}}
}

func (m *memo[K, V]) get(k K) (V, bool) {
	m.mu.RLock()
	v, ok := m.m[k]
	m.mu.RUnlock()
	return v, ok
}

func (m *memo[K, V]) put(k K, v V) {
	m.mu.Lock()
	if len(m.m) >= m.max {
		clear(m.m)
	}
	m.m[k] = v
	m.mu.Unlock()
}

// len is how many results it holds.
func (m *memo[K, V]) len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.m)
}
