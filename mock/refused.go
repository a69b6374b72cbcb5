package mock

import (
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
)

// refused remembers the JSON bodies an operation's check refused, with what
// the check found: the body's violations, and the undeclared members it
// dropped with a warning. That check (validate's, of the body alone) is a
// pure function of the operation, whose schema and method it reads, the
// server's options, fixed at start, and the bytes, so the same body sent
// again, a client retrying what it got wrong or a suite's negative cases,
// gets the check's own verdict without being decoded or checked again.
// Only refusals are kept: a body that passes is decoded for its handler
// anyway, and the bodies that change things are mostly new each time. A
// body is known by the provider.Fingerprint of its bytes: a collision,
// which would refuse a body with another body's violations, is one in
// 2^128.
//
// Bodies over refusedLongest bytes, or with more than refusedMost
// violations, are not kept: they would hold the memory, and their check
// is not what their answer costs.
type refused struct {
	fp   provider.Fingerprinter
	seen *memo[opSum, *refusal]
}

const (
	refusedMax     = 1 << 12
	refusedLongest = 16 << 10
	refusedMost    = 64
)

// refusal is what the check found. Its slices are shared by every request
// that sends the body: they are read, never changed.
type refusal struct {
	violations, warnings []agentmock.Violation
	// answer is the answer to the body alone, as it was sent and checked
	// once, its violations reported without any of the parameters': the
	// same again, rendered from the same violations, for the same
	// operation. Set by the first request that sends it.
	answer atomic.Pointer[answer]
}

// answer is an answer's status, media type and bytes.
type answer struct {
	status int
	mt     string
	data   []byte
}

func newRefused() *refused {
	return &refused{fp: provider.NewFingerprinter(), seen: newMemo[opSum, *refusal](refusedMax)}
}

// get returns what the check found in a body it refused before.
func (r *refused) get(op *openapi3.Operation, body []byte) (*refusal, bool) {
	if len(body) > refusedLongest {
		return nil, false
	}
	return r.seen.get(opSum{op: op, sum: r.fp.Of(body)})
}

// add remembers a body the check refused.
func (r *refused) add(op *openapi3.Operation, body []byte, found *refusal) {
	if len(body) > refusedLongest || len(found.violations) == 0 || len(found.violations) > refusedMost {
		return
	}
	r.seen.put(opSum{op: op, sum: r.fp.Of(body)}, found)
}
