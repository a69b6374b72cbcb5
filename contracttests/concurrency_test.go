package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const digaProject = "d1000000-0000-4000-8000-000000000001"

// send is do for goroutines: it never fails the test, and reports instead.
func (c client) send(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	v := c.key
	if c.header == "Authorization" {
		v = "Bearer " + c.key
	}
	req.Header.Set(c.header, v)
	res, err := concurrentClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

var concurrentClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64},
}

// failures collects what goroutines saw go wrong.
type failures struct {
	mu   sync.Mutex
	msgs []string
}

func (f *failures) add(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *failures) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) > 10 {
		f.msgs = append(f.msgs[:10], fmt.Sprintf("… and %d more", len(f.msgs)-10))
	}
	require.Empty(t, f.msgs)
}

// expect sends and records a failure unless the status is one of want; it
// returns the decoded body, nil for none.
func (f *failures) expect(c client, method, path string, body any, want ...int) map[string]any {
	status, raw, err := c.send(method, path, body)
	if err != nil {
		f.add("%s %s: %v", method, path, err)
		return nil
	}
	if !slices.Contains(want, status) {
		f.add("%s %s: %d, want %v: %s", method, path, status, want, truncate(string(raw)))
		return nil
	}
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) != nil {
		f.add("%s %s: body is not an object: %s", method, path, truncate(string(raw)))
	}
	return m
}

// TestItellicoTwoHundredConcurrentMetadataPatches sends 200 PATCHes at once,
// each adding its own metadata key: merge patch merges them, so every one
// must land.
func TestItellicoTwoHundredConcurrentMetadataPatches(t *testing.T) {
	c := start(t).itellico(t)
	path := agentsPath(itellicoAccount) + "/" + newItellicoAgent(t, c)
	const n = 200
	var fails failures
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-gate
			key := fmt.Sprintf("c%03d", i)
			m := fails.expect(c, "PATCH", path, map[string]any{"metadata": map[string]any{key: i}}, http.StatusOK)
			if meta, _ := m["metadata"].(map[string]any); m != nil && meta[key] != float64(i) {
				fails.add("PATCH %s: the answer shows metadata.%s = %v", key, key, meta[key])
			}
		})
	}
	close(gate)
	wg.Wait()
	fails.check(t)
	meta, _ := c.do("GET", path, nil).must(t, http.StatusOK).json["metadata"].(map[string]any)
	require.Len(t, meta, n, "every concurrent PATCH landed")
	for i := range n {
		assert.Equal(t, float64(i), meta[fmt.Sprintf("c%03d", i)])
	}
}

// digaWritableFields are draft fields a PATCH sets on their own, each with
// a value encoding a counter. Diga's update schema has no free-form object
// (arrays are replaced whole), so lost updates show as a field going back.
var digaWritableFields = []struct {
	name  string
	value func(w, n int) any
}{
	{"name", func(w, n int) any { return fmt.Sprintf("w%d-%d", w, n) }},
	{"description", func(w, n int) any { return fmt.Sprintf("w%d-%d", w, n) }},
	{"prompt", func(w, n int) any { return fmt.Sprintf("w%d-%d", w, n) }},
	{"greeting", func(w, n int) any { return fmt.Sprintf("w%d-%d", w, n) }},
	{"redirect_number", func(w, n int) any { return fmt.Sprintf("+3460%03d%04d", w, n) }},
	{"boosted_keywords", func(w, n int) any { return []any{fmt.Sprintf("w%d-%d", w, n)} }},
	{"reminder_messages", func(w, n int) any { return []any{fmt.Sprintf("w%d", w), fmt.Sprintf("n%d", n)} }},
	{"max_reminder_count", func(_, n int) any { return float64(n) }},
	{"reminder_frequency_ms", func(_, n int) any { return float64(1000 + n) }},
	{"time_before_start", func(_, n int) any { return float64(n) + 0.5 }},
}

// TestDigaConcurrentPatchesOnEveryField runs 200 PATCHes on one draft in two
// ways. Ten writers, one per field, each send 20 PATCHes in sequence, all
// writers at once: the draft must end with each writer's last value, which
// a lost update (a PATCH merging into a stale draft) would undo. Then 200
// PATCHes go at once, spread over the ten fields: each field must end with
// one of the values sent to it, and the draft must still read back.
func TestDigaConcurrentPatchesOnEveryField(t *testing.T) {
	c := start(t).diga(t)
	path := "/v1/agent/" + newDigaAgent(t, c)

	t.Run("a writer per field", func(t *testing.T) {
		const perWriter = 20
		var fails failures
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for w, f := range digaWritableFields {
			wg.Go(func() {
				<-gate
				for n := range perWriter {
					m := fails.expect(c, "PATCH", path, map[string]any{f.name: f.value(w, n)}, http.StatusOK)
					if m != nil && !equalJSON(m[f.name], f.value(w, n)) {
						fails.add("PATCH %s=%v answered %v", f.name, f.value(w, n), m[f.name])
					}
				}
			})
		}
		close(gate)
		wg.Wait()
		fails.check(t)
		got := c.do("GET", path, nil).must(t, http.StatusOK)
		for w, f := range digaWritableFields {
			assert.True(t, equalJSON(f.value(w, perWriter-1), got.json[f.name]), "%s: want %v, got %v", f.name, f.value(w, perWriter-1), got.json[f.name])
		}
	})

	t.Run("200 at once", func(t *testing.T) {
		const n = 200
		var fails failures
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range n {
			f := digaWritableFields[i%len(digaWritableFields)]
			wg.Go(func() {
				<-gate
				m := fails.expect(c, "PATCH", path, map[string]any{f.name: f.value(i, 100+i)}, http.StatusOK)
				if m != nil && !equalJSON(m[f.name], f.value(i, 100+i)) {
					fails.add("PATCH %s=%v answered %v", f.name, f.value(i, 100+i), m[f.name])
				}
			})
		}
		close(gate)
		wg.Wait()
		fails.check(t)
		got := c.do("GET", path, nil).must(t, http.StatusOK)
		for k, f := range digaWritableFields {
			found := false
			for i := k; i < n; i += len(digaWritableFields) {
				found = found || equalJSON(f.value(i, 100+i), got.json[f.name])
			}
			assert.True(t, found, "%s = %v was not sent to it", f.name, got.json[f.name])
		}
	})
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// TestDigaCreateDeleteRaces creates agents and deletes half of them (some
// twice at once) while others list, then checks that the list holds exactly
// the agents that exist, once each, in the store's creation order, and that
// the store's index matches its documents.
func TestDigaCreateDeleteRaces(t *testing.T) {
	inProcessOnly(t) // exact sets, and the store itself
	tg := start(t)
	c := tg.diga(t)
	baseline := digaWalk(t, c, 100)
	const n = 60

	var fails failures
	var mu sync.Mutex
	alive, gone := map[string]bool{}, map[string]bool{}
	listed := map[string]bool{}
	var creators, listers sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		listers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				m := fails.expect(c, "GET", "/v1/agent/?limit=100&order=asc", nil, http.StatusOK)
				data, _ := m["data"].([]any)
				page := map[string]bool{}
				for _, d := range data {
					id, _ := d.(map[string]any)["agent_id"].(string)
					if page[id] {
						fails.add("a list page shows %s twice", id)
					}
					page[id] = true
				}
				mu.Lock()
				for id := range page {
					listed[id] = true
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		creators.Go(func() {
			m := fails.expect(c, "POST", "/v1/agent/", map[string]any{"voice_id": voiceLucia, "language": "es"}, http.StatusCreated)
			id, _ := m["agent_id"].(string)
			if id == "" {
				return
			}
			switch i % 4 {
			case 0, 2: // kept
				mu.Lock()
				alive[id] = true
				mu.Unlock()
			case 1: // deleted
				fails.expect(c, "DELETE", "/v1/agent/"+id, nil, http.StatusNoContent, http.StatusOK)
				mu.Lock()
				gone[id] = true
				mu.Unlock()
			case 3: // deleted twice at once: one wins, the other finds nothing
				var wins sync.WaitGroup
				statuses := make([]int, 2)
				for k := range 2 {
					wins.Go(func() { statuses[k], _, _ = c.send("DELETE", "/v1/agent/"+id, nil) })
				}
				wins.Wait()
				sort.Ints(statuses)
				if !(statuses[1] == http.StatusNotFound && (statuses[0] == http.StatusOK || statuses[0] == http.StatusNoContent)) {
					fails.add("two DELETEs of %s answered %v: want one success and one 404", id, statuses)
				}
				mu.Lock()
				gone[id] = true
				mu.Unlock()
			}
		})
	}
	creators.Wait()
	close(stop)
	listers.Wait()
	fails.check(t)
	require.Len(t, alive, n/2)
	require.Len(t, gone, n/2)

	want := append([]string(nil), baseline...)
	for id := range alive {
		want = append(want, id)
	}
	walked := digaWalk(t, c, 7)
	assert.ElementsMatch(t, want, walked, "the list holds exactly the agents that exist")
	for id := range listed {
		assert.True(t, alive[id] || gone[id] || slices.Contains(baseline, id), "a list showed %s, which nobody created", id)
	}
	for id := range gone {
		c.do("GET", "/v1/agent/"+id, nil).must(t, http.StatusNotFound)
		c.do("GET", "/v1/agent/"+id+"/version", nil).must(t, http.StatusNotFound)
	}
	for id := range alive {
		r := c.do("GET", "/v1/agent/"+id+"/version", nil).must(t, http.StatusOK)
		assert.Len(t, agentIDs(r), 2, "version 1 and the draft of %s", id)
	}

	// The store agrees: its creation order is the list's, every indexed
	// record reads back by id at the same sequence, and no deleted agent
	// keeps versions.
	err := tg.srv.App.Store.View(context.Background(), func(tx *store.Tx) error {
		agents, err := tx.Dump("diga/agents")
		if err != nil {
			return err
		}
		var ids []string
		for _, r := range agents[digaProject] {
			ids = append(ids, r.ID)
			got, err := tx.Get("diga/agents", digaProject, r.ID)
			if assert.NoError(t, err, r.ID) {
				assert.Equal(t, r.Seq, got.Seq, r.ID)
			}
		}
		assert.Equal(t, walked, ids, "the API lists in the store's creation order")
		versions, err := tx.Dump("diga/versions")
		if err != nil {
			return err
		}
		for tenant, recs := range versions {
			agent := tenant[len(digaProject)+1:]
			assert.False(t, gone[agent], "deleted agent %s keeps %d versions", agent, len(recs))
		}
		for id := range alive {
			assert.Len(t, versions[digaProject+"/"+id], 1, "%s has version 1", id)
		}
		return nil
	})
	require.NoError(t, err)
	tg.srv.Close()
	checkStoreIndexes(t, tg.srv.DBPath)
}

// digaWalk pages through the demo project's agents oldest first with the
// after cursor, requiring no agent twice.
func digaWalk(t *testing.T, c client, limit int) []string {
	t.Helper()
	var ids []string
	q := url.Values{"order": {"asc"}, "limit": {fmt.Sprint(limit)}}
	for range 1000 {
		r := c.do("GET", "/v1/agent/?"+q.Encode(), nil).must(t, http.StatusOK)
		page := agentIDs(r)
		for _, id := range page {
			require.NotContains(t, ids, id, "listed twice")
		}
		ids = append(ids, page...)
		if r.json["has_more"] != true {
			return ids
		}
		q.Set("after", page[len(page)-1])
	}
	t.Fatal("the walk does not end")
	return nil
}

// TestItellicoCreateArchiveRaces creates agents and archives some of them
// (some twice at once, some then unarchived by a PATCH) while others list
// both views, then checks that the default list and the is_archived=true
// list hold exactly the active and the archived agents, once each, with
// counts to match, and that the store agrees.
func TestItellicoCreateArchiveRaces(t *testing.T) {
	inProcessOnly(t)
	tg := start(t)
	c := tg.itellico(t)
	baseActive, baseArchived := itlWalk(t, c, "", 100), itlWalk(t, c, "true", 100)
	const n = 60

	var fails failures
	var mu sync.Mutex
	active, archived := map[string]bool{}, map[string]bool{}
	var creators, listers sync.WaitGroup
	stop := make(chan struct{})
	for _, view := range []string{"", "&is_archived=true", "&offset=3"} {
		listers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				m := fails.expect(c, "GET", agentsPath("me")+"?limit=100"+view, nil, http.StatusOK)
				items, _ := m["items"].([]any)
				page := map[string]bool{}
				for _, it := range items {
					id, _ := it.(map[string]any)["id"].(string)
					if page[id] {
						fails.add("a list page%s shows %s twice", view, id)
					}
					page[id] = true
				}
				if count, _ := m["count"].(float64); m != nil && int(count) < len(items) {
					fails.add("count %v is below the %d items listed", count, len(items))
				}
			}
		})
	}
	for i := range n {
		creators.Go(func() {
			m := fails.expect(c, "POST", agentsPath("me"), json.RawMessage(itlMinimal), http.StatusCreated)
			id, _ := m["id"].(string)
			if id == "" {
				return
			}
			path := agentsPath("me") + "/" + id
			isArchived := true
			switch i % 6 {
			case 0, 4: // kept
				isArchived = false
			case 1, 5: // archived
				fails.expect(c, "DELETE", path, nil, http.StatusNoContent)
			case 2: // archived twice at once: both succeed
				var both sync.WaitGroup
				for range 2 {
					both.Go(func() { fails.expect(c, "DELETE", path, nil, http.StatusNoContent) })
				}
				both.Wait()
			case 3: // archived, then unarchived by a PATCH
				fails.expect(c, "DELETE", path, nil, http.StatusNoContent)
				fails.expect(c, "PATCH", path, map[string]any{"name": fmt.Sprintf("back %d", i)}, http.StatusOK)
				isArchived = false
			}
			mu.Lock()
			if isArchived {
				archived[id] = true
			} else {
				active[id] = true
			}
			mu.Unlock()
		})
	}
	creators.Wait()
	close(stop)
	listers.Wait()
	fails.check(t)
	require.Len(t, active, n/2)
	require.Len(t, archived, n/2)

	wantActive, wantArchived := append([]string(nil), baseActive...), append([]string(nil), baseArchived...)
	for id := range active {
		wantActive = append(wantActive, id)
	}
	for id := range archived {
		wantArchived = append(wantArchived, id)
	}
	gotActive, gotArchived := itlWalk(t, c, "", 9), itlWalk(t, c, "true", 9)
	assert.ElementsMatch(t, wantActive, gotActive, "the default list holds exactly the active agents")
	assert.ElementsMatch(t, wantArchived, gotArchived, "is_archived=true holds exactly the archived agents")
	for id := range archived {
		c.do("GET", agentsPath("me")+"/"+id, nil).must(t, http.StatusOK) // archived agents stay readable
	}

	err := tg.srv.App.Store.View(context.Background(), func(tx *store.Tx) error {
		all, err := tx.Dump("itellico/agents")
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range all[itellicoAccount] {
			assert.False(t, seen[r.ID], "the store lists %s twice", r.ID)
			seen[r.ID] = true
			switch {
			case active[r.ID]:
				assert.False(t, r.Archived, r.ID)
			case archived[r.ID]:
				assert.True(t, r.Archived, r.ID)
			}
			got, err := tx.Get("itellico/agents", itellicoAccount, r.ID)
			if assert.NoError(t, err, r.ID) {
				assert.Equal(t, r.Seq, got.Seq, r.ID)
			}
		}
		assert.Len(t, seen, len(wantActive)+len(wantArchived))
		return nil
	})
	require.NoError(t, err)
	tg.srv.Close()
	checkStoreIndexes(t, tg.srv.DBPath)
}

// itlWalk pages through the demo account's agents with offset and limit,
// requiring no agent twice and the count to match what was walked.
func itlWalk(t *testing.T, c client, isArchived string, limit int) []string {
	t.Helper()
	var ids []string
	for offset := 0; ; offset += limit {
		q := url.Values{"limit": {fmt.Sprint(limit)}, "offset": {fmt.Sprint(offset)}}
		if isArchived != "" {
			q.Set("is_archived", isArchived)
		}
		r := c.do("GET", agentsPath("me")+"?"+q.Encode(), nil).must(t, http.StatusOK)
		items, _ := r.json["items"].([]any)
		for _, it := range items {
			id := it.(map[string]any)["id"].(string)
			require.NotContains(t, ids, id, "listed twice")
			ids = append(ids, id)
		}
		if len(items) < limit {
			require.Equal(t, float64(len(ids)), r.json["count"], "count")
			return ids
		}
	}
}

// checkStoreIndexes checks the closed database file: bbolt's own check,
// and every collection's index against its documents (storecheck).
func checkStoreIndexes(t *testing.T, path string) {
	t.Helper()
	rep, errs := store.Verify(path)
	for _, err := range errs {
		t.Error(err)
	}
	assert.Positive(t, rep.Docs)
	t.Logf("store checked: %d documents in %d tenant buckets of %d collections, %d inconsistencies", rep.Docs, rep.Tenants, rep.Collections, len(errs))
}

// TestConcurrentAnswersStayWhole: answers are encoded into buffers, and
// pages read into arenas, that the server lends and takes back, so pages
// of different sizes and orders, single agents and 422s sent at once must
// each arrive whole and be the answer to their own request.
func TestConcurrentAnswersStayWhole(t *testing.T) {
	c := start(t).diga(t)
	var ids []string // in creation order
	for range 12 {
		ids = append(ids, newDigaAgent(t, c))
	}
	firstOf := func(order string) any {
		return c.do("GET", "/v1/agent/?limit=1&order="+order, nil).must(t, http.StatusOK).path("data.0.agent_id")
	}
	asc, desc := firstOf("asc"), firstOf("desc")
	require.NotEqual(t, asc, desc)
	var fails failures
	var wg sync.WaitGroup
	for w, limit := range []int{1, 3, 7, 12} {
		// Workers list in opposite orders, so that two pages never hold
		// the same documents at the same places.
		order, first := "asc", asc
		if w%2 == 1 {
			order, first = "desc", desc
		}
		wg.Go(func() {
			for n := range 40 {
				m := fails.expect(c, "GET", fmt.Sprintf("/v1/agent/?limit=%d&order=%s", limit, order), nil, http.StatusOK)
				items, _ := m["data"].([]any)
				if m != nil && len(items) != limit {
					fails.add("worker %d, page %d: %d items, want %d", w, n, len(items), limit)
				}
				if len(items) > 0 {
					if got, _ := items[0].(map[string]any); got["agent_id"] != first {
						fails.add("worker %d, page %d: first item %v, want %v", w, n, got["agent_id"], first)
					}
				}
				id := ids[(w+n)%len(ids)]
				if got := fails.expect(c, "GET", "/v1/agent/"+id, nil, http.StatusOK); got != nil && got["agent_id"] != id {
					fails.add("worker %d: GET %s answered agent %v", w, id, got["agent_id"])
				}
				bad := fails.expect(c, "PATCH", "/v1/agent/"+digaNowhere, map[string]any{"max_reminder_count": -1 - w}, http.StatusUnprocessableEntity)
				if detail, _ := bad["detail"].([]any); bad != nil && len(detail) != 1 {
					fails.add("worker %d: 422 with %d details: %v", w, len(detail), bad)
				}
			}
		})
	}
	wg.Wait()
	fails.check(t)
}
