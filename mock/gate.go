package mock

import (
	"context"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentmock/agentmock/openapi"
)

// Gate bounds how many list pages are built and checked at once. A page of
// 100 agents allocates about 2 MB while it is read, encoded and validated,
// all of it CPU work: past one page per core, concurrency adds heap, not
// throughput. Without a bound, 64 clients listing at once held 100 MB of
// heap (cmd/agentmock-load, "list 100 of the stored agents"). Waiting
// callers are served in arrival order, which also trims the tail.
type Gate struct {
	slots chan struct{}
}

// NewGate returns a gate that lets n callers through at once (at least one).
func NewGate(n int) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1))}
}

// enter waits for a slot, or for ctx to end; it reports whether it got one.
func (g *Gate) enter(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (g *Gate) leave() { <-g.slots }

// pageOperations returns the keys of the operations that answer a page: a
// GET on a collection (its path ends in a name, not a parameter) whose
// success body is an array or holds one at its top level. The path test
// keeps out a single resource with an array member, such as an agent's tags.
func pageOperations(spec *openapi.Spec) map[string]bool {
	pages := map[string]bool{}
	for _, op := range spec.Operations() {
		if !strings.EqualFold(op.Method, http.MethodGet) || strings.HasSuffix(strings.TrimSuffix(op.Key, "/"), "{}") {
			continue
		}
		if isPage(openapi.ResponseSchema(op.Operation, openapi.SuccessStatus(op.Operation))) {
			pages[op.Key] = true
		}
	}
	return pages
}

func isPage(sch *openapi3.Schema) bool {
	if isArray(sch) {
		return true
	}
	if v := openapi.View(sch); v != nil {
		for _, p := range v.Properties {
			if p != nil && isArray(p.Value) {
				return true
			}
		}
	}
	return false
}

func isArray(sch *openapi3.Schema) bool {
	v := openapi.View(sch)
	return v != nil && (v.Items != nil || v.Type.Is(openapi3.TypeArray))
}
