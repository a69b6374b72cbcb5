package agentmocktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/agentmock/agentmock/mock/delivery"
)

// Event is one webhook delivery a Receiver took.
type Event struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt string         `json:"created_at"`
	Data      map[string]any `json:"data"`
	// Header is the delivery's, the signature among it.
	Header http.Header `json:"-"`
	// Body is the delivery's body as sent.
	Body []byte `json:"-"`
}

// Receiver is a webhook receiver on loopback, as httptest.Server is: it
// checks each delivery's Diga-Signature with the secret it is given, and
// lets a test wait for the next event. A delivery it cannot verify is
// answered 401 and reported by Next as a failure.
type Receiver struct {
	// URL is where to point a webhook.
	URL string

	srv *httptest.Server
	// arrived signals that queue or failed grew. The queues never block
	// the receiver: a test that does not read events still takes them.
	arrived chan struct{}

	mu      sync.Mutex
	secret  string
	failing []int
	queue   []received
	failed  []int
}

type received struct {
	ev  Event
	err error
}

// NewReceiver starts a receiver; the test's cleanup closes it.
func NewReceiver(t interface {
	TB
	Cleanup(func())
}) *Receiver {
	r := &Receiver{arrived: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

// SetSecret is the webhook's signing secret, as its create answered it;
// set it again after a rotation.
func (r *Receiver) SetSecret(secret string) {
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
}

// Fail answers the next deliveries with these statuses, one each, before
// it takes one: Fail(500, 500) makes agentmock retry twice.
func (r *Receiver) Fail(statuses ...int) {
	r.mu.Lock()
	r.failing = append(r.failing, statuses...)
	r.mu.Unlock()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 8<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret := r.secret
	var fail int
	if len(r.failing) > 0 {
		fail, r.failing = r.failing[0], r.failing[1:]
	}
	r.mu.Unlock()
	if fail != 0 {
		w.WriteHeader(fail)
		r.push(func() { r.failed = append(r.failed, fail) })
		return
	}
	// agentmock signs with its own clock, which a test may have fixed in
	// the past: the timestamp is not held to the wall clock here.
	if err := delivery.Verify(req.Header.Get(delivery.Header), secret, body, time.Time{}, 0); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		r.push(func() { r.queue = append(r.queue, received{err: err}) })
		return
	}
	ev := Event{Header: req.Header.Clone(), Body: body}
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		r.push(func() { r.queue = append(r.queue, received{err: err}) })
		return
	}
	w.WriteHeader(http.StatusNoContent)
	r.push(func() { r.queue = append(r.queue, received{ev: ev}) })
}

func (r *Receiver) push(add func()) {
	r.mu.Lock()
	add()
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

// wait takes the first of a queue, waiting up to timeout for one.
func (r *Receiver) wait(timeout time.Duration, take func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := take()
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-r.arrived:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			return take()
		}
	}
}

// Failed waits up to timeout for the receiver to answer a delivery with
// the next of the statuses Fail gave, and returns it.
func (r *Receiver) Failed(t TB, timeout time.Duration) int {
	t.Helper()
	var status int
	if !r.wait(timeout, func() bool {
		if len(r.failed) == 0 {
			return false
		}
		status, r.failed = r.failed[0], r.failed[1:]
		return true
	}) {
		t.Fatalf("agentmocktest: no webhook delivery to fail within %s", timeout)
	}
	return status
}

// Next waits up to timeout for the next verified event, and fails the test
// at a delivery that does not verify, or at the timeout.
func (r *Receiver) Next(t TB, timeout time.Duration) Event {
	t.Helper()
	var got received
	if !r.wait(timeout, func() bool {
		if len(r.queue) == 0 {
			return false
		}
		got, r.queue = r.queue[0], r.queue[1:]
		return true
	}) {
		t.Fatalf("agentmocktest: no webhook delivery within %s", timeout)
	}
	if got.err != nil {
		t.Fatalf("agentmocktest: a webhook delivery did not verify: %v", got.err)
	}
	return got.ev
}

// Len is how many events wait to be read by Next.
func (r *Receiver) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue)
}

// Advance moves a provider's fixed clock (a real one becomes fixed) by d;
// what comes due by then, a call's next status, has happened when it
// returns.
func (s *Server) Advance(t TB, p Provider, d time.Duration) {
	t.Helper()
	s.control(t, p, "POST", "/_mock/clock", map[string]string{"advance": d.String()}, nil)
}

// SteerCall moves a call now: to a status of the document served, or, with
// an outcome (completed, failed, no_answer, busy, transferred), to its end.
func (s *Server) SteerCall(t TB, p Provider, id, status, outcome string) {
	t.Helper()
	change := map[string]string{}
	if status != "" {
		change["status"] = status
	}
	if outcome != "" {
		change["outcome"] = outcome
	}
	s.control(t, p, "POST", "/_mock/calls/"+id, change, nil)
}

// InboundCall has a caller dial one of a tenant's numbers, and returns the
// call's id (a Diga call, an itellico conversation).
func (s *Server) InboundCall(t TB, p Provider, to, from string) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	s.control(t, p, "POST", "/_mock/calls/inbound", map[string]string{"to_number": to, "from_number": from}, &out)
	return out.ID
}
