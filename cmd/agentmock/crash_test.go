package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashWriter is one goroutine's sequential writes: it sends write n only
// after write n-1 was acknowledged, so after a crash the store holds exactly
// the writes up to acked, or up to acked+1 when that one was in flight.
type crashWriter struct {
	sent, acked int // -1: none
	failure     string
}

func newCrashWriters(n int) []*crashWriter {
	ws := make([]*crashWriter, n)
	for i := range ws {
		ws[i] = &crashWriter{sent: -1, acked: -1}
	}
	return ws
}

// run sends writes until the process dies (a transport error) or stop is
// closed. A status other than 200, or a 200 that does not show the write,
// is a failure.
func (w *crashWriter) run(stop <-chan struct{}, send func(n int) result, shows func(n int, body []byte) bool) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		w.sent = n
		r := send(n)
		if r.err != nil {
			return // killed: this write may or may not have been committed
		}
		if r.status != http.StatusOK || !shows(n, r.body) {
			w.failure = fmt.Sprintf("write %d: %d %s", n, r.status, r.body)
			return
		}
		w.acked = n
	}
}

// allows reports whether write m may be the last one in the store: the last
// acknowledged, or the one unacknowledged write sent when the process died.
func (w *crashWriter) allows(m int) bool { return m == w.acked || (m == w.acked+1 && w.sent == m) }

// crashRound is what one round wrote before its SIGKILL.
type crashRound struct {
	n         int
	delay     time.Duration
	itlAgent  string         // created (acknowledged) before the load
	digaAgent string         // likewise
	itl       []*crashWriter // metadata keys k<g>_<n> = n on itlAgent
	diga      []*crashWriter // digaFields[g] = "w<g>-<n>" on digaAgent
	creator   *crashWriter   // itellico agents named r<round>-c<n>
	created   []string       // ids of the acknowledged creates, by n
}

var crashDigaFields = []string{"name", "description", "prompt", "greeting"}

// killDelay spreads the rounds' kill times over 20–300 ms after the load
// starts, in a scrambled order.
func killDelay(r, rounds int) time.Duration {
	step := (r * 7) % rounds // 7 is prime to rounds (24)
	return time.Duration(20+step*280/(rounds-1)) * time.Millisecond
}

// TestCrashSafety drives concurrent PATCHes and creates against the real
// binary (fsync on, the default), SIGKILLs it mid-load at a different time
// each round, restarts it on the same file and checks that it starts and
// that every acknowledged write of every round so far is there.
func TestCrashSafety(t *testing.T) {
	testenv.Slow(t)
	bin := buildAgentmock(t)
	db := filepath.Join(t.TempDir(), "crash.db")
	const rounds, itlWriters, digaWriters = 24, 8, 4

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	began := time.Now()
	p := startProcess(t, bin, db, nil)
	var history []*crashRound
	var st crashStats
	for r := range rounds {
		rd := &crashRound{n: r, delay: killDelay(r, rounds)}
		m := p.itellico(client, "POST", itlAgentsPath, itlCreateBody(fmt.Sprintf("crash-r%d", r))).must(t, http.StatusCreated)
		rd.itlAgent = m["id"].(string)
		m = p.diga(client, "POST", "/v1/agent/", map[string]any{"voice_id": digaVoice, "language": "es"}).must(t, http.StatusCreated)
		rd.digaAgent = m["agent_id"].(string)
		rd.itl, rd.diga, rd.creator = newCrashWriters(itlWriters), newCrashWriters(digaWriters), newCrashWriters(1)[0]
		var created sync.Map

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g, w := range rd.itl {
			wg.Go(func() {
				w.run(stop, func(n int) result {
					return p.itellico(client, "PATCH", itlAgentsPath+"/"+rd.itlAgent,
						map[string]any{"metadata": map[string]any{fmt.Sprintf("k%d_%d", g, n): n}})
				}, func(n int, body []byte) bool {
					return bytes.Contains(body, fmt.Appendf(nil, `"k%d_%d":%d`, g, n, n))
				})
			})
		}
		for g, w := range rd.diga {
			wg.Go(func() {
				w.run(stop, func(n int) result {
					return p.diga(client, "PATCH", "/v1/agent/"+rd.digaAgent,
						map[string]any{crashDigaFields[g]: fmt.Sprintf("w%d-%d", g, n)})
				}, func(n int, body []byte) bool {
					return bytes.Contains(body, fmt.Appendf(nil, `"%s":"w%d-%d"`, crashDigaFields[g], g, n))
				})
			})
		}
		wg.Go(func() {
			rd.creator.run(stop, func(n int) result {
				res := p.itellico(client, "POST", itlAgentsPath, itlCreateBody(fmt.Sprintf("r%d-c%d", r, n)))
				if res.status == http.StatusCreated {
					var a struct{ ID, Name string }
					if json.Unmarshal(res.body, &a) == nil && a.Name == fmt.Sprintf("r%d-c%d", r, n) {
						created.Store(n, a.ID)
						res.status = http.StatusOK
					}
				}
				return res
			}, func(n int, _ []byte) bool { _, ok := created.Load(n); return ok })
		})

		time.Sleep(rd.delay)
		p.kill(t)
		close(stop)
		wg.Wait()
		for i, w := range append(append(append([]*crashWriter{}, rd.itl...), rd.diga...), rd.creator) {
			assert.Empty(t, w.failure, "round %d writer %d", r, i)
		}
		for n := 0; n <= rd.creator.acked; n++ {
			id, ok := created.Load(n)
			require.True(t, ok, "round %d: create %d acknowledged without an id", r, n)
			rd.created = append(rd.created, id.(string))
		}
		st.count(rd)

		p = startProcess(t, bin, db, nil) // the database must open after the kill
		history = append(history, rd)
		for i, h := range history {
			verifyCrashRound(t, p, client, h, &st, i == len(history)-1)
		}
		if t.Failed() {
			t.Fatalf("round %d (killed %s after the load began) lost writes; logs: %s", r, rd.delay, p.logs.String())
		}
		t.Logf("round %2d: killed %3d ms into the load; acknowledged itellico PATCHes per writer %v, Diga %v, creates %d",
			r, rd.delay.Milliseconds(), ackedOf(rd.itl), ackedOf(rd.diga), rd.creator.acked+1)
	}
	// The kills must have met writes on the way: otherwise nothing above
	// tested a crash mid-write.
	require.Positive(t, st.inFlight, "no write was in flight at any kill")
	verifyCrashLists(t, p, client, history, &st)
	require.NoError(t, p.terminate(t), "a clean exit after the last restart: %s", p.logs.String())
	rep := checkDBFile(t, db)

	t.Logf("%d SIGKILLs; acknowledged: %d itellico metadata PATCHes (each key checked), %d Diga PATCHes (the last per writer checked: %d), %d itellico creates, %d agents set up = %d acknowledged writes; %d writes unacknowledged at a kill (in flight, or refused once it died), %d of them found committed; %d checks in all over the restarts; the file (%d documents) passes bbolt's check and the index check; %s",
		rounds, st.itlPatches, st.digaPatches, st.digaLast, st.creates, st.agents,
		st.itlPatches+st.digaPatches+st.creates+st.agents, st.inFlight, st.inFlightCommitted, st.checks, rep.Docs, time.Since(began).Round(time.Millisecond))
}

func ackedOf(ws []*crashWriter) []int {
	out := make([]int, len(ws))
	for i, w := range ws {
		out[i] = w.acked + 1
	}
	return out
}

// crashStats are the test's figures.
type crashStats struct {
	itlPatches, digaPatches, digaLast, creates, agents int
	inFlight, inFlightCommitted                        int
	checks                                             int // acknowledged writes checked, over every restart
}

func (st *crashStats) count(rd *crashRound) {
	for _, w := range rd.itl {
		st.itlPatches += w.acked + 1
	}
	for _, w := range rd.diga {
		st.digaPatches += w.acked + 1
		if w.acked >= 0 {
			st.digaLast++
		}
	}
	st.creates += rd.creator.acked + 1
	st.agents += 2
	for _, w := range append(append([]*crashWriter{rd.creator}, rd.itl...), rd.diga...) {
		if w.sent > w.acked {
			st.inFlight++
		}
	}
}

// verifyCrashRound checks one round's writes against the restarted
// process, counting in st the acknowledged writes it checked and, the first
// time (just after the round's kill), the unacknowledged ones it found.
func verifyCrashRound(t *testing.T, p *mockProcess, c *http.Client, rd *crashRound, st *crashStats, first bool) {
	t.Helper()
	checks := 0
	committed := func(w *crashWriter, last int) {
		if first && last == w.acked+1 {
			st.inFlightCommitted++
		}
	}
	m := p.itellico(c, "GET", itlAgentsPath+"/"+rd.itlAgent, nil).must(t, http.StatusOK)
	checks++
	meta, _ := m["metadata"].(map[string]any)
	seen := make([][]int, len(rd.itl))
	for k, v := range meta {
		var g, n int
		if _, err := fmt.Sscanf(k, "k%d_%d", &g, &n); err != nil || g < 0 || g >= len(rd.itl) {
			t.Errorf("round %d: unexpected metadata key %q", rd.n, k)
			continue
		}
		assert.Equal(t, float64(n), v, "round %d: metadata %s", rd.n, k)
		seen[g] = append(seen[g], n)
	}
	for g, w := range rd.itl {
		sort.Ints(seen[g])
		top := len(seen[g]) - 1
		for i, n := range seen[g] {
			if n != i {
				t.Errorf("round %d writer k%d: keys %v have a gap (acknowledged up to %d)", rd.n, g, seen[g], w.acked)
				break
			}
		}
		if !w.allows(top) {
			t.Errorf("round %d writer k%d: keys up to %d stored, acknowledged up to %d, sent up to %d", rd.n, g, top, w.acked, w.sent)
		}
		committed(w, top)
		checks += w.acked + 1
	}

	m = p.diga(c, "GET", "/v1/agent/"+rd.digaAgent, nil).must(t, http.StatusOK)
	checks++
	for g, w := range rd.diga {
		got := m[crashDigaFields[g]]
		stored := -1
		if s, ok := got.(string); ok {
			n, err := strconv.Atoi(strings.TrimPrefix(s, fmt.Sprintf("w%d-", g)))
			if err != nil {
				t.Errorf("round %d: %s is %q", rd.n, crashDigaFields[g], s)
				continue
			}
			stored = n
		} else if got != nil {
			t.Errorf("round %d: %s is %v", rd.n, crashDigaFields[g], got)
			continue
		}
		if !w.allows(stored) {
			t.Errorf("round %d: %s holds write %d, acknowledged up to %d, sent up to %d", rd.n, crashDigaFields[g], stored, w.acked, w.sent)
		}
		committed(w, stored)
		if w.acked >= 0 {
			checks++
		}
	}

	for n, id := range rd.created {
		m := p.itellico(c, "GET", itlAgentsPath+"/"+id, nil).must(t, http.StatusOK)
		assert.Equal(t, fmt.Sprintf("r%d-c%d", rd.n, n), m["name"])
		checks++
	}
	st.checks += checks
}

// verifyCrashLists walks both providers' agent lists after the last
// restart: every acknowledged agent is listed once, and every listed agent
// a round created was acknowledged or in flight when it was killed.
func verifyCrashLists(t *testing.T, p *mockProcess, c *http.Client, history []*crashRound, st *crashStats) {
	t.Helper()
	listed := map[string]string{} // id -> name
	for offset := 0; ; offset += 100 {
		m := p.itellico(c, "GET", fmt.Sprintf("%s?limit=100&offset=%d", itlAgentsPath, offset), nil).must(t, http.StatusOK)
		items, _ := m["items"].([]any)
		for _, it := range items {
			a := it.(map[string]any)
			id := a["id"].(string)
			_, dup := listed[id]
			require.False(t, dup, "itellico lists %s twice", id)
			name, _ := a["name"].(string)
			listed[id] = name
		}
		if len(items) == 0 || offset+100 >= int(m["count"].(float64)) {
			require.Equal(t, int(m["count"].(float64)), len(listed), "count and the items walked")
			break
		}
	}
	byRound := map[int]*crashRound{}
	for _, h := range history {
		byRound[h.n] = h
		assert.Contains(t, listed, h.itlAgent)
		for _, id := range h.created {
			assert.Contains(t, listed, id)
		}
	}
	for id, name := range listed {
		var r, n int
		if _, err := fmt.Sscanf(name, "r%d-c%d", &r, &n); err != nil {
			continue
		}
		h := byRound[r]
		if assert.NotNil(t, h, "agent %s %q", id, name) {
			assert.True(t, h.creator.allows(n) || n <= h.creator.acked, "agent %s %q: round %d acknowledged creates up to %d, sent up to %d", id, name, r, h.creator.acked, h.creator.sent)
			if n == h.creator.acked+1 {
				st.inFlightCommitted++
			}
		}
	}

	seen := map[string]bool{}
	q := url.Values{"limit": {"100"}, "order": {"asc"}}
	for range 100 {
		m := p.diga(c, "GET", "/v1/agent/?"+q.Encode(), nil).must(t, http.StatusOK)
		data, _ := m["data"].([]any)
		for _, d := range data {
			id := d.(map[string]any)["agent_id"].(string)
			require.False(t, seen[id], "Diga lists %s twice", id)
			seen[id] = true
		}
		if m["has_more"] != true {
			break
		}
		q.Set("after", m["last_id"].(string))
	}
	for _, h := range history {
		assert.True(t, seen[h.digaAgent], "Diga agent of round %d listed", h.n)
	}
}
