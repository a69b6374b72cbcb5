package mock

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// queryInt reads an integer query parameter that the request validation has
// already checked, falling back to the document's default.
func queryInt(route *openapi.Route, q url.Values, name string, fallback int) int {
	if v := q.Get(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	if p := route.Operation.Parameters.GetByInAndName("query", name); p != nil && p.Schema != nil {
		if d, ok := openapi.Default(p.Schema.Value); ok {
			if f, ok := d.(float64); ok {
				return int(f)
			}
		}
	}
	return fallback
}

// queryBool reads a boolean query parameter that the request validation has
// already checked: every spelling it accepts (true, 1, True, t, ...) counts.
func queryBool(q url.Values, name string) bool {
	b, _ := strconv.ParseBool(q.Get(name))
	return b
}

// queryString reads a string query parameter with the document's default.
func queryString(route *openapi.Route, q url.Values, name, fallback string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	if p := route.Operation.Parameters.GetByInAndName("query", name); p != nil && p.Schema != nil {
		if d, ok := openapi.Default(p.Schema.Value); ok {
			if s, ok := d.(string); ok {
				return s
			}
		}
	}
	return fallback
}

// pageParams are a list's pagination parameters: Diga's cursors
// (after, before) and pages, itellico's offset, and the limit and order.
type pageParams struct {
	after, before string
	limit, page   int // page is 0 in cursor mode
	offset        int
	desc          bool
	// count asks for the total: a page number or an offset is given, or
	// the envelope shows a count.
	count bool
}

func parsePage(req *request) (pageParams, error) {
	q := req.http.URL.Query()
	params := req.route.Operation.Parameters
	cursors := params.GetByInAndName("query", "after") != nil || params.GetByInAndName("query", "before") != nil
	order := "asc"
	if cursors {
		order = "desc" // Diga's lists are newest first
	}
	pp := pageParams{
		after:  q.Get("after"),
		before: q.Get("before"),
		limit:  queryInt(req.route, q, "limit", 10),
		desc:   queryString(req.route, q, "order", order) == "desc",
	}
	if pp.after != "" && pp.before != "" {
		return pp, &apiError{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
			Message: "Cannot use both 'before' and 'after' pagination parameters together"}
	}
	if q.Get("page") != "" && pp.after == "" && pp.before == "" {
		pp.page = max(queryInt(req.route, q, "page", 1), 1)
	}
	if params.GetByInAndName("query", "offset") != nil {
		pp.offset, pp.count = max(queryInt(req.route, q, "offset", 0), 0), true
	}
	return pp, nil
}

// offset is where page mode starts. It saturates instead of overflowing:
// page=9223372036854775807 is a valid integer, and names an empty page.
func (pp pageParams) start() int {
	if pp.page <= 1 || pp.limit <= 0 {
		return pp.offset
	}
	if pp.page-1 > math.MaxInt/pp.limit {
		return math.MaxInt
	}
	return (pp.page - 1) * pp.limit
}

func (pp pageParams) query(match func([]byte) bool) store.Query {
	q := store.Query{Desc: pp.desc, After: pp.after, Before: pp.before, Limit: pp.limit, Match: match, Offset: pp.offset, Count: pp.count}
	if pp.page > 0 {
		q.Offset, q.Count = pp.start(), true
	}
	return q
}

var errBadCursor = &apiError{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
	Message: "The pagination cursor does not name an item of this list"}

// paginate applies a Diga list's pagination to records held in memory, in
// creation order, with the store's semantics: used for lists too small to
// index, such as one agent's versions.
func paginate(all []store.Record, pp pageParams) (store.Page, error) {
	ordered := all
	if pp.desc {
		ordered = make([]store.Record, len(all))
		for i, r := range all {
			ordered[len(all)-1-i] = r
		}
	}
	index := func(id string) int {
		for i, r := range ordered {
			if r.ID == id {
				return i
			}
		}
		return -1
	}
	var p store.Page
	switch {
	case pp.after != "":
		i := index(pp.after)
		if i < 0 {
			return p, store.ErrCursor
		}
		rest := ordered[i+1:]
		p.Records, p.HasMore = rest[:min(pp.limit, len(rest))], len(rest) > pp.limit
	case pp.before != "":
		i := index(pp.before)
		if i < 0 {
			return p, store.ErrCursor
		}
		head := ordered[:i]
		p.Records, p.HasMore = head[max(0, len(head)-pp.limit):], len(head) > pp.limit
	default:
		from := min(pp.offset, len(ordered))
		if pp.page > 0 {
			from = min(pp.start(), len(ordered))
		}
		rest := ordered[from:]
		p.Records, p.HasMore = rest[:min(pp.limit, len(rest))], len(rest) > pp.limit
	}
	p.Total = len(ordered)
	return p, nil
}

// envelope wraps a page in the list response's envelope, whose members
// come from the document: the array (data, items) and whichever of
// has_more, first_id, last_id, current_page, total_pages and count or
// total it declares; a plain array where the response is one. Items not
// stored in the response's shape (catalogue entries, records written under
// another document) are projected onto it.
func (s *Server) envelope(req *request, pp pageParams, p store.Page, reshape bool) (response, error) {
	sch := openapi.ResponseSchema(req.route.Operation, http.StatusOK)
	envelope := openapi.View(sch)
	name, itemSchema := "data", resources.ListItems(sch)
	plain := envelope != nil && envelope.Items != nil
	if !plain {
		if n, _ := resources.ListMember(envelope); n != "" {
			name = n
		}
	}
	data := make([]any, len(p.Records))
	for i, r := range p.Records {
		if !reshape || itemSchema == nil {
			data[i] = json.RawMessage(r.Doc)
			continue
		}
		item, err := s.project(itemSchema, r.Doc)
		if err != nil {
			return response{}, err
		}
		data[i] = item
	}
	if plain {
		return response{status: http.StatusOK, body: data}, nil
	}
	body := map[string]any{name: data, "has_more": p.HasMore, "first_id": nil, "last_id": nil, "current_page": nil, "total_pages": nil,
		"count": p.Total, "total": p.Total, "total_count": p.Total}
	if n := len(p.Records); n > 0 {
		body["first_id"], body["last_id"] = p.Records[0].ID, p.Records[n-1].ID
	}
	if pp.page > 0 {
		body["current_page"] = pp.page
		body["total_pages"] = (p.Total + pp.limit - 1) / pp.limit
	}
	// The seed-era envelope has no page members: send only what the served
	// document declares. Only its own members: the items are shaped above.
	if envelope != nil && len(envelope.Properties) > 0 {
		for k := range body {
			if envelope.Properties[k] == nil {
				delete(body, k)
			}
		}
	}
	return response{status: http.StatusOK, body: body}, nil
}
