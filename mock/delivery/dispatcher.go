package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/agentmock/agentmock/mock/due"
	"github.com/agentmock/agentmock/store"
)

// Config sets a Dispatcher up.
type Config struct {
	Store *store.Store
	// Collection holds the outbox: "diga/_deliveries".
	Collection string
	// Now is the server's clock: attempts are scheduled on it, so that a
	// fixed clock moves retries only when it is advanced.
	Now func() time.Time
	// Secret returns a webhook's signing secret as it is now; ok is false
	// when the webhook is gone, and the delivery is cancelled.
	Secret func(ctx context.Context, tenant, webhook string) (secret string, ok bool, err error)
	// Timeout bounds one attempt; default 5 s.
	Timeout time.Duration
	// Backoff is the wait after each failed attempt: len(Backoff)+1
	// attempts in all. Default 1 s, 2 s, 4 s, 8 s, 16 s.
	Backoff []time.Duration
	// Parallel bounds the attempts in flight to one webhook; default 4.
	// The bound is per webhook so that a receiver that hangs holds only
	// its own deliveries back, never another webhook's.
	Parallel int
	// Keep bounds the finished deliveries kept for GET /_mock/deliveries;
	// default 1000.
	Keep int
	Log  *slog.Logger
	// Transport sends the attempts; nil: a client of its own.
	Transport http.RoundTripper
}

// Dispatcher sends the outbox's deliveries when they are due.
type Dispatcher struct {
	cfg    Config
	client *http.Client
	wake   chan struct{}

	mu sync.Mutex
	// inFlight holds the deliveries being attempted, by id, with their
	// webhook and subject: a sweep skips them without reading them, and
	// counts them against their webhook's bound.
	inFlight map[string]flight
	idle     *sync.Cond // signalled when inFlight empties
}

// A flight is a delivery being attempted.
type flight struct{ webhook, subject string }

// New returns a dispatcher; Run starts it.
func New(cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 1000
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	transport := cfg.Transport
	if transport == nil {
		transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.Parallel, ResponseHeaderTimeout: cfg.Timeout}
	}
	d := &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1), inFlight: map[string]flight{}}
	d.idle = sync.NewCond(&d.mu)
	d.client = &http.Client{Timeout: cfg.Timeout, Transport: transport,
		// A receiver's redirect is its answer, not somewhere to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return d
}

// Attempts is how many times a delivery is tried at most.
func (d *Dispatcher) Attempts() int { return len(d.cfg.Backoff) + 1 }

// Wake makes the dispatcher look for due deliveries now: after an
// enqueue's commit, or the clock moving.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// poll is how often a dispatcher looks when nothing wakes it: the clock
// may be real and a delivery come due.
const poll = 250 * time.Millisecond

// Run sends due deliveries until ctx ends, then waits for the attempts in
// flight.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.drain()
	due.Loop(ctx, poll, d.cfg.Now, d.wake, d.sweep, func(err error) { d.cfg.Log.Error("webhook deliveries", "err", err) })
}

func (d *Dispatcher) drain() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.inFlight) > 0 {
		d.idle.Wait()
	}
}

// sweep starts an attempt for due deliveries not in flight, up to each
// webhook's parallel bound, and returns when the next pending one is due
// (zero: none). A due delivery held back by its webhook's bound is taken
// by the sweep that an attempt's end wakes.
func (d *Dispatcher) sweep(ctx context.Context) (time.Time, error) {
	now := d.cfg.Now()
	d.mu.Lock()
	flying := maps.Clone(d.inFlight)
	d.mu.Unlock()
	perHook := map[string]int{} // attempts in flight or started, by webhook
	for _, f := range flying {
		perHook[f.webhook]++
	}
	var due []Delivery
	var next time.Time
	err := d.cfg.Store.View(ctx, func(tx *store.Tx) error {
		page, err := tx.List(d.cfg.Collection, outboxTenant, store.Query{Where: pending})
		if err != nil {
			return err
		}
		// One at a time per webhook and subject, in the order they were
		// made: a receiver sees a call's statuses in order, and a retry
		// holds back what follows it.
		first := map[string]bool{}
		for _, r := range page.Records {
			if f, ok := flying[r.ID]; ok {
				first[f.webhook+"\x00"+f.subject] = true
				continue
			}
			var head struct {
				Webhook string    `json:"webhook_id"`
				Subject string    `json:"subject"`
				NextAt  time.Time `json:"next_at"`
			}
			if err := json.Unmarshal(r.Doc, &head); err != nil {
				return fmt.Errorf("delivery: stored delivery: %w", err)
			}
			key := head.Webhook + "\x00" + head.Subject
			if first[key] && head.Subject != "" {
				continue
			}
			first[key] = true
			if head.NextAt.After(now) {
				if next.IsZero() || head.NextAt.Before(next) {
					next = head.NextAt
				}
				continue
			}
			if perHook[head.Webhook] >= d.cfg.Parallel {
				continue
			}
			del, err := decode(r.Doc)
			if err != nil {
				return err
			}
			perHook[head.Webhook]++
			due = append(due, del)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	for _, del := range due {
		d.mu.Lock()
		_, busy := d.inFlight[del.ID]
		if !busy {
			d.inFlight[del.ID] = flight{del.Webhook, del.Subject}
		}
		d.mu.Unlock()
		if busy {
			continue
		}
		go func() {
			defer d.done(del.ID)
			// The attempt outlives a shutdown's cancel only as long as its
			// own timeout: what it learns is still recorded.
			d.attempt(context.WithoutCancel(ctx), del)
		}()
	}
	return next, nil
}

func (d *Dispatcher) done(id string) {
	d.mu.Lock()
	delete(d.inFlight, id)
	if len(d.inFlight) == 0 {
		d.idle.Broadcast()
	}
	d.mu.Unlock()
	d.Wake()
}

// attempt sends a delivery once and records what happened. The sweep's
// copy may predate an attempt that finished since, so the delivery is read
// again first: it is sent only while it is still pending and due.
func (d *Dispatcher) attempt(ctx context.Context, del Delivery) {
	err := d.cfg.Store.View(ctx, func(tx *store.Tx) error {
		rec, err := tx.Get(d.cfg.Collection, outboxTenant, del.ID)
		if err != nil {
			return err
		}
		del, err = decode(rec.Doc)
		return err
	})
	if err != nil || del.State != Pending || del.NextAt.After(d.cfg.Now()) {
		return
	}
	secret, ok, err := d.cfg.Secret(ctx, del.Tenant, del.Webhook)
	if err != nil {
		d.cfg.Log.Error("webhook secret", "delivery", del.ID, "err", err)
		return
	}
	now := d.cfg.Now()
	a := Attempt{At: now}
	if !ok {
		a.Error = "the webhook was deleted"
		d.record(ctx, del.ID, a, Cancelled)
		return
	}
	a.Signature = Sign(secret, now, del.Body)
	started := time.Now()
	a.Status, a.Error = d.send(ctx, del, a.Signature)
	a.DurationMS = float64(time.Since(started).Microseconds()) / 1000
	if a.Status >= 200 && a.Status < 300 {
		d.record(ctx, del.ID, a, Delivered)
		return
	}
	d.record(ctx, del.ID, a, Pending)
}

func (d *Dispatcher) send(ctx context.Context, del Delivery, signature string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(del.Body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "agentmock-webhooks")
	req.Header.Set(Header, signature)
	req.Header.Set("Diga-Delivery", del.ID)
	req.Header.Set("Diga-Event", del.Event)
	res, err := d.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, ""
}

// record stores an attempt and what follows from it: delivered or
// cancelled, else the next attempt's time after the backoff, or, with the
// attempts used up, failed.
func (d *Dispatcher) record(ctx context.Context, id string, a Attempt, state State) {
	err := d.cfg.Store.Write(ctx, func(tx *store.Tx) error {
		final := Pending // this run's: the function may run more than once
		_, err := tx.Update(d.cfg.Collection, outboxTenant, id, func(raw []byte, meta *store.Meta) ([]byte, error) {
			del, err := decode(raw)
			if err != nil {
				return nil, err
			}
			if del.State != Pending {
				return raw, nil // finished meanwhile
			}
			defer func() { meta.Archived = final != Pending }()
			del.Attempts = append(del.Attempts, a)
			final = state
			if final == Pending && len(del.Attempts)-del.Round >= d.Attempts() {
				final = Failed
			}
			del.State = final
			if final == Pending {
				del.NextAt = a.At.Add(d.cfg.Backoff[min(len(del.Attempts)-del.Round-1, len(d.cfg.Backoff)-1)])
			}
			return json.Marshal(del)
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil // reset meanwhile
		}
		if err != nil || final == Pending {
			return err
		}
		return d.prune(tx)
	})
	if err != nil && ctx.Err() == nil {
		d.cfg.Log.Error("webhook delivery", "delivery", id, "err", err)
	}
}

// pending selects the deliveries still to be taken from the store's index,
// which marks a finished one archived, so that a sweep reads no other.
func pending(m store.Meta) bool { return !m.Archived }

func finished(m store.Meta) bool { return m.Archived }

// prune keeps the newest Keep finished deliveries. The count comes from
// the index's flags, so it costs no read until there is something to drop.
func (d *Dispatcher) prune(tx *store.Tx) error {
	all, err := tx.List(d.cfg.Collection, outboxTenant, store.Query{Where: finished, Count: true, Limit: 1})
	if err != nil || all.Total <= d.cfg.Keep {
		return err
	}
	old, err := tx.List(d.cfg.Collection, outboxTenant, store.Query{Where: finished, Limit: all.Total - d.cfg.Keep})
	if err != nil {
		return err
	}
	for _, r := range old.Records {
		if err := tx.Delete(d.cfg.Collection, outboxTenant, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// Filter selects deliveries to list; zero members select all.
type Filter struct {
	State   State
	Event   string
	Webhook string
	Subject string
	Tenant  string
}

func (f Filter) holds(del Delivery) bool {
	return (f.State == "" || del.State == f.State) && (f.Event == "" || del.Event == f.Event) &&
		(f.Webhook == "" || del.Webhook == f.Webhook) && (f.Subject == "" || del.Subject == f.Subject) &&
		(f.Tenant == "" || del.Tenant == f.Tenant)
}

// List returns the deliveries the filter selects, oldest first.
func (d *Dispatcher) List(ctx context.Context, f Filter) ([]Delivery, error) {
	var out []Delivery
	err := d.cfg.Store.View(ctx, func(tx *store.Tx) error {
		page, err := tx.List(d.cfg.Collection, outboxTenant, store.Query{})
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			del, err := decode(r.Doc)
			if err != nil {
				return err
			}
			if f.holds(del) {
				out = append(out, del)
			}
		}
		return nil
	})
	return out, err
}

// ErrNotFound is Redeliver's for an id the outbox does not hold.
var ErrNotFound = errors.New("delivery: no such delivery")

// Redeliver sends a delivery again, now, whatever its state, with a fresh
// count of attempts; its past attempts stay in its record.
func (d *Dispatcher) Redeliver(ctx context.Context, id string) (Delivery, error) {
	var out Delivery
	now := d.cfg.Now()
	err := d.cfg.Store.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Update(d.cfg.Collection, outboxTenant, id, func(raw []byte, meta *store.Meta) ([]byte, error) {
			del, err := decode(raw)
			if err != nil {
				return nil, err
			}
			meta.Archived = false
			del.State, del.NextAt, del.Round = Pending, now, len(del.Attempts)
			out = del
			return json.Marshal(del)
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return err
	})
	if err == nil {
		d.Wake()
	}
	return out, err
}
