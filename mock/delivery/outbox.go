package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/agentmock/agentmock/store"
)

// State is where a delivery is.
type State string

const (
	// Pending deliveries wait for their next attempt, at NextAt.
	Pending State = "pending"
	// Delivered ones were taken: a receiver answered 2xx.
	Delivered State = "delivered"
	// Failed ones ran out of attempts.
	Failed State = "failed"
	// Cancelled ones lost their webhook before they were taken.
	Cancelled State = "cancelled"
)

// A Delivery is one event on its way to one webhook.
//
// Invariant: Body is the envelope as it is signed and sent, the same bytes
// at every attempt; the signature is made at each attempt, with the
// webhook's secret at that time, so a rotation applies at once.
type Delivery struct {
	ID      string `json:"id"`
	Tenant  string `json:"tenant"`
	Webhook string `json:"webhook_id"`
	URL     string `json:"url"`
	Event   string `json:"event"`
	// Subject is the id of the record the event is about (a call).
	Subject  string          `json:"subject,omitempty"`
	Body     json.RawMessage `json:"body"`
	State    State           `json:"state"`
	Attempts []Attempt       `json:"attempts"`
	// Round is how many of Attempts came before the last redelivery: the
	// attempts left are counted from there.
	Round     int       `json:"round,omitempty"`
	NextAt    time.Time `json:"next_at"`
	CreatedAt time.Time `json:"created_at"`
}

// An Attempt is one try to deliver.
type Attempt struct {
	At time.Time `json:"at"`
	// Status is the receiver's answer; 0 when there was none.
	Status int `json:"status"`
	// Error says why there was no answer (refused, timed out).
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	Signature  string  `json:"signature"`
}

// outboxTenant is the one tenant bucket of the outbox collection: the
// dispatcher walks every delivery of its port in creation order.
const outboxTenant = "outbox"

// Enqueue stores a delivery in the caller's transaction, so that it exists
// exactly when the change it reports does. Its id and times are the
// caller's, drawn before the transaction. Wake the dispatcher after the
// commit.
func (d *Dispatcher) Enqueue(tx *store.Tx, del Delivery) error {
	if del.State == "" {
		del.State = Pending
	}
	if del.Attempts == nil {
		del.Attempts = []Attempt{}
	}
	raw, err := json.Marshal(del)
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	_, err = tx.Create(d.cfg.Collection, outboxTenant, del.ID, raw)
	return err
}

func decode(raw []byte) (Delivery, error) {
	var del Delivery
	if err := json.Unmarshal(raw, &del); err != nil {
		return del, fmt.Errorf("delivery: stored delivery: %w", err)
	}
	return del, nil
}
