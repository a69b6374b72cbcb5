package mock

import (
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/getkin/kin-openapi/openapi3"
)

// conformed remembers answers already found to conform to the document, so
// that the same bytes sent again for the same operation and status are not
// validated again: a GET of a record nobody changed, a page nobody changed,
// the same 422. Validating an answer is a pure function of the operation,
// the status and the bytes (the server's options are fixed at start; a
// HEAD's answer, which openapi3filter does not check, is never kept), so a
// remembered answer gets the check's own result. An answer is known by the
// provider.Fingerprint of its bytes: a collision, which would let a wrong
// answer through unchecked, is one in 2^128.
//
// It holds at most conformedMax answers and forgets all of them when full,
// which bounds its memory (about 64 bytes an answer) at the cost of
// validating each answer once more after that.
type conformed struct {
	fp   provider.Fingerprinter
	seen *memo[conformedKey, struct{}]
}

const conformedMax = 1 << 14

type conformedKey struct {
	op     *openapi3.Operation
	status int
	sum    provider.Fingerprint
}

func newConformed() *conformed {
	return &conformed{fp: provider.NewFingerprinter(), seen: newMemo[conformedKey, struct{}](conformedMax)}
}

func (c *conformed) key(op *openapi3.Operation, status int, data []byte) conformedKey {
	return conformedKey{op: op, status: status, sum: c.fp.Of(data)}
}

// has reports whether the answer was found to conform before.
func (c *conformed) has(k conformedKey) bool {
	_, ok := c.seen.get(k)
	return ok
}

// add remembers an answer found to conform.
func (c *conformed) add(k conformedKey) { c.seen.put(k, struct{}{}) }
