package mock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/agentmock/agentmock/mock/due"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// The timeline keeps the steps records are due to make (provider.Step) in
// the database, under one tenant, so that a restart keeps them. A sweep
// applies every due step in the order of its time, each in a write
// transaction of its own with the events it emits, and so moves records
// on the server's clock: in real time by default, a step at a time with a
// fixed clock that POST /_mock/clock advances.

const timelineTenant = "steps"

func (s *Server) timelineCollection() string   { return s.prov.Name() + "/_timeline" }
func (s *Server) deliveriesCollection() string { return s.prov.Name() + "/_deliveries" }

// timeline is the provider's, or nil when its records do not move.
func (s *Server) timeline() provider.Timeline {
	tl, _ := s.prov.(provider.Timeline)
	return tl
}

// started schedules a new record's steps, in its create's transaction,
// and returns the record as they left it, or nil for one that does not
// move.
func (s *Server) started(tx *store.Tx, r *resources.Resource, tenant, id string, raw []byte, body map[string]any) ([]byte, error) {
	tl := s.timeline()
	if tl == nil {
		return nil, nil
	}
	doc, err := record(raw)
	if err != nil {
		return nil, err
	}
	steps, err := tl.Started(tx, s, r.Name, tenant, doc, body)
	if err != nil || steps == nil {
		return nil, err
	}
	if err := s.schedule(tx, steps); err != nil {
		return nil, err
	}
	rec, err := tx.Get(s.collection(r), tenant, id)
	return rec.Doc, err
}

func (s *Server) schedule(tx *store.Tx, steps []provider.Step) error {
	for _, st := range steps {
		if st.ID == "" {
			st.ID = st.Record + "." + strconv.Itoa(st.Seq)
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		s.dueBy(st.At)
		_, err = tx.Create(s.timelineCollection(), timelineTenant, st.ID, raw)
		if errors.Is(err, store.ErrExists) {
			err = tx.Put(s.timelineCollection(), timelineTenant, st.ID, store.Meta{}, raw)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dropSteps removes a record's pending steps.
func (s *Server) dropSteps(tx *store.Tx, recordID string) error {
	page, err := tx.List(s.timelineCollection(), timelineTenant, store.Query{})
	if err != nil {
		return err
	}
	for _, r := range page.Records {
		var st provider.Step
		if json.Unmarshal(r.Doc, &st) == nil && st.Record == recordID {
			if err := tx.Delete(s.timelineCollection(), timelineTenant, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweep applies every step due by now, the earliest first, including those
// due steps schedule, and returns when the next one is due (zero: none).
// Due steps are applied in batches, a write transaction each, so that ten
// thousand calls ringing at once cost a few hundred commits, not ten
// thousand.
func (s *Server) sweep(ctx context.Context) (time.Time, error) {
	tl := s.timeline()
	if tl == nil {
		return time.Time{}, nil
	}
	const batch = 100
	for {
		now := s.Now()
		if s.notDue(now) {
			return s.nextDue(), nil
		}
		var due []provider.Step
		var next time.Time
		err := s.store.View(ctx, func(tx *store.Tx) error {
			page, err := tx.List(s.timelineCollection(), timelineTenant, store.Query{})
			if err != nil {
				return err
			}
			for _, r := range page.Records {
				var st provider.Step
				if err := json.Unmarshal(r.Doc, &st); err != nil {
					return fmt.Errorf("timeline: %w", err)
				}
				if st.At.After(now) {
					if next.IsZero() || st.At.Before(next) {
						next = st.At
					}
					continue
				}
				due = append(due, st)
			}
			return nil
		})
		if err != nil {
			return next, err
		}
		s.setNextDue(next, len(due) > 0)
		if len(due) == 0 {
			return next, nil
		}
		slices.SortStableFunc(due, func(a, b provider.Step) int {
			if c := a.At.Compare(b.At); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for len(due) > 0 {
			n := min(batch, len(due))
			err = s.store.Write(ctx, func(tx *store.Tx) error {
				for _, st := range due[:n] {
					if err := tx.Delete(s.timelineCollection(), timelineTenant, st.ID); errors.Is(err, store.ErrNotFound) {
						continue // applied meanwhile, or dropped by a steer
					} else if err != nil {
						return err
					}
					steps, err := tl.Apply(tx, s, st)
					if err != nil {
						return fmt.Errorf("timeline step %s: %w", st.ID, err)
					}
					if err := s.schedule(tx, steps); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return next, err
			}
			due = due[n:]
			if s.deliveries != nil {
				s.deliveries.Wake()
			}
		}
	}
}

// runTimeline sweeps until ctx ends: when woken (a record was created, the
// clock moved), when the next step is due, and every poll.
func (s *Server) runTimeline(ctx context.Context) {
	due.Loop(ctx, 250*time.Millisecond, s.Now, s.wakeTimeline, s.sweep, func(err error) { s.log.Error("timeline", "err", err) })
}

// The timeline's next due time is kept in memory, so that a sweep with
// nothing due reads nothing: schedule lowers it (before its commit, so a
// rolled-back step costs only a sweep that finds nothing), a sweep that
// listed every step sets it. Zero means unknown: sweep.
func (s *Server) dueBy(at time.Time) {
	s.stepsMu.Lock()
	if !s.stepsKnown || at.Before(s.stepsNext) || s.stepsNext.IsZero() {
		s.stepsNext = at
	}
	s.stepsMu.Unlock()
}

func (s *Server) notDue(now time.Time) bool {
	s.stepsMu.Lock()
	defer s.stepsMu.Unlock()
	return s.stepsKnown && (s.stepsNext.IsZero() || s.stepsNext.After(now))
}

func (s *Server) nextDue() time.Time {
	s.stepsMu.Lock()
	defer s.stepsMu.Unlock()
	return s.stepsNext
}

// setNextDue records what a full listing found; while steps were due the
// next sweep lists again.
func (s *Server) setNextDue(next time.Time, due bool) {
	s.stepsMu.Lock()
	s.stepsKnown, s.stepsNext = !due, next
	s.stepsMu.Unlock()
}

func (s *Server) wake() {
	select {
	case s.wakeTimeline <- struct{}{}:
	default:
	}
	if s.deliveries != nil {
		s.deliveries.Wake()
	}
}

// Emit enqueues an event for each of the tenant's webhooks subscribed to
// it. Ids come from the subject, seq and webhook, so a transaction that
// runs twice enqueues the same deliveries.
func (s *Server) Emit(tx *store.Tx, tenant, event, subject string, seq int, data any) error {
	w := s.rules.Webhooks
	if w == nil || s.deliveries == nil {
		return nil
	}
	r := s.model.Resource(w.Path)
	if r == nil {
		return nil // the document has no webhooks
	}
	page, err := tx.List(s.collection(r), tenant, store.Query{})
	if err != nil {
		return err
	}
	payload, err := json.Marshal(data)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, rec := range page.Records {
		hook, err := record(rec.Doc)
		if err != nil {
			return err
		}
		events, _ := hook[w.Events].([]any)
		url, _ := hook[w.URL].(string)
		if url == "" || !slices.ContainsFunc(events, func(v any) bool { return v == event }) {
			continue
		}
		sum := sha256.Sum256([]byte(subject + "/" + strconv.Itoa(seq) + "/" + rec.ID))
		id := "evt_" + hex.EncodeToString(sum[:12])
		body, err := json.Marshal(delivery.Event{ID: id, Type: event, CreatedAt: provider.Timestamp(now), Data: payload})
		if err != nil {
			return err
		}
		err = s.deliveries.Enqueue(tx, delivery.Delivery{ID: id, Tenant: tenant, Webhook: rec.ID, URL: url, Event: event,
			Subject: subject, Body: body, NextAt: now, CreatedAt: now})
		if err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
	}
	return nil
}

// webhookSecret is a webhook's signing secret as it is now.
func (s *Server) webhookSecret(ctx context.Context, tenant, id string) (string, bool, error) {
	w := s.rules.Webhooks
	r := s.model.Resource(w.Path)
	var secret string
	found := false
	err := s.store.View(ctx, func(tx *store.Tx) error {
		rec, err := tx.Get(s.collection(r), tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		doc, err := record(rec.Doc)
		if err != nil {
			return err
		}
		secret, _ = doc[w.Secret].(string)
		found = true
		return nil
	})
	return secret, found, err
}

// Calls are the simulated calls' timings.
func (s *Server) Calls() provider.CallTimings { return s.cfg.Calls }

// run does the server's background work until ctx ends: it moves records
// on the clock and delivers their events.
func (s *Server) run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if s.deliveries != nil {
			s.deliveries.Run(ctx)
		}
	}()
	if s.timeline() != nil {
		s.runTimeline(ctx)
	}
	<-done
}

// errNoTimeline is the control API's for a provider whose records do not
// move on the clock.
func errNoTimeline() error {
	return &provider.Error{Status: 404, Message: "this provider simulates no calls"}
}

// steer moves a record now, for the control API: its pending steps are
// dropped for the ones that follow the change.
func (s *Server) steer(ctx context.Context, id, to, outcome string) (string, error) {
	tl := s.timeline()
	if tl == nil {
		return "", errNoTimeline()
	}
	var tenant string
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		if err := s.dropSteps(tx, id); err != nil {
			return err
		}
		t, steps, found, err := tl.Steer(tx, s, id, to, outcome)
		if err != nil {
			return err
		}
		if !found {
			return &provider.Error{Status: 404, Message: "no call " + id}
		}
		tenant = t
		return s.schedule(tx, steps)
	})
	s.wake()
	return tenant, err
}

// inbound places a caller's call, for the control API.
func (s *Server) inbound(ctx context.Context, to, from string) (tenant, id string, err error) {
	tl := s.timeline()
	if tl == nil {
		return "", "", errNoTimeline()
	}
	id = s.NewID()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		t, steps, found, err := tl.Inbound(tx, s, to, from, id)
		if err != nil {
			return err
		}
		if !found {
			return &provider.Error{Status: 404, Message: "no tenant has the phone number " + to}
		}
		tenant = t
		return s.schedule(tx, steps)
	})
	s.wake()
	return tenant, id, err
}

// rotateSecret gives a webhook a new signing secret, for the control API.
func (s *Server) rotateSecret(ctx context.Context, id string) (string, error) {
	w := s.rules.Webhooks
	if w == nil || s.model.Resource(w.Path) == nil {
		return "", &provider.Error{Status: 404, Message: "this document has no webhooks"}
	}
	coll := s.collection(s.model.Resource(w.Path))
	fresh := secret(s.draw())
	found := false
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		tenant, doc, ok, err := provider.FindRecord(tx, coll, id)
		if found = ok; !ok || err != nil {
			return err
		}
		doc[w.Secret] = fresh
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		return tx.Replace(coll, tenant, id, raw)
	})
	if err == nil && !found {
		err = &provider.Error{Status: 404, Message: "no webhook " + id}
	}
	return fresh, err
}
