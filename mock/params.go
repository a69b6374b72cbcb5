package mock

import (
	"net/url"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
)

// passed remembers the requests whose parameters openapi3filter found
// valid, so that the same request again is not decoded and checked again:
// a client polling a call, a suite reading the same agent. Where an
// operation has only path and query parameters, and its security is
// checked by the provider (unsecured), openapi3filter's verdict is a pure
// function of the operation, the escaped path (which gives the path
// parameters) and the raw query; its one effect is to write the defaults
// of absent query parameters into the query, so the query it leaves is
// kept and put back on a hit. A request is known by the opSum of its path
// and query.
//
// It holds at most passedMax requests and forgets all of them when full;
// requests longer than passedLongest are not kept.
type passed struct {
	fp provider.Fingerprinter
	// pure holds the operations whose verdict is such a function.
	pure map[*openapi3.Operation]bool
	seen *memo[opSum, string] // the query as openapi3filter left it
}

const (
	passedMax     = 1 << 14
	passedLongest = 2 << 10
)

// newPassed finds the operations whose parameters are all in the path or
// the query, among those whose security is left to the provider.
func newPassed(spec *openapi.Spec, unsecured map[*openapi3.Operation]*openapi3.Operation) *passed {
	p := &passed{fp: provider.NewFingerprinter(), pure: map[*openapi3.Operation]bool{}, seen: newMemo[opSum, string](passedMax)}
	for _, item := range spec.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			if unsecured[op] == nil {
				continue
			}
			pure := true
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, ref := range ps {
					if ref.Value == nil || (ref.Value.In != openapi3.ParameterInPath && ref.Value.In != openapi3.ParameterInQuery) {
						pure = false
					}
				}
			}
			p.pure[op] = pure
		}
	}
	return p
}

// key knows a request by its operation, escaped path and raw query; ok is
// false for a request that is not kept.
func (p *passed) key(op *openapi3.Operation, u *url.URL) (opSum, bool) {
	if !p.pure[op] {
		return opSum{}, false
	}
	path, query := u.EscapedPath(), u.RawQuery
	if len(path)+len(query) > passedLongest {
		return opSum{}, false
	}
	var buf [256]byte // most requests' path and query, on the stack
	// An escaped path holds no "?": the parts cannot run together.
	return opSum{op: op, sum: p.fp.Of(append(append(append(buf[:0], path...), '?'), query...))}, true
}

// get returns the query openapi3filter left, if the request passed before.
func (p *passed) get(k opSum) (string, bool) { return p.seen.get(k) }

func (p *passed) add(k opSum, query string) { p.seen.put(k, query) }
