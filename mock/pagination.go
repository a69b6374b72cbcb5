package mock

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
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

// digaPage answers a Diga list: cursor pagination with after/before, or page
// numbers with page, in the {data, has_more, first_id, last_id, current_page,
// total_pages} envelope. Items that are not stored in the response's shape
// (catalogue entries) are projected onto it.
func (s *Server) digaPage(req *request, coll, tenant, idField string, match func(store.Meta, []byte) bool) (response, error) {
	q := req.http.URL.Query()
	after, before := q.Get("after"), q.Get("before")
	if after != "" && before != "" {
		return response{}, &apiError{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
			Message: "Cannot use both 'before' and 'after' pagination parameters together"}
	}
	limit := queryInt(req.route, q, "limit", 10)
	query := store.Query{
		Desc:   queryString(req.route, q, "order", "desc") == "desc",
		After:  after,
		Before: before,
		Limit:  limit,
		Match:  match,
	}
	page := 0
	if q.Get("page") != "" && after == "" && before == "" {
		page = queryInt(req.route, q, "page", 1)
		query.Offset, query.Count = (page-1)*limit, true
	}
	p, err := s.store.List(req.ctx, coll, tenant, query)
	if errors.Is(err, store.ErrCursor) {
		return response{}, &apiError{Status: http.StatusUnprocessableEntity, Code: "INVALID_PAGINATION_PARAMETERS",
			Message: "The pagination cursor does not name an item of this list"}
	}
	if err != nil {
		return response{}, err
	}

	envelope := openapi.View(openapi.ResponseSchema(req.route.Operation, http.StatusOK))
	var itemSchema *openapi3.Schema
	if envelope != nil && envelope.Properties["data"] != nil {
		if d := openapi.View(envelope.Properties["data"].Value); d != nil && d.Items != nil {
			itemSchema = d.Items.Value
		}
	}
	data := make([]any, len(p.Records))
	for i, r := range p.Records {
		if coll == collDigaAgents || itemSchema == nil {
			data[i] = json.RawMessage(r.Doc)
			continue
		}
		item, err := project(s.spec, itemSchema, r.Doc)
		if err != nil {
			return response{}, err
		}
		data[i] = item
	}
	body := map[string]any{"data": data, "has_more": p.HasMore, "first_id": nil, "last_id": nil, "current_page": nil, "total_pages": nil}
	if n := len(p.Records); n > 0 {
		body["first_id"], body["last_id"] = p.Records[0].ID, p.Records[n-1].ID
	}
	if page > 0 {
		body["current_page"] = page
		body["total_pages"] = (p.Total + limit - 1) / limit
	}
	// The seed-era envelope has no page members: send only what the served
	// document declares.
	s.spec.Unknown(envelope, body, true)
	return response{status: http.StatusOK, body: body}, nil
}
