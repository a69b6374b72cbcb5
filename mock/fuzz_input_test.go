package mock

// Fuzz targets for hostile input: the JSON body decoder, Diga's pagination
// parameters and itellico's list filters. FuzzPatch and FuzzListQuery (in
// fuzz_test.go) drive PATCH and raw query strings; these add the invariants
// they leave out: every answer that is not a 2xx is in the provider's error
// shape, and an accepted list request answers the page it asked for.
//
//	go test ./mock/ -run XXX -fuzz '^FuzzDecodeJSON$' -fuzztime 30s
//	go test ./mock/ -run XXX -fuzz '^FuzzDigaPagination$' -fuzztime 30s
//	go test ./mock/ -run XXX -fuzz '^FuzzItellicoListFilters$' -fuzztime 30s
//
// Inputs that once failed are kept in testdata/fuzz/<FuzzName>/ and run with
// every plain `go test`.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	fzDigaAgent = "11111111-1111-4111-8111-111111111111"
	fzItlAgent  = "22222222-2222-4222-8222-222222222222"
	fzDigaVoice = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	fzItlCreate = `{"model":{"model":"gpt-5-mini","provider":"azure_openai"},"transcriber":{"provider":"deepgram"},"voice":{"voice_id":"pMsXgVXv3BLzUgSXRplE","provider":"elevenlabs"}}`
)

// fzClient calls one provider's handler in-process.
type fzClient struct {
	prov        string // "diga" or "itellico"
	h           http.Handler
	header, key string
}

func fzClients(app *App) (diga, itl fzClient) {
	return fzClient{"diga", app.Server("diga"), "Authorization", "Bearer sk-diga-demo"},
		fzClient{"itellico", app.Server("itellico"), "X-API-Key", "itl-demo"}
}

// openTestApp opens both providers on a fresh database in t's temporary
// directory, closed at cleanup.
func openTestApp(t testing.TB) *App {
	t.Helper()
	app, err := Open(context.Background(), Options{DB: filepath.Join(t.TempDir(), "app.db"), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	return app
}

// do sends one request and enforces what holds for every answer: no 5xx, a
// JSON body, and the provider's error shape for anything that is not a 2xx
// (a 307 of Diga's trailing-slash redirect aside).
func (c fzClient) do(t testing.TB, method, target string, body []byte) (int, []byte) {
	t.Helper()
	req := fuzzRequest(t, method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(c.header, c.key)
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Body)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %s %q: %d %s", c.prov, method, target, body, rec.Code, data)
	}
	if len(data) > 0 && !json.Valid(data) {
		t.Fatalf("%s %s %s: body is not JSON: %q", c.prov, method, target, data)
	}
	if rec.Code >= 300 && rec.Code != http.StatusTemporaryRedirect {
		if err := errorShape(c.prov, data); err != nil {
			t.Fatalf("%s %s %s %q: %d is not in the provider's error shape: %v: %s", c.prov, method, target, body, rec.Code, err, data)
		}
	}
	return rec.Code, data
}

// fuzzRequest is httptest.NewRequest, skipping the input where that
// panics: on a request line net/http would refuse, which no client can send.
func fuzzRequest(t testing.TB, method, target string, body []byte) *http.Request {
	t.Helper()
	var req *http.Request
	func() {
		defer func() { _ = recover() }()
		req = httptest.NewRequest(method, target, bytes.NewReader(body))
	}()
	if req == nil {
		t.Skipf("%s %q is no request line a client could send", method, target)
	}
	return req
}

var (
	digaCode = regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	itlCode  = regexp.MustCompile(`^[a-z][a-z_]*$`)
)

// errorShape checks an error body against the provider's shapes: Diga's
// FastAPI {"detail":[{"loc","msg","type"}]} or its {"status":"error",
// "error_code","message"}; itellico's {"code","message","errors"?,"detail"?}.
func errorShape(prov string, data []byte) error {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	str := func(k string) (string, bool) { s, ok := m[k].(string); return s, ok }
	switch prov {
	case "diga":
		if d, ok := m["detail"]; ok {
			items, ok := d.([]any)
			if len(m) != 1 || !ok || len(items) == 0 {
				return errors.New(`"detail" must be the only member, a non-empty list`)
			}
			for _, it := range items {
				v, ok := it.(map[string]any)
				if !ok || len(v) != 3 {
					return fmt.Errorf("detail item %v is not {loc, msg, type}", it)
				}
				loc, ok := v["loc"].([]any)
				if !ok || len(loc) == 0 {
					return fmt.Errorf("detail item %v has no loc", it)
				}
				if in, _ := loc[0].(string); in == "" {
					return fmt.Errorf("loc %v does not start with a location", loc)
				}
				msg, _ := v["msg"].(string)
				kind, _ := v["type"].(string)
				if msg == "" || kind == "" {
					return fmt.Errorf("detail item %v lacks msg or type", it)
				}
			}
			return nil
		}
		status, _ := str("status")
		code, _ := str("error_code")
		_, hasMsg := str("message")
		if len(m) != 3 || status != "error" || !digaCode.MatchString(code) || !hasMsg {
			return errors.New(`want {"status":"error","error_code":…,"message":…}`)
		}
		return nil
	case "itellico":
		code, _ := str("code")
		if _, ok := str("message"); !ok || !itlCode.MatchString(code) {
			return errors.New(`want {"code":…,"message":…}`)
		}
		for k, v := range m {
			switch k {
			case "code", "message":
			case "detail":
				if _, ok := v.(string); !ok {
					return errors.New(`"detail" is not a string`)
				}
			case "errors":
				list, ok := v.([]any)
				if !ok || len(list) == 0 {
					return errors.New(`"errors" is not a non-empty list`)
				}
				for _, e := range list {
					fe, ok := e.(map[string]any)
					f, _ := fe["field"].(string)
					msg, _ := fe["message"].(string)
					if !ok || len(fe) != 2 || f == "" || msg == "" {
						return fmt.Errorf("errors item %v is not {field, message}", e)
					}
				}
			default:
				return fmt.Errorf("unexpected member %q", k)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown provider %q", prov)
}

// FuzzDecodeJSON drives decodeJSON, the one decoder of every request body,
// directly and through both providers' create calls. decodeJSON accepts
// exactly the single JSON values in UTF-8 (what json.Valid and utf8.Valid
// accept), keeps numbers exact (a re-encoding decodes to the same value),
// and what it rejects is answered as malformed: Diga's 422 json_invalid with
// the offset in loc, itellico's 400 bad_request.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, `0`, `-0`, `1e400`, `-1e400`, `1e-400`, `99999999999999999999999`, `"s"`, `true`,
		`{"voice_id":"` + fzDigaVoice + `","language":"es"}`, fzItlCreate,
		`{"name":"a","name":"b"}`, `{"name":"\ud800"}`, `{"name":"\u0000"}`, "{\"name\":\"a\xff\"}", "\xef\xbb\xbf{}",
		`{"a":1} {"b":2}`, `{"a":1}]`, `{"a":`, ``, ` `, "\t\r\n", "\u00a0{}", `[` + strings.Repeat(`[`, 10001),
		strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999), `{"metadata":{"x":1e400}}`,
		`{"max_reminder_count":1e400}`, `{"time_before_start":-1e400}`, `{"max_duration_seconds":99999999999999999999999}`,
	} {
		f.Add([]byte(seed))
	}
	app := openTestApp(f)
	diga, itl := fzClients(app)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := provider.DecodeJSON(data)
		wellFormed := json.Valid(data) && utf8.Valid(data)
		if (err == nil) != wellFormed {
			t.Fatalf("decodeJSON(%q): err %v, but json.Valid && utf8.Valid = %v", data, err, wellFormed)
		}
		if err == nil {
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encoding %q: %v", data, err)
			}
			w, err := provider.DecodeJSON(again)
			if err != nil || !reflect.DeepEqual(v, w) {
				t.Fatalf("%q decodes to %#v, its re-encoding %s to %#v (%v)", data, v, again, w, err)
			}
		} else {
			var se *json.SyntaxError
			if !errors.As(err, &se) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("decodeJSON(%q): %T %v is neither a syntax error nor EOF", data, err, err)
			}
			if se != nil && (se.Offset < 0 || se.Offset > int64(len(data))) {
				t.Fatalf("decodeJSON(%q): offset %d is outside the body", data, se.Offset)
			}
		}

		blank := len(bytes.TrimSpace(data)) == 0
		for _, c := range []struct {
			fzClient
			target string
		}{{diga, "/v1/agent/"}, {itl, "/v1/accounts/me/agents"}} {
			status, body := c.do(t, "POST", c.target, data)
			if wellFormed || blank {
				continue
			}
			switch c.prov {
			case "diga":
				var e struct {
					Detail []struct {
						Loc  []any
						Type string
					}
				}
				_ = json.Unmarshal(body, &e)
				if status != http.StatusUnprocessableEntity || len(e.Detail) != 1 || e.Detail[0].Type != "json_invalid" || len(e.Detail[0].Loc) != 2 {
					t.Fatalf("diga: malformed %q answered %d %s", data, status, body)
				}
			case "itellico":
				if status != http.StatusBadRequest || !bytes.Contains(body, []byte(`"code":"bad_request"`)) {
					t.Fatalf("itellico: malformed %q answered %d %s", data, status, body)
				}
			}
		}
	})
}

// FuzzDigaPagination drives Diga's list parameters (limit, page, order,
// after, before) on every kind of list: the agents (stored, paged by the
// store), one agent's versions (paged in memory) and the voices (a
// catalogue). An accepted request answers exactly the slice of the whole
// list that its parameters name.
func FuzzDigaPagination(f *testing.F) {
	for _, s := range []struct {
		list               uint8
		limit, page, order string
		after, before      string
		cursor             uint8
	}{
		{0, "", "", "", "", "", 0}, {0, "2", "2", "asc", "", "", 0}, {1, "1", "", "desc", "", "", 1},
		{2, "3", "", "", "", "", 2}, {0, "1", "", "", "", "", 3}, {0, "0", "", "", "", "", 0},
		{0, "101", "", "", "", "", 0}, {0, "", "0", "", "", "", 0}, {0, "", "-1", "", "", "", 0},
		{0, "10", "9223372036854775807", "", "", "", 0}, {1, "100", "922337203685477580", "", "", "", 0},
		{2, "", "9223372036854775807", "", "", "", 0}, {0, "", "9223372036854775808", "", "", "", 0},
		{0, "1e1", "1.0", "ASC", "", "", 0}, {0, "", "", "", "not-an-id", "", 0}, {0, "", "", "", "", fzDigaAgent, 0},
		{1, "", "2", "", "x", "", 0}, {2, "", "", "up", "", "", 1}, {0, " 1", "", "", "", "", 0},
	} {
		f.Add(s.list, s.limit, s.page, s.order, s.after, s.before, s.cursor)
	}
	app := openTestApp(f)
	diga, _ := fzClients(app)
	// More agents than a page, so that pages and cursors have a list to walk.
	for i := range 6 {
		diga.do(f, "POST", "/v1/agent/", []byte(fmt.Sprintf(`{"voice_id":%q,"language":"es","name":"fuzz %d"}`, fzDigaVoice, i)))
	}
	lists := []struct{ path, id string }{
		{"/v1/agent/", "agent_id"},
		{"/v1/agent/" + fzDigaAgent + "/version", "version_id"},
		{"/v1/voice/", "id"},
	}
	// Every list whole, in both orders: what each page must be a slice of.
	whole := map[string][]string{}
	for _, l := range lists {
		for _, order := range []string{"asc", "desc"} {
			_, data := diga.do(f, "GET", l.path+"?limit=50&order="+order, nil)
			ids, err := envelopeIDs(data, l.id)
			if err != nil {
				f.Fatalf("%s: %v", l.path, err)
			}
			whole[l.path+order] = ids
		}
	}
	f.Fuzz(func(t *testing.T, list uint8, limit, page, order, after, before string, cursor uint8) {
		l := lists[int(list)%len(lists)]
		// A cursor that names an item is worth more than random text.
		if ids := whole[l.path+"desc"]; len(ids) > 0 {
			pick := ids[int(cursor/4)%len(ids)]
			switch cursor % 4 {
			case 1:
				after = pick
			case 2:
				before = pick
			}
		}
		q := url.Values{}
		for k, v := range map[string]string{"limit": limit, "page": page, "order": order, "after": after, "before": before} {
			if v != "" {
				q.Set(k, v)
			}
		}
		status, data := diga.do(t, "GET", l.path+"?"+q.Encode(), nil)
		if status != http.StatusOK {
			if status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
				t.Fatalf("%s?%s: %d %s", l.path, q.Encode(), status, data)
			}
			return
		}
		var env struct {
			Data        []map[string]any `json:"data"`
			HasMore     *bool            `json:"has_more"`
			FirstID     *string          `json:"first_id"`
			LastID      *string          `json:"last_id"`
			CurrentPage *json.Number     `json:"current_page"`
			TotalPages  *json.Number     `json:"total_pages"`
		}
		if err := json.Unmarshal(data, &env); err != nil || env.HasMore == nil || env.Data == nil {
			t.Fatalf("%s?%s: not an envelope: %s", l.path, q.Encode(), data)
		}
		got, err := envelopeIDs(data, l.id)
		if err != nil {
			t.Fatalf("%s?%s: %v", l.path, q.Encode(), err)
		}

		// What the parameters name, computed from the whole list.
		n, p := 10, int64(0)
		if limit != "" {
			if n, err = strconv.Atoi(limit); err != nil || n < 1 {
				t.Fatalf("%s?%s: accepted limit %q", l.path, q.Encode(), limit)
			}
		}
		ord := cmpOr(order, "desc")
		all := whole[l.path+ord]
		var want []string
		more := false
		pageMode := page != "" && after == "" && before == ""
		switch {
		case after != "":
			i := slices.Index(all, after)
			if i < 0 {
				t.Fatalf("%s?%s: accepted a cursor that names nothing: %s", l.path, q.Encode(), data)
			}
			rest := all[i+1:]
			want, more = rest[:min(n, len(rest))], len(rest) > n
		case before != "":
			i := slices.Index(all, before)
			if i < 0 {
				t.Fatalf("%s?%s: accepted a cursor that names nothing: %s", l.path, q.Encode(), data)
			}
			head := all[:i]
			want, more = head[max(0, len(head)-n):], len(head) > n
		default:
			from := 0
			if pageMode {
				if p, err = strconv.ParseInt(page, 10, 64); err != nil || p < 1 {
					t.Fatalf("%s?%s: accepted page %q", l.path, q.Encode(), page)
				}
				if p-1 < int64(len(all)/n+1) {
					from = min(int(p-1)*n, len(all))
				} else {
					from = len(all)
				}
			}
			rest := all[from:]
			want, more = rest[:min(n, len(rest))], len(rest) > n
		}
		if !slices.Equal(got, want) || *env.HasMore != more {
			t.Fatalf("%s?%s: got %v (has_more %v), want %v (has_more %v) of %v", l.path, q.Encode(), got, *env.HasMore, want, more, all)
		}
		if len(got) > 0 && (env.FirstID == nil || env.LastID == nil || *env.FirstID != got[0] || *env.LastID != got[len(got)-1]) {
			t.Fatalf("%s?%s: first_id/last_id do not name the page's ends: %s", l.path, q.Encode(), data)
		}
		if len(got) == 0 && (env.FirstID != nil || env.LastID != nil) {
			t.Fatalf("%s?%s: an empty page names ids: %s", l.path, q.Encode(), data)
		}
		cp := int64(0)
		if env.CurrentPage != nil {
			cp, _ = env.CurrentPage.Int64()
		}
		if pageMode != (env.CurrentPage != nil) || cp != p {
			t.Fatalf("%s?%s: current_page %v in page mode %v: %s", l.path, q.Encode(), env.CurrentPage, pageMode, data)
		}
		if pageMode {
			if tp, _ := env.TotalPages.Int64(); tp != int64((len(all)+n-1)/n) {
				t.Fatalf("%s?%s: total_pages %v for %d items of %d: %s", l.path, q.Encode(), env.TotalPages, len(all), n, data)
			}
		}
	})
}

func cmpOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// envelopeIDs returns the ids of a Diga list page, in order.
func envelopeIDs(data []byte, idField string) ([]string, error) {
	var env struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, err
	}
	ids := make([]string, len(env.Data))
	for i, item := range env.Data {
		id, ok := item[idField].(string)
		if !ok {
			return nil, fmt.Errorf("item %d has no %s: %v", i, idField, item)
		}
		ids[i] = id
	}
	return ids, nil
}

// FuzzItellicoListFilters drives what itellico's lists parse: limit, offset,
// name, tags, is_archived and the created/modified bounds on the agents, and
// limit, offset and is_active on the subaccounts. An accepted request answers
// the offset-th page of exactly the items that pass every filter, computed
// here from the whole lists, and counts them all.
func FuzzItellicoListFilters(f *testing.F) {
	for _, s := range []struct {
		list                      uint8
		limit, offset, name, tags string
		flag                      string
		bound                     uint8
		at                        string
	}{
		{0, "", "", "", "", "", 0, ""}, {0, "2", "1", "", "", "", 0, ""}, {0, "", "", "SUP", "", "", 0, ""},
		{0, "", "", "", "support", "", 0, ""}, {0, "", "", "", "a,b", "", 0, ""}, {0, "", "", "", " , ,", "", 0, ""},
		{0, "", "", "", "", "true", 0, ""}, {0, "", "", "", "", "1", 0, ""}, {0, "", "", "", "", "True", 0, ""},
		{0, "", "", "", "", "0", 0, ""}, {0, "", "", "", "", "yes", 0, ""}, {0, "", "", "ägent", "a", "t", 0, ""},
		{0, "", "", "", "", "", 1, "2025-01-01T00:00:00Z"}, {0, "", "", "", "", "", 6, "2025-11-20T10:00:00+02:00"},
		{0, "", "", "", "", "", 3, "2025-13-01"}, {0, "", "", "", "", "", 2, "2025-11-20T10:00:00.000001Z"},
		{0, "", "9223372036854775807", "", "", "", 0, ""}, {0, "100", "9223372036854775806", "", "", "", 0, ""},
		{0, "0", "-1", "", "", "", 0, ""}, {0, "101", "", "", "", "", 0, ""}, {0, "1e1", "1.5", "", "", "", 0, ""},
		{1, "", "", "", "", "", 0, ""}, {1, "", "9223372036854775807", "", "", "", 0, ""}, {1, "100", "9223372036854775800", "", "", "", 0, ""},
		{1, "", "", "", "", "1", 0, ""}, {1, "", "", "", "", "false", 0, ""}, {1, "", "", "", "", "F", 0, ""}, {1, "", "", "", "", "true", 0, ""},
	} {
		f.Add(s.list, s.limit, s.offset, s.name, s.tags, s.flag, s.bound, s.at)
	}
	app := openTestApp(f)
	_, itl := fzClients(app)
	// Agents with names and tags to filter on; two of them archived.
	for i, tags := range []string{`["a","b"]`, `["a"]`, `[]`, `["b","support"]`, `["a","b","c"]`} {
		var create map[string]any
		_ = json.Unmarshal([]byte(fzItlCreate), &create)
		create["name"] = fmt.Sprintf("Fuzz Ägent %d", i)
		create["tags"] = json.RawMessage(tags)
		body, _ := json.Marshal(create)
		_, data := itl.do(f, "POST", "/v1/accounts/me/agents", body)
		var a struct{ ID string }
		_ = json.Unmarshal(data, &a)
		if i%2 == 1 {
			if st, _ := itl.do(f, "DELETE", "/v1/accounts/me/agents/"+a.ID, nil); st != http.StatusNoContent {
				f.Fatalf("archive: %d", st)
			}
		}
	}
	type item = map[string]any
	whole := func(path string) []item {
		_, data := itl.do(f, "GET", path, nil)
		var page struct{ Items []item }
		if err := json.Unmarshal(data, &page); err != nil {
			f.Fatal(err)
		}
		return page.Items
	}
	// The whole lists, in the order the server keeps: what to filter here.
	agents := map[bool][]item{
		false: whole("/v1/accounts/me/agents?limit=100&is_archived=false"),
		true:  whole("/v1/accounts/me/agents?limit=100&is_archived=true"),
	}
	subaccounts := whole("/v1/accounts/me/subaccounts?limit=100")
	if len(agents[false]) != 4 || len(agents[true]) != 2 || len(subaccounts) == 0 {
		f.Fatalf("want 4 agents, 2 archived and a subaccount; listed %d, %d, %d", len(agents[false]), len(agents[true]), len(subaccounts))
	}
	bounds := []string{"created_ge", "created_gt", "created_le", "created_lt", "modified_ge", "modified_gt", "modified_le", "modified_lt"}
	f.Fuzz(func(t *testing.T, list uint8, limit, offset, name, tags, flag string, bound uint8, at string) {
		onSubaccounts := list%2 == 1
		q := url.Values{}
		set := func(k, v string) {
			if v != "" {
				q.Set(k, v)
			}
		}
		set("limit", limit)
		set("offset", offset)
		path, bound0 := "/v1/accounts/me/agents", bounds[int(bound)%len(bounds)]
		if onSubaccounts {
			path = "/v1/accounts/me/subaccounts"
			set("is_active", flag)
		} else {
			set("name", name)
			set("tags", tags)
			set("is_archived", flag)
			set(bound0, at)
		}
		status, data := itl.do(t, "GET", path+"?"+q.Encode(), nil)
		if status != http.StatusOK {
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("%s?%s: %d %s", path, q.Encode(), status, data)
			}
			return
		}
		var page struct {
			Count *int   `json:"count"`
			Items []item `json:"items"`
		}
		if err := json.Unmarshal(data, &page); err != nil || page.Count == nil || page.Items == nil {
			t.Fatalf("%s?%s: not a page: %s", path, q.Encode(), data)
		}

		// Accepted, so every parameter given parses.
		n, skip := 20, 0
		if onSubaccounts {
			n = 50
		}
		var err error
		if limit != "" {
			if n, err = strconv.Atoi(limit); err != nil || n < 1 {
				t.Fatalf("%s?%s: accepted limit %q", path, q.Encode(), limit)
			}
		}
		if offset != "" {
			if skip, err = strconv.Atoi(offset); err != nil || skip < 0 {
				t.Fatalf("%s?%s: accepted offset %q", path, q.Encode(), offset)
			}
		}
		truth, err := strconv.ParseBool(flag)
		if flag != "" && err != nil {
			t.Fatalf("%s?%s: accepted the boolean %q", path, q.Encode(), flag)
		}
		var when time.Time
		if at != "" && !onSubaccounts {
			if when, err = time.Parse(time.RFC3339Nano, at); err != nil {
				t.Fatalf("%s?%s: accepted the datetime %q", path, q.Encode(), at)
			}
		}

		var want []item
		if onSubaccounts {
			for _, a := range subaccounts {
				if flag == "" || a["is_active"] == truth {
					want = append(want, a)
				}
			}
		} else {
			field, op, _ := strings.Cut(bound0, "_")
		agents:
			for _, a := range agents[truth] {
				if n, _ := a["name"].(string); !strings.Contains(strings.ToLower(n), strings.ToLower(name)) {
					continue
				}
				have, _ := a["tags"].([]any)
				for _, tag := range strings.Split(tags, ",") {
					if tag = strings.TrimSpace(tag); tag != "" && !slices.Contains(have, any(tag)) {
						continue agents
					}
				}
				if at != "" {
					stamp, _ := a[field].(string)
					t0, err := time.Parse(time.RFC3339Nano, stamp)
					if err != nil || !map[string]bool{"ge": !t0.Before(when), "gt": t0.After(when), "le": !t0.After(when), "lt": t0.Before(when)}[op] {
						continue
					}
				}
				want = append(want, a)
			}
		}
		if *page.Count != len(want) {
			t.Fatalf("%s?%s: count %d, want the %d matching items", path, q.Encode(), *page.Count, len(want))
		}
		from := min(skip, len(want))
		want = want[from : from+min(n, len(want)-from)]
		ids := func(items []item) []any {
			out := make([]any, len(items))
			for i, it := range items {
				out[i] = it["id"]
			}
			return out
		}
		if !slices.Equal(ids(page.Items), ids(want)) {
			t.Fatalf("%s?%s: listed %v, want %v", path, q.Encode(), ids(page.Items), ids(want))
		}
	})
}

// TestQueryBooleanSpellings: the request validation accepts every spelling
// of a boolean that strconv.ParseBool does (1, t, True, ...), as pydantic
// accepts its own set; each must then mean what "true" or "false" means, not
// fall back to false. (is_archived=1 once listed the agents that are not
// archived.)
func TestQueryBooleanSpellings(t *testing.T) {
	app := openTestApp(t)
	diga, itl := fzClients(app)
	// Something to tell the two answers apart: an archived agent.
	_, data := itl.do(t, "POST", "/v1/accounts/me/agents", []byte(fzItlCreate))
	var a struct{ ID string }
	require.NoError(t, json.Unmarshal(data, &a))
	status, _ := itl.do(t, "DELETE", "/v1/accounts/me/agents/"+a.ID, nil)
	require.Equal(t, http.StatusNoContent, status)

	// And an invalid request, for the journal's filter.
	status, _ = diga.do(t, "GET", "/v1/agent/?is_published=yes", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)

	for _, c := range []struct {
		fzClient
		path string // ends with the parameter's "="
	}{
		{diga, "/_mock/requests/count?invalid="},
		{diga, "/v1/agent/?is_published="},
		{diga, "/v1/agent/" + fzDigaAgent + "?is_published="},
		{diga, "/v1/agent/" + fzDigaAgent + "/version?is_published="},
		{itl, "/v1/accounts/me/agents?is_archived="},
		{itl, "/v1/accounts/me/subaccounts?is_active="},
	} {
		answers := map[bool]string{}
		for _, b := range []bool{true, false} {
			st, body := c.do(t, "GET", c.path+strconv.FormatBool(b), nil)
			answers[b] = fmt.Sprint(st, " ", string(body))
		}
		require.NotEqual(t, answers[true], answers[false], "%s: true and false must differ for the test to mean anything", c.path)
		for _, spelling := range []string{"1", "t", "T", "TRUE", "True", "0", "f", "F", "FALSE", "False"} {
			want, _ := strconv.ParseBool(spelling)
			st, body := c.do(t, "GET", c.path+spelling, nil)
			assert.Equal(t, answers[want], fmt.Sprint(st, " ", string(body)), "%s%s must answer as %v", c.path, spelling, want)
		}
	}
	// POST ?is_draft= answers with the draft, or with version 1.
	for _, spelling := range []string{"true", "1", "t", "True", "false", "0", "F"} {
		want, _ := strconv.ParseBool(spelling)
		st, body := diga.do(t, "POST", "/v1/agent/?is_draft="+spelling, []byte(`{"voice_id":"`+fzDigaVoice+`","language":"es"}`))
		require.Equal(t, http.StatusCreated, st, "%s", body)
		var created struct {
			IsDraft bool `json:"is_draft"`
		}
		require.NoError(t, json.Unmarshal(body, &created))
		assert.Equal(t, want, created.IsDraft, "POST ?is_draft=%s", spelling)
	}
}
