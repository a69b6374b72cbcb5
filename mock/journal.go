package mock

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi"
)

// bodyCap bounds the request and response bodies a journal entry keeps.
const bodyCap = 16 << 10

// bodyBudget bounds the bodies a whole journal keeps. Past it the oldest
// entries lose theirs: 1,000 list pages at bodyCap each would otherwise hold
// 16 MB per provider, and the heap the collector lets grow is twice what is
// live (the RSS lines of cmd/agentmock-load, "list 100 of the stored agents").
const bodyBudget = 4 << 20

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 1000

// entry is one journaled request, shaped as the control document's Entry.
type entry struct {
	ID             uint64            `json:"id"`
	Time           string            `json:"time"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	Query          string            `json:"query,omitempty"`
	OperationID    string            `json:"operation_id,omitempty"`
	PathTemplate   string            `json:"path_template,omitempty"`
	Status         int               `json:"status"`
	LatencyMS      float64           `json:"latency_ms"`
	Valid          bool              `json:"valid"`
	Violations     []violationOut    `json:"violations"`
	RequestHeaders map[string]string `json:"request_headers,omitempty"`
	RequestBody    string            `json:"request_body,omitempty"`
	ResponseBody   string            `json:"response_body,omitempty"`
	Truncated      bool              `json:"truncated,omitempty"`
	Fault          string            `json:"fault,omitempty"`
	// Warnings are members the request sent that the document does not
	// declare, accepted and dropped.
	Warnings []violationOut `json:"warnings"`
	// Probe marks a request a contract check sent on purpose
	// (ProbeHeader), which invalid=true leaves out unless asked.
	Probe   bool     `json:"probe,omitempty"`
	Nearest []string `json:"nearest_operations,omitempty"`

	// at and header are Time and RequestHeaders as recorded; query renders
	// them, so that a request pays for neither a time format nor a masked
	// copy of its headers. header is the request's own map: net/http makes
	// one per request, and nothing writes it after the handler returns.
	at     time.Time
	header http.Header
}

type violationOut struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// journal is a bounded ring of recent requests: memory stays flat however
// long a test suite runs.
type journal struct {
	mu      sync.Mutex
	entries []entry // ring of len cap(entries) once full
	next    int     // where the next entry goes
	size    int
	seq     uint64
	// bodies is the bytes of the bodies kept; stripped, the newest id whose
	// bodies were dropped to keep it within bodyBudget.
	bodies   int
	stripped uint64
}

func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &journal{size: size}
}

func (j *journal) add(e entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.ID = j.seq
	j.bodies += len(e.RequestBody) + len(e.ResponseBody)
	if len(j.entries) < j.size {
		j.entries = append(j.entries, e)
	} else {
		old := &j.entries[j.next]
		j.bodies -= len(old.RequestBody) + len(old.ResponseBody)
		*old = e
		j.next = (j.next + 1) % j.size
	}
	oldest := j.seq - uint64(len(j.entries)) + 1
	for id := max(j.stripped+1, oldest); j.bodies > bodyBudget && id < j.seq; id++ {
		old := &j.entries[j.slot(id, oldest)]
		j.bodies -= len(old.RequestBody) + len(old.ResponseBody)
		old.RequestBody, old.ResponseBody = "", ""
		old.Truncated = true
		j.stripped = id
	}
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries, j.next, j.bodies = nil, 0, 0
}

// slot is the index of the kept entry with the given id: ids run on from
// the oldest, which sits at next once the ring is full and at 0 before.
func (j *journal) slot(id, oldest uint64) int {
	start := 0
	if len(j.entries) == j.size {
		start = j.next
	}
	return (start + int(id-oldest)) % len(j.entries)
}

// filter selects journal entries; zero fields match anything.
type filter struct {
	method, path, operation string
	status                  int
	invalid                 *bool
	// probes keeps contract probes in an invalid=true selection.
	probes bool
	// warned keeps only entries with (true) or without (false) warnings.
	warned *bool
}

func (f filter) match(e *entry) bool {
	switch {
	case f.method != "" && !strings.EqualFold(f.method, e.Method):
		return false
	case f.path != "" && f.path != e.Path && f.path != e.PathTemplate:
		return false
	case f.operation != "" && f.operation != e.OperationID:
		return false
	case f.status != 0 && f.status != e.Status:
		return false
	case f.invalid != nil && *f.invalid == e.Valid:
		return false
	case f.invalid != nil && e.Probe && !f.probes:
		return false
	case f.warned != nil && *f.warned != (len(e.Warnings) > 0):
		return false
	case f.warned != nil && e.Probe && !f.probes:
		return false
	}
	return true
}

// query returns how many entries match and up to limit of them, newest first.
func (j *journal) query(f filter, limit int) (int, []entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.entries)
	count, out := 0, []entry{}
	for i := range n {
		// newest first: the slot just before next, walking back
		e := &j.entries[(j.next-1-i+2*n)%n]
		if !f.match(e) {
			continue
		}
		count++
		if limit <= 0 || len(out) < limit {
			c := *e
			// Masked when read, not when recorded: the regexp would
			// otherwise cost every request a few per cent.
			c.RequestBody = maskBody(c.RequestBody)
			c.Time, c.RequestHeaders = journalTime(c.at), maskHeaders(c.header)
			out = append(out, c)
		}
	}
	return count, out
}

// trace is what the pipeline learns about a request, for its journal entry.
type trace struct {
	route *openapi.Route
	// routeErr is why no operation matched, when none did.
	routeErr error
	// warnings are what was accepted though the document does not
	// declare it: members dropped from a body.
	warnings   []agentmock.Violation
	violations []agentmock.Violation
	fault      string
	nearest    []string
	// refusal is what the check found in a body it refused before
	// (refused.go); keepAnswer says its answer is to be kept as sent.
	refusal    *refusal
	keepAnswer bool
	// read is a GET whose answer may be kept (answers.go).
	read *pendingRead
}

type traceKey struct{}

func traceOf(r *http.Request) *trace {
	if t, ok := r.Context().Value(traceKey{}).(*trace); ok {
		return t
	}
	return &trace{}
}

// recorder keeps the status and the first bodyCap bytes of a response, and
// lets faults take over the connection.
type recorder struct {
	http.ResponseWriter
	status    int
	body      []byte
	truncated bool
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	room := bodyCap - len(w.body)
	if room < len(p) {
		w.truncated = true
	}
	w.body = append(w.body, p[:max(0, min(room, len(p)))]...)
	return w.ResponseWriter.Write(p)
}

// text is the body kept so far, as a string that shares its bytes: the
// recorder is done with once the entry is made, so nothing writes them
// again, and the body is copied once instead of twice.
func (w *recorder) text() string { return unsafe.String(unsafe.SliceData(w.body), len(w.body)) }

func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	return h.Hijack()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cappedBody keeps the first bodyCap bytes of what the pipeline reads.
type cappedBody struct {
	r    interface{ Read([]byte) (int, error) }
	c    interface{ Close() error }
	kept []byte
	more bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	room := bodyCap - len(b.kept)
	if n > room {
		b.more = true
	}
	b.kept = append(b.kept, p[:min(n, max(room, 0))]...)
	return n, err
}

func (b *cappedBody) Close() error { return b.c.Close() }

var secretMember = regexp.MustCompile(`("(?i:[a-z0-9_]*(?:api_?key|auth_key|token|secret|password)[a-z0-9_]*)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// maskBody hides the values of members that look like credentials.
func maskBody(b string) string {
	return secretMember.ReplaceAllString(b, `$1"****"`)
}

// maskHeaders copies the request headers, hiding credentials.
func maskHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		switch strings.ToLower(k) {
		case "authorization":
			if scheme, _, ok := strings.Cut(v, " "); ok {
				v = scheme + " ****"
			} else {
				v = "****"
			}
		case "x-api-key", "cookie", "proxy-authorization":
			v = "****"
		}
		out[k] = v
	}
	return out
}

// nearest names the documented operations closest to a request that
// matched none: same segments count most, then the same method.
func nearest(spec *openapi.Spec, method, path string) []string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	type scored struct {
		name  string
		score int
	}
	var all []scored
	for _, op := range spec.Operations() {
		tsegs := strings.Split(strings.Trim(op.Path, "/"), "/")
		score := 0
		for i := range min(len(segs), len(tsegs)) {
			switch {
			case segs[i] == tsegs[i]:
				score += 3
			case strings.HasPrefix(tsegs[i], "{"):
				score++
			case typo(segs[i], tsegs[i]):
				score += 2 // a typo or a plural
			}
		}
		score -= 2 * abs(len(segs)-len(tsegs))
		if strings.EqualFold(op.Method, method) {
			score++
		}
		all = append(all, scored{op.Method + " " + op.Path, score})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return b.score - a.score })
	out := make([]string, 0, 3)
	for _, s := range all[:min(3, len(all))] {
		out = append(out, s.name)
	}
	return out
}

// typo reports whether a request's path segment is within two edits of a
// template's, ignoring case. The distance is at least the difference of
// the lengths, so a segment much longer than the template's is not
// compared at all: a 500 KB segment was compared letter by letter with
// every operation's, 1.8 s of CPU for one 404.
func typo(seg, template string) bool {
	if abs(len(seg)-len(template)) > 2 {
		return false
	}
	return editDistance(strings.ToLower(seg), strings.ToLower(template)) <= 2
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func journalTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ProbeHeader marks a request that a contract check sends on purpose: its
// journal entry is a probe, left out of invalid=true selections, so that a
// CI recipe's count of invalid requests stays its own.
const ProbeHeader = "X-Agentmock-Probe"
