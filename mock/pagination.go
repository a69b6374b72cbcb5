package mock

import (
	"encoding/json"
	"net/http"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// envelope wraps a page in the list response's envelope, whose members
// come from the document: the array (data, items) and whichever of
// has_more, first_id, last_id, current_page, total_pages and count or
// total it declares; a plain array where the response is one. Items not
// stored in the response's shape (catalogue entries, records written under
// another document) are projected onto it.
func (s *Server) Envelope(req *provider.Request, pp provider.PageParams, p store.Page, reshape bool) (provider.Response, error) {
	sch := req.Route.ResponseSchema(http.StatusOK)
	envelope := openapi.View(sch)
	name, itemSchema := "data", resources.ListItems(sch)
	plain := envelope != nil && envelope.Items != nil
	if !plain {
		if n, _ := resources.ListMember(envelope); n != "" {
			name = n
		}
	}
	data := make([]any, len(p.Records))
	var stored [][]byte
	var items []map[string]any
	links := s.linksOf(req.Route.Key, itemSchema)
	for i, r := range p.Records {
		if !reshape || itemSchema == nil {
			data[i] = json.RawMessage(r.Doc)
			continue
		}
		item, err := s.Project(itemSchema, r.Doc)
		if err != nil {
			return provider.Response{}, err
		}
		data[i] = item
		if links != nil {
			stored, items = append(stored, r.Doc), append(items, item)
		}
	}
	if err := s.link(req.Ctx, req.Tenant, links, stored, items); err != nil {
		return provider.Response{}, err
	}
	if plain {
		return provider.Response{Status: http.StatusOK, Body: data}, nil
	}
	body := map[string]any{name: data, "has_more": p.HasMore, "first_id": nil, "last_id": nil, "current_page": nil, "total_pages": nil,
		"count": p.Total, "total": p.Total, "total_count": p.Total}
	if n := len(p.Records); n > 0 {
		body["first_id"], body["last_id"] = p.Records[0].ID, p.Records[n-1].ID
	}
	if pp.Page > 0 {
		body["current_page"] = pp.Page
		body["total_pages"] = (p.Total + pp.Limit - 1) / pp.Limit
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
	return provider.Response{Status: http.StatusOK, Body: body}, nil
}
