package contracttests

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	callClockStart  = "2026-01-22T10:00:00Z"
	eventualTimeout = 10 * time.Second
)

// callSetup is a Diga project ready to call: a webhook on a receiver, and
// the demo phone making its calls with a launched version of the fixture
// agent.
type callSetup struct {
	tg      *target
	c       client
	rcv     *agentmocktest.Receiver
	webhook string
	secret  string // as the webhook's create answered it
	version string
}

func newCallSetup(t *testing.T, opts ...agentmocktest.Option) callSetup {
	t.Helper()
	inProcessOnly(t)
	at, err := time.Parse(time.RFC3339, callClockStart)
	require.NoError(t, err)
	tg := start(t, append([]agentmocktest.Option{agentmocktest.WithClock(at)}, opts...)...)
	c := tg.diga(t)
	rcv := agentmocktest.NewReceiver(t)
	wh := c.do("POST", "/v1/webhook/", `{"url":"`+rcv.URL+`","subscribed_events":["status_changed"]}`).must(t, tg.status(t, "POST /v1/webhook/"))
	secret, _ := wh.json["secret"].(string)
	require.NotEmpty(t, secret, "%s", wh.raw)
	rcv.SetSecret(secret)
	v := launched(t, c)
	c.do("PATCH", "/v1/phone/"+digaDemoPhone, `{"outbound_version_id":"`+v+`","inbound_version_id":"`+v+`"}`).must(t, http.StatusOK)
	return callSetup{tg: tg, c: c, rcv: rcv, webhook: wh.json["id"].(string), secret: secret, version: v}
}

func (s callSetup) call(t *testing.T, to string) string {
	t.Helper()
	r := s.c.do("POST", "/v1/call/", `{"from_number":"`+digaDemoNumber+`","to_number":"`+to+`"}`).must(t, s.tg.status(t, "POST /v1/call/"))
	assert.Equal(t, "dialing", r.json["status"])
	assert.Equal(t, "outbound", r.json["type"])
	assert.Equal(t, s.version, r.json["agent_version_id"], "the phone's outbound version")
	return id(t, r, "id")
}

// next waits for the next event and checks it is about the call.
func (s callSetup) next(t *testing.T, call, status string) agentmocktest.Event {
	t.Helper()
	ev := s.rcv.Next(t, eventualTimeout)
	assert.Equal(t, "status_changed", ev.Type)
	assert.Equal(t, call, ev.Data["id"], "%s", ev.Body)
	assert.Equal(t, status, ev.Data["status"], "%s", ev.Body)
	return ev
}

// delivered waits until n of the call's deliveries are recorded as
// delivered: the receiver holds an event before the dispatcher has recorded
// the receiver's answer to it, and a test that reads the deliveries once it
// has the event would race the record.
func (s callSetup) delivered(t *testing.T, call string, n int) {
	t.Helper()
	deadline := time.Now().Add(eventualTimeout)
	for {
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		s.tg.srv.Control(t, agentmocktest.Diga, "GET", "/_mock/deliveries?subject="+call+"&state=delivered", nil, &page)
		if len(page.Items) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the call's deliveries recorded as delivered within %s, not %d", len(page.Items), eventualTimeout, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOutboundCall follows a call from POST /v1/call/ to its completed
// webhook on a fixed clock: each status on the server's clock, each change
// a signed status_changed event whose data is the call as GET answers it.
func TestOutboundCall(t *testing.T) {
	s := newCallSetup(t)
	id := s.call(t, "+34600123456")
	s.next(t, id, "dialing")

	s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing)
	got := s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "in_progress", got.json["status"], "the clock moved it before answering")
	assert.Equal(t, "2026-01-22T10:00:02Z", strings.Replace(got.json["start_time"].(string), ".000000", "", 1))
	s.next(t, id, "in_progress")

	s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultTalk)
	done := s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "completed", done.json["status"])
	assert.Equal(t, 8.0, done.json["duration"])
	assert.NotEmpty(t, done.json["end_time"])
	assert.NotEmpty(t, done.json["recording_url"])
	ev := s.next(t, id, "completed")
	assert.Equal(t, done.json["recording_url"], ev.Data["recording_url"], "the event holds the call as GET answers it")

	msgs := s.c.do("GET", "/v1/call/"+id+"/message", nil).must(t, http.StatusOK)
	assert.Len(t, msgs.json["data"], 3)
	assert.Contains(t, string(msgs.raw), "receptionist", "the agent's answer follows the version's prompt")
	rec := s.c.do("GET", "/v1/recording/"+id, nil).must(t, http.StatusOK)
	assert.Contains(t, string(rec.raw), id)

	list := s.c.do("GET", "/v1/call/?status=completed", nil).must(t, http.StatusOK)
	assert.Contains(t, string(list.raw), id)
	s.c.withKey(s.tg.digaOther).do("GET", "/v1/call/"+id, nil).must(t, http.StatusNotFound)

	// The deliveries are listed, each taken at the first attempt.
	var out struct {
		Items []struct {
			State    string `json:"state"`
			Subject  string `json:"subject"`
			Attempts []struct {
				Status int `json:"status"`
			} `json:"attempts"`
		} `json:"items"`
	}
	s.delivered(t, id, 3)
	s.tg.srv.Control(t, agentmocktest.Diga, "GET", "/_mock/deliveries?subject="+id, nil, &out)
	require.Len(t, out.Items, 3)
	for _, d := range out.Items {
		assert.Equal(t, "delivered", d.State)
		assert.Equal(t, []struct {
			Status int `json:"status"`
		}{{http.StatusNoContent}}, d.Attempts)
	}
}

func TestCallOutcomes(t *testing.T) {
	s := newCallSetup(t)
	for _, tc := range []struct {
		to, status string
	}{
		{"+34600000001", "no_answer"},
		{"+34600000002", "failed"},
		{"+34600000003", "failed"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			id := s.call(t, tc.to)
			s.next(t, id, "dialing")
			s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing)
			r := s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK)
			assert.Equal(t, tc.status, r.json["status"])
			assert.Equal(t, 0.0, r.json["duration"], "never answered")
			assert.Nil(t, r.json["recording_url"])
			s.next(t, id, tc.status)
			s.c.do("GET", "/v1/recording/"+id, nil).must(t, http.StatusNotFound)
		})
	}
	t.Run("steered back to dialing", func(t *testing.T) {
		id := s.call(t, "+34600123456")
		s.next(t, id, "dialing")
		s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing)
		s.next(t, id, "in_progress")
		s.tg.srv.SteerCall(t, agentmocktest.Diga, id, "dialing", "")
		s.next(t, id, "dialing")
		s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing)
		s.next(t, id, "in_progress") // rings again, then is answered
		s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultTalk)
		s.next(t, id, "completed")
		r := s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK)
		assert.Equal(t, mock.DefaultTalk.Seconds(), r.json["duration"], "answered once more, for the whole talk")
	})
	t.Run("steered to transferred", func(t *testing.T) {
		id := s.call(t, "+34600123456")
		s.next(t, id, "dialing")
		s.tg.srv.SteerCall(t, agentmocktest.Diga, id, "in_progress", "")
		s.next(t, id, "in_progress")
		s.tg.srv.SteerCall(t, agentmocktest.Diga, id, "", "transferred")
		s.next(t, id, "transferred")
		assert.Equal(t, "transferred", s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK).json["status"])
		s.tg.srv.Advance(t, agentmocktest.Diga, time.Minute)
		assert.Equal(t, "transferred", s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK).json["status"], "the plan was dropped")
	})
}

// TestWebhookRetriesAndRotation: a receiver that answers 500 twice gets
// the event on the third attempt, after the backoff on the server's
// clock; a rotated secret signs the next delivery at once.
func TestWebhookRetriesAndRotation(t *testing.T) {
	s := newCallSetup(t)
	s.rcv.Fail(http.StatusInternalServerError, http.StatusInternalServerError)
	id := s.call(t, "+34600123456")
	assert.Equal(t, 500, s.rcv.Failed(t, eventualTimeout))
	s.tg.srv.Advance(t, agentmocktest.Diga, time.Second) // the first backoff
	assert.Equal(t, 500, s.rcv.Failed(t, eventualTimeout))
	s.tg.srv.Advance(t, agentmocktest.Diga, 2*time.Second) // the second
	old := s.next(t, id, "dialing")
	s.next(t, id, "in_progress") // due meanwhile, held back until dialing was taken

	var out struct {
		Items []struct {
			Attempts []struct {
				Status int `json:"status"`
			} `json:"attempts"`
		} `json:"items"`
	}
	s.delivered(t, id, 1)
	s.tg.srv.Control(t, agentmocktest.Diga, "GET", "/_mock/deliveries?subject="+id+"&state=delivered", nil, &out)
	require.NotEmpty(t, out.Items)
	assert.Len(t, out.Items[0].Attempts, 3, "taken at the third attempt")

	var rotated struct {
		Secret string `json:"secret"`
	}
	s.tg.srv.Control(t, agentmocktest.Diga, "POST", "/_mock/webhooks/"+s.webhook+"/rotate", nil, &rotated)
	s.rcv.SetSecret(rotated.Secret)
	s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultTalk)
	ev := s.next(t, id, "completed") // the receiver verified it with the new secret
	require.NoError(t, delivery.Verify(old.Header.Get(delivery.Header), s.secret, old.Body, time.Time{}, 0))
	assert.ErrorIs(t, delivery.Verify(ev.Header.Get(delivery.Header), s.secret, ev.Body, time.Time{}, 0), delivery.ErrSignature,
		"the old secret stops signing at once")
	ctl(t, s.tg.digaURL).do("POST", "/_mock/webhooks/0f0f0f0f-0000-4000-8000-000000000000/rotate", nil).must(t, http.StatusNotFound)
}

func TestInboundDigaCall(t *testing.T) {
	s := newCallSetup(t)
	id := s.tg.srv.InboundCall(t, agentmocktest.Diga, digaDemoNumber, "+34699111222")
	s.next(t, id, "dialing")
	r := s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "inbound", r.json["type"])
	assert.Equal(t, s.version, r.json["agent_version_id"], "the number's inbound version")
	s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing+mock.DefaultTalk)
	assert.Equal(t, "completed", s.c.do("GET", "/v1/call/"+id, nil).must(t, http.StatusOK).json["status"])
	s.c.withKey(s.tg.digaOther).do("GET", "/v1/call/"+id, nil).must(t, http.StatusNotFound)
}

// TestCallsAreRepeatable: with --seed and a fixed clock, the same calls
// deliver the same bytes, signatures included, every run.
func TestCallsAreRepeatable(t *testing.T) {
	run := func() []string {
		s := newCallSetup(t, agentmocktest.WithSeed(42))
		id := s.call(t, "+34600123456")
		// The first event is signed when it is sent: it must be sent before
		// the clock moves, or its signature's time is the later one (seen
		// once, with two suites sharing the two cores).
		ev := s.next(t, id, "dialing")
		out := []string{ev.Header.Get("Diga-Signature") + " " + string(ev.Body)}
		s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing+mock.DefaultTalk)
		for _, status := range []string{"in_progress", "completed"} {
			ev := s.next(t, id, status)
			out = append(out, ev.Header.Get("Diga-Signature")+" "+string(ev.Body))
		}
		return out
	}
	assert.Equal(t, run(), run())
}

// TestInboundConversation: on itellico a caller's call to one of the
// account's numbers is a conversation of the number's inbound agent, in
// progress, then completed with its transcript, and counted in usage.
func TestInboundConversation(t *testing.T) {
	inProcessOnly(t)
	at, err := time.Parse(time.RFC3339, callClockStart)
	require.NoError(t, err)
	tg := start(t, agentmocktest.WithClock(at))
	c := tg.itellico(t)
	id := tg.srv.InboundCall(t, agentmocktest.Itellico, "+4930555000", "+4930111222")
	r := c.do("GET", itlMe+"/conversations?conversation_id="+id, nil).must(t, http.StatusOK)
	require.Equal(t, 1.0, r.json["count"], "%s", r.raw)
	assert.Equal(t, "in_progress", r.path("items.0.status"))
	assert.Equal(t, itlAgent, r.path("items.0.agent_id"))
	assert.Equal(t, "Customer Support Agent", r.path("items.0.agent_name"))
	assert.Equal(t, "+4930111222", r.path("items.0.contact_number"))
	assert.Equal(t, itlNumber, r.path("items.0.phone_number_id"))

	tg.srv.Advance(t, agentmocktest.Itellico, mock.DefaultTalk)
	r = c.do("GET", itlMe+"/conversations?conversation_id="+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "completed", r.path("items.0.status"))
	assert.Equal(t, 8.0, r.path("items.0.duration_seconds"))
	assert.Len(t, r.path("items.0.messages"), 3)
	u := c.do("GET", itlMe+"/analytics/usage?start=2026-01-22T00:00:00Z&end=2026-01-23T00:00:00Z", nil).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"conversations": 1.0, "seconds": 8.0}, u.path("data.0.values.0"))

	r = ctl(t, tg.itellicoURL).do("POST", "/_mock/calls/"+id, `{"status":"ringing"}`).must(t, http.StatusUnprocessableEntity)
	assert.Contains(t, string(r.raw), "in_progress, completed, failed, transferred", "the statuses of the document served")

	// Steered back in progress, it ends again after another talk.
	tg.srv.SteerCall(t, agentmocktest.Itellico, id, "in_progress", "")
	r = c.do("GET", itlMe+"/conversations?conversation_id="+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "in_progress", r.path("items.0.status"))
	assert.Nil(t, r.path("items.0.duration_seconds"))
	tg.srv.Advance(t, agentmocktest.Itellico, mock.DefaultTalk)
	r = c.do("GET", itlMe+"/conversations?conversation_id="+id, nil).must(t, http.StatusOK)
	assert.Equal(t, "completed", r.path("items.0.status"))
	assert.Equal(t, 16.0, r.path("items.0.duration_seconds"), "from its start")
	assert.Equal(t, 0.0, c.withKey(tg.itlOther).do("GET", itlMe+"/conversations?conversation_id="+id, nil).must(t, http.StatusOK).json["count"])

	req, _ := http.NewRequest("POST", tg.itellicoURL+"/_mock/calls/inbound", strings.NewReader(`{"to_number":"+1000","from_number":"+2"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "a number no account has")
}

// TestCallsHostile: a webhook URL that is not one is refused; a receiver
// that never answers does not hold the API up; a call to steer that does
// not exist is a 404.
func TestCallsHostile(t *testing.T) {
	s := newCallSetup(t)
	for _, u := range []string{"not a url", "http://", "/relative"} {
		r := s.c.do("POST", "/v1/webhook/", `{"url":"`+u+`","subscribed_events":["status_changed"]}`).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, []any{"body", "url"}, r.path("detail.0.loc"), u)
	}
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	s.c.do("POST", "/v1/webhook/", `{"url":"`+hang.URL+`","subscribed_events":["status_changed"]}`).must(t, s.tg.status(t, "POST /v1/webhook/"))
	started := time.Now()
	for range 20 {
		s.call(t, "+34600123456")
	}
	assert.Less(t, time.Since(started), 5*time.Second, "a receiver that never answers does not slow the API")
	// The healthy receiver gets every one of its events before any attempt
	// to the hung one has timed out (--webhook-timeout, 5 s): the attempts
	// in flight are bounded per webhook, so the hung one holds only its own.
	for range 20 {
		ev := s.rcv.Next(t, eventualTimeout)
		assert.Equal(t, "dialing", ev.Data["status"])
	}
	assert.Less(t, time.Since(started), 5*time.Second, "the healthy receiver's events waited for the hung one's")

	req, err := http.NewRequest("POST", s.tg.digaURL+"/_mock/calls/"+digaNowhere, strings.NewReader(`{"status":"in_progress"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

// TestManyCalls: ten thousand calls in a loop, then the clock past their
// end: every one completes, and the heap stays bounded.
func TestManyCalls(t *testing.T) {
	testenv.Slow(t)
	s := newCallSetup(t)
	const n = 10000
	for range n {
		s.c.do("POST", "/v1/call/", `{"from_number":"`+digaDemoNumber+`","to_number":"+34600123456"}`).must(t, s.tg.status(t, "POST /v1/call/"))
	}
	s.tg.srv.Advance(t, agentmocktest.Diga, mock.DefaultRing+mock.DefaultTalk)
	r := s.c.do("GET", "/v1/call/?status=completed&limit=1&page=1", nil).must(t, http.StatusOK)
	assert.Equal(t, float64(n), r.json["total_pages"], "every call completed")
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	assert.Less(t, m.HeapAlloc, uint64(512<<20), "heap after %d calls", n)
	t.Logf("%d calls: heap %d MB after; %d events waiting at the receiver", n, m.HeapAlloc>>20, s.rcv.Len())
}
