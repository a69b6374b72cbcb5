package provider

import (
	"time"

	"github.com/agentmock/agentmock/store"
)

// A Step is a change a record is due to make at a time of the server's
// clock: a call that rings, is answered, ends. The engine keeps steps in
// the database, so that a restart keeps them, and applies each once it is
// due, in a write transaction of its own.
type Step struct {
	// ID is the step's own, made from Record and Seq so that a step is
	// never scheduled twice.
	ID     string    `json:"id"`
	Tenant string    `json:"tenant"`
	Record string    `json:"record"`
	At     time.Time `json:"at"`
	// Seq orders a record's steps.
	Seq int `json:"seq"`
	// To is where the step takes the record: a status.
	To string `json:"to"`
	// Outcome is how the record ends, when the step ends it.
	Outcome string `json:"outcome,omitempty"`
}

// Timeline is a provider whose records move on the clock. Both run in the
// caller's write transaction, which may run more than once: they draw
// nothing random.
type Timeline interface {
	// Started is told of a record the engine created, and the body that
	// created it; it returns the record's steps, none for a resource that
	// does not move.
	Started(tx *store.Tx, e Engine, resource, tenant string, doc, body map[string]any) ([]Step, error)
	// Apply makes a due step's change, and returns the steps that follow.
	Apply(tx *store.Tx, e Engine, s Step) ([]Step, error)
	// Steer moves a record now, to a status or an outcome the control API
	// names, and returns its tenant and the steps that follow; the engine
	// drops the record's pending ones. found is false for no such record.
	Steer(tx *store.Tx, e Engine, record, to, outcome string) (tenant string, steps []Step, found bool, err error)
	// Inbound places a call from a caller to one of a tenant's numbers, as
	// the control API asks: it returns the tenant and record it made, and
	// their steps; found is false where no tenant has the number.
	Inbound(tx *store.Tx, e Engine, to, from, id string) (tenant string, steps []Step, found bool, err error)
}

// CallTimings are how long the simulated calls take.
type CallTimings struct {
	// Ring is how long a call dials before it is answered (or not).
	Ring time.Duration
	// Talk is how long an answered call lasts.
	Talk time.Duration
}
