package provider

import (
	"math"
	"net/http"

	"github.com/agentmock/agentmock/store"
)

// PageParams are a list's pagination parameters: Diga's cursors
// (after, before) and pages, itellico's offset, and the limit and order.
type PageParams struct {
	After, Before string
	Limit, Page   int // page is 0 in cursor mode
	Offset        int
	Desc          bool
	// Count asks for the total: a page number or an offset is given, or
	// the envelope shows a count.
	Count bool
	// Arena is the request's Scratch, which the page's documents go into.
	Arena *store.Arena
}

func ParsePage(req *Request) (PageParams, error) {
	q := req.HTTP.URL.Query()
	params := req.Route.Operation.Parameters
	cursors := params.GetByInAndName("query", "after") != nil || params.GetByInAndName("query", "before") != nil
	order := "asc"
	if cursors {
		order = "desc" // Diga's lists are newest first
	}
	pp := PageParams{
		After:  q.Get("after"),
		Before: q.Get("before"),
		Limit:  QueryInt(req.Route, q, "limit", 10),
		Desc:   QueryString(req.Route, q, "order", order) == "desc",
		Arena:  req.Scratch,
	}
	if pp.After != "" && pp.Before != "" {
		return pp, &Error{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
			Message: "Cannot use both 'before' and 'after' pagination parameters together"}
	}
	if q.Get("page") != "" && pp.After == "" && pp.Before == "" {
		pp.Page = max(QueryInt(req.Route, q, "page", 1), 1)
	}
	if params.GetByInAndName("query", "offset") != nil {
		pp.Offset, pp.Count = max(QueryInt(req.Route, q, "offset", 0), 0), true
	}
	return pp, nil
}

// Start is where page mode starts. It saturates instead of overflowing:
// page=9223372036854775807 is a valid integer, and names an empty page.
func (pp PageParams) Start() int {
	if pp.Page <= 1 || pp.Limit <= 0 {
		return pp.Offset
	}
	if pp.Page-1 > math.MaxInt/pp.Limit {
		return math.MaxInt
	}
	return (pp.Page - 1) * pp.Limit
}

func (pp PageParams) Query(match func([]byte) bool) store.Query {
	q := store.Query{Desc: pp.Desc, After: pp.After, Before: pp.Before, Limit: pp.Limit, Match: match, Offset: pp.Offset, Count: pp.Count, Arena: pp.Arena}
	if pp.Page > 0 {
		q.Offset, q.Count = pp.Start(), true
	}
	return q
}

var ErrBadCursor = &Error{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
	Message: "The pagination cursor does not name an item of this list"}
