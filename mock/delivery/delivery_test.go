package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a fixed clock a test moves.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.at = c.at.Add(d)
	c.mu.Unlock()
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver answers each request with the next status of its script (the
// last one repeats) and reports what it got.
func receiver(t *testing.T, statuses ...int) (*httptest.Server, chan received) {
	got := make(chan received, 64)
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		status := statuses[min(n, len(statuses)-1)]
		n++
		mu.Unlock()
		got <- received{r.Header.Clone(), body}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

type fixture struct {
	st      *store.Store
	clock   *clock
	d       *delivery.Dispatcher
	mu      sync.Mutex
	secrets map[string]string // webhook id → secret; absent: deleted
	cancel  context.CancelFunc
	done    chan struct{}
}

func newFixture(t *testing.T, path string, cfg delivery.Config) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	require.NoError(t, err)
	f := &fixture{st: st, clock: &clock{at: time.Date(2026, 1, 22, 10, 0, 0, 0, time.UTC)}, secrets: map[string]string{"wh1": "s3cret"}}
	cfg.Store, cfg.Collection, cfg.Now = st, "diga/_deliveries", f.clock.Now
	cfg.Secret = func(_ context.Context, _, webhook string) (string, bool, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		s, ok := f.secrets[webhook]
		return s, ok, nil
	}
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{time.Minute, 2 * time.Minute}
	}
	f.d = delivery.New(cfg)
	return f
}

func (f *fixture) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	go func() { defer close(f.done); f.d.Run(ctx) }()
	t.Cleanup(f.stop)
}

func (f *fixture) stop() {
	if f.cancel != nil {
		f.cancel()
		<-f.done
		f.cancel = nil
	}
	_ = f.st.Close()
}

func (f *fixture) enqueue(t *testing.T, id, url string) {
	t.Helper()
	f.enqueueTo(t, id, "wh1", url)
}

func (f *fixture) enqueueTo(t *testing.T, id, webhook, url string) {
	t.Helper()
	body, err := json.Marshal(delivery.Event{ID: id, Type: "status_changed", CreatedAt: f.clock.Now().Format(time.RFC3339), Data: json.RawMessage(`{"id":"call1","status":"completed"}`)})
	require.NoError(t, err)
	require.NoError(t, f.st.Write(context.Background(), func(tx *store.Tx) error {
		return f.d.Enqueue(tx, delivery.Delivery{ID: id, Tenant: "p1", Webhook: webhook, URL: url, Event: "status_changed", Subject: "call-" + id,
			Body: body, NextAt: f.clock.Now(), CreatedAt: f.clock.Now()})
	}))
	f.d.Wake()
}

func next(t *testing.T, got chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
		return received{}
	}
}

// settled waits for a delivery to reach a state after n attempts.
func settled(t *testing.T, f *fixture, id string, state delivery.State, n int) delivery.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all, err := f.d.List(context.Background(), delivery.Filter{})
		require.NoError(t, err)
		for _, del := range all {
			if del.ID == id && del.State == state && len(del.Attempts) == n {
				return del
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s never became %s: %+v", id, state, all)
		}
		f.d.Wake()
		time.Sleep(5 * time.Millisecond) // polling a state another goroutine writes, not timing
	}
}

func TestDeliveredSignedOnce(t *testing.T) {
	srv, got := receiver(t, http.StatusNoContent)
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{})
	f.run(t)
	f.enqueue(t, "d1", srv.URL)
	r := next(t, got)
	require.NoError(t, delivery.Verify(r.header.Get(delivery.Header), "s3cret", r.body, f.clock.Now(), 5*time.Minute))
	assert.ErrorIs(t, delivery.Verify(r.header.Get(delivery.Header), "other", r.body, f.clock.Now(), 0), delivery.ErrSignature)
	assert.Equal(t, "d1", r.header.Get("Diga-Delivery"))
	assert.Equal(t, "status_changed", r.header.Get("Diga-Event"))
	var ev delivery.Event
	require.NoError(t, json.Unmarshal(r.body, &ev))
	assert.Equal(t, "d1", ev.ID)
	assert.JSONEq(t, `{"id":"call1","status":"completed"}`, string(ev.Data))
	del := settled(t, f, "d1", delivery.Delivered, 1)
	assert.Equal(t, http.StatusNoContent, del.Attempts[0].Status)
	select {
	case r := <-got:
		t.Fatalf("delivered twice: %s", r.body)
	default:
	}
}

// TestRetriedOnTheClock: a receiver that answers 500 twice gets the event
// on the third attempt, each after the backoff on the server's clock.
func TestRetriedOnTheClock(t *testing.T) {
	srv, got := receiver(t, 500, 500, 200)
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{})
	f.run(t)
	f.enqueue(t, "d1", srv.URL)
	next(t, got)
	del := settled(t, f, "d1", delivery.Pending, 1)
	assert.Equal(t, f.clock.Now().Add(time.Minute), del.NextAt, "the first backoff")
	f.clock.Advance(time.Minute)
	f.d.Wake()
	next(t, got)
	settled(t, f, "d1", delivery.Pending, 2)
	f.clock.Advance(2 * time.Minute)
	f.d.Wake()
	r := next(t, got)
	require.NoError(t, delivery.Verify(r.header.Get(delivery.Header), "s3cret", r.body, f.clock.Now(), time.Minute))
	del = settled(t, f, "d1", delivery.Delivered, 3)
	assert.Equal(t, []int{500, 500, 200}, []int{del.Attempts[0].Status, del.Attempts[1].Status, del.Attempts[2].Status})
}

func TestAttemptsRunOut(t *testing.T) {
	srv, got := receiver(t, 503)
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{Backoff: []time.Duration{time.Second}})
	f.run(t)
	f.enqueue(t, "d1", srv.URL)
	next(t, got)
	settled(t, f, "d1", delivery.Pending, 1)
	f.clock.Advance(time.Second)
	f.d.Wake()
	next(t, got)
	settled(t, f, "d1", delivery.Failed, 2)

	// Redelivered, it is tried afresh: as many attempts again.
	_, err := f.d.Redeliver(context.Background(), "d1")
	require.NoError(t, err)
	next(t, got)
	settled(t, f, "d1", delivery.Pending, 3)
	f.clock.Advance(time.Second)
	f.d.Wake()
	next(t, got)
	del := settled(t, f, "d1", delivery.Failed, 4) // the past attempts stay in the record
	assert.Equal(t, 2, del.Round)
	_, err = f.d.Redeliver(context.Background(), "nope")
	assert.ErrorIs(t, err, delivery.ErrNotFound)
}

func TestRefusedAndSlowReceivers(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so that the server notices the client hang up
		select {                  // never answers in time
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	fast, got := receiver(t, 200)

	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{Timeout: 200 * time.Millisecond})
	f.run(t)
	f.enqueue(t, "slow", slow.URL)
	f.enqueue(t, "refused", refusedURL)
	f.enqueue(t, "bad", "::not a url")
	f.enqueue(t, "fast", fast.URL)
	next(t, got)
	settled(t, f, "fast", delivery.Delivered, 1)
	for _, id := range []string{"slow", "refused", "bad"} {
		del := settled(t, f, id, delivery.Pending, 1)
		assert.Equal(t, 0, del.Attempts[0].Status, id)
		assert.NotEmpty(t, del.Attempts[0].Error, id)
	}
}

// TestHungReceiverHoldsOnlyItsOwn: a receiver that never answers takes at
// most its webhook's bound of attempts, and another webhook's delivery goes
// out at once beside them.
func TestHungReceiverHoldsOnlyItsOwn(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	open, most := 0, 0
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		open++
		most = max(most, open)
		mu.Unlock()
		defer func() { mu.Lock(); open--; mu.Unlock() }()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hung.Close)
	fast, got := receiver(t, 200)

	// Attempts time out long after next gives up: the fast delivery can
	// arrive in time only if the hung ones leave it a slot.
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{Timeout: time.Minute, Parallel: 2})
	f.secrets["hung"] = "s3cret"
	for i := range 12 {
		f.enqueueTo(t, "h"+strconv.Itoa(i), "hung", hung.URL)
	}
	f.run(t)
	t.Cleanup(func() { close(release) }) // before the dispatcher's stop waits for its attempts
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return open == 2 }, 10*time.Second, 10*time.Millisecond)
	f.enqueue(t, "fast", fast.URL)
	next(t, got)
	settled(t, f, "fast", delivery.Delivered, 1)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, most, "the hung webhook's attempts in flight")
}

func TestRotatedSecretAndDeletedWebhook(t *testing.T) {
	srv, got := receiver(t, 500, 200)
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{})
	f.run(t)
	f.enqueue(t, "d1", srv.URL)
	next(t, got)
	settled(t, f, "d1", delivery.Pending, 1)
	f.mu.Lock()
	f.secrets["wh1"] = "rotated"
	f.mu.Unlock()
	f.clock.Advance(time.Minute)
	f.d.Wake()
	r := next(t, got)
	require.NoError(t, delivery.Verify(r.header.Get(delivery.Header), "rotated", r.body, f.clock.Now(), 0), "signed with the new secret at once")
	assert.ErrorIs(t, delivery.Verify(r.header.Get(delivery.Header), "s3cret", r.body, f.clock.Now(), 0), delivery.ErrSignature)

	f.mu.Lock()
	delete(f.secrets, "wh1")
	f.mu.Unlock()
	f.enqueue(t, "d2", srv.URL)
	del := settled(t, f, "d2", delivery.Cancelled, 1)
	assert.Equal(t, "the webhook was deleted", del.Attempts[0].Error)
}

// TestOutboxOutlivesTheProcess: deliveries enqueued by a dispatcher that
// never ran are sent by the next one on the same file.
func TestOutboxOutlivesTheProcess(t *testing.T) {
	srv, got := receiver(t, 200)
	path := filepath.Join(t.TempDir(), "db")
	f := newFixture(t, path, delivery.Config{})
	f.enqueue(t, "d1", srv.URL)
	f.enqueue(t, "d2", srv.URL)
	f.stop()

	g := newFixture(t, path, delivery.Config{})
	g.run(t)
	ids := map[string]bool{}
	for range 2 {
		var ev delivery.Event
		require.NoError(t, json.Unmarshal(next(t, got).body, &ev))
		ids[ev.ID] = true
	}
	assert.Equal(t, map[string]bool{"d1": true, "d2": true}, ids)
}

func TestVerify(t *testing.T) {
	at := time.Unix(1769076000, 0)
	body := []byte(`{"id":"d1"}`)
	h := delivery.Sign("k", at, body)
	assert.Regexp(t, `^t=1769076000,v1=[0-9a-f]{64}$`, h)
	cases := []struct {
		name   string
		header string
		now    time.Time
		want   error
	}{
		{"good", h, at, nil},
		{"several v1, one good", "v1=00," + h, at, nil},
		{"tampered", h[:len(h)-1] + "0", at, delivery.ErrSignature},
		{"too old", h, at.Add(10 * time.Minute), delivery.ErrTooOld},
		{"from the future", h, at.Add(-10 * time.Minute), delivery.ErrTooOld},
		{"empty", "", at, delivery.ErrNoSignature},
		{"no timestamp", "v1=ab", at, delivery.ErrNoSignature},
		{"bad timestamp", "t=x,v1=ab", at, delivery.ErrNoSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := delivery.Verify(tc.header, "k", body, tc.now, 5*time.Minute)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.True(t, errors.Is(err, tc.want), "%v", err)
		})
	}
}

func FuzzVerify(f *testing.F) {
	at := time.Unix(1769076000, 0)
	f.Add(delivery.Sign("k", at, []byte("{}")), []byte("{}"))
	f.Add("t=,v1=", []byte(""))
	f.Add("t=99999999999999999999,v1=zz", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := delivery.Verify(header, "k", body, at, time.Minute)
		if err == nil && header != delivery.Sign("k", at, body) {
			// Only a header holding the right v1 for this body verifies.
			require.Contains(t, header, delivery.Sign("k", at, body)[len("t=1769076000,"):])
		}
	})
}

// BenchmarkDeliver measures delivery throughput end to end: enqueued in
// the database, signed, POSTed over loopback to a receiver that answers
// 204, and recorded as delivered.
func BenchmarkDeliver(b *testing.B) {
	var n sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		n.Done()
	}))
	defer srv.Close()
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "db"), store.Options{})
	require.NoError(b, err)
	defer st.Close()
	now := time.Date(2026, 1, 22, 10, 0, 0, 0, time.UTC)
	d := delivery.New(delivery.Config{Store: st, Collection: "diga/_deliveries", Now: func() time.Time { return now },
		Keep: b.N + 1, Secret: func(context.Context, string, string) (string, bool, error) { return "s3cret", true, nil }})
	body := []byte(`{"id":"d","type":"status_changed","created_at":"2026-01-22T10:00:00Z","data":{"id":"call1","status":"completed"}}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	b.ResetTimer()
	n.Add(b.N)
	for i := 0; i < b.N; i++ {
		id := "d" + strconv.Itoa(i)
		require.NoError(b, st.Write(ctx, func(tx *store.Tx) error {
			return d.Enqueue(tx, delivery.Delivery{ID: id, Tenant: "p1", Webhook: "wh1", URL: srv.URL, Event: "status_changed", Body: body, NextAt: now, CreatedAt: now})
		}))
		d.Wake()
	}
	n.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// TestOneAtATimePerSubject: deliveries about one record reach a webhook in
// the order they were made, a retry holding back what follows it.
func TestOneAtATimePerSubject(t *testing.T) {
	srv, got := receiver(t, 500, 200)
	f := newFixture(t, filepath.Join(t.TempDir(), "db"), delivery.Config{})
	f.run(t)
	for _, id := range []string{"d1", "d2"} {
		body, err := json.Marshal(delivery.Event{ID: id, Type: "status_changed", Data: json.RawMessage(`{}`)})
		require.NoError(t, err)
		require.NoError(t, f.st.Write(context.Background(), func(tx *store.Tx) error {
			return f.d.Enqueue(tx, delivery.Delivery{ID: id, Tenant: "p1", Webhook: "wh1", URL: srv.URL, Event: "status_changed",
				Subject: "call1", Body: body, NextAt: f.clock.Now(), CreatedAt: f.clock.Now()})
		}))
	}
	f.d.Wake()
	first := next(t, got)
	settled(t, f, "d1", delivery.Pending, 1)
	assert.Contains(t, string(first.body), `"d1"`)
	select {
	case r := <-got:
		t.Fatalf("d2 went out while d1 waits for its retry: %s", r.body)
	default:
	}
	f.clock.Advance(time.Minute)
	f.d.Wake()
	assert.Contains(t, string(next(t, got).body), `"d1"`)
	assert.Contains(t, string(next(t, got).body), `"d2"`)
}
