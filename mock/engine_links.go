package mock

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// embeds reports whether a member is the stored reference of one of a
// resource's embedded links: kept, though the item does not declare it.
func embeds(r *resources.Resource, member string) bool {
	for _, l := range r.Links {
		if l.Kind == resources.Embed && l.Via == member {
			return true
		}
	}
	return false
}

// holdRefs gives a record the engine writes every reference of its
// embedded links, null where none is named (a merge patch's null removes
// it), so that a record without one is known to be written by other code.
func holdRefs(r *resources.Resource, doc map[string]any) {
	for _, l := range r.Links {
		if _, ok := doc[l.Via]; !ok && l.Kind == resources.Embed {
			doc[l.Via] = nil
		}
	}
}

// linksOf returns the links of the resource an operation answers with,
// those the answer's schema declares, or nil. They depend on the document
// alone, so each pair of operation and schema is worked out once: walking
// the schema's members was a twentieth of a page. The slice is shared, for
// reading only.
func (s *Server) linksOf(key string, sch *openapi3.Schema) []resources.Link {
	b := s.model.Binding(key)
	if b == nil || b.Resource == nil || len(b.Resource.Links) == 0 {
		return nil
	}
	k := linksKey{key, sch}
	if links, ok := s.links.Load(k); ok {
		return links.([]resources.Link)
	}
	links := declaredLinks(b.Resource.Links, sch)
	s.links.Store(k, links)
	return links
}

// linksKey names what linksOf works out once.
type linksKey struct {
	op  string
	sch *openapi3.Schema
}

// declaredLinks are those of links whose member sch declares.
func declaredLinks(links []resources.Link, sch *openapi3.Schema) []resources.Link {
	members := resources.Members(sch)
	var out []resources.Link
	for _, l := range links {
		if members[l.Member] != nil {
			out = append(out, l)
		}
	}
	return out
}

// link fills the linked members of answered records, each pair a stored
// record and its projection, in one read transaction: what they show is
// what the store holds at the time of the answer.
func (s *Server) link(ctx context.Context, tenant string, links []resources.Link, stored [][]byte, docs []map[string]any) error {
	if len(links) == 0 || len(docs) == 0 {
		return nil
	}
	return s.store.View(ctx, func(tx *store.Tx) error {
		for i, doc := range docs {
			raw, err := record(stored[i])
			if err != nil {
				return err
			}
			for _, l := range links {
				if err := s.fillLink(tx, tenant, l, raw, doc); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (s *Server) fillLink(tx *store.Tx, tenant string, l resources.Link, raw, doc map[string]any) error {
	owner := tenant
	if l.Target.Shared {
		owner = provider.GlobalTenant
	}
	coll := s.collection(l.Target)
	switch l.Kind {
	case resources.Embed:
		ref, held := raw[l.Via]
		if !held {
			// Written by a behaviour of the provider's own, which shows the
			// member itself (Diga's agent voice), or under another document.
			return nil
		}
		if id, _ := ref.(string); id != "" {
			rec, err := tx.Get(coll, owner, id)
			if err == nil {
				obj, err := s.Project(l.Shape, rec.Doc)
				if err != nil {
					return err
				}
				doc[l.Member] = obj
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		// No reference, or one to a record since deleted: nothing to show.
		if l.Shape.Nullable || openapi.Nullable(l.Shape) {
			doc[l.Member] = nil
		} else {
			delete(doc, l.Member)
		}
	case resources.Backref:
		id, _ := raw[l.ID].(string)
		page, err := tx.List(coll, owner, store.Query{Match: func(b []byte) bool {
			other, err := record(b)
			return err == nil && id != "" && other[l.Via] == id
		}})
		if err != nil {
			return err
		}
		items := make([]any, 0, len(page.Records))
		for _, rec := range page.Records {
			obj, err := s.Project(l.Shape, rec.Doc)
			if err != nil {
				return err
			}
			items = append(items, obj)
		}
		doc[l.Member] = items
	}
	return nil
}

// inUse refuses to delete a record that another resource's records name
// in a reference their create requires (a phone number's sip_trunk_id):
// deleting it would leave them dangling. Only where the delete operation
// declares a 409 for it; elsewhere the delete goes ahead, and embedded
// links to the record read as none.
func (s *Server) inUse(tx *store.Tx, req *provider.Request, r *resources.Resource, tenant, id string) error {
	if req.Route.Operation.Responses.Status(http.StatusConflict) == nil || r.Shared {
		return nil
	}
	for _, b := range s.model.Bindings() {
		t := b.Resource
		if b.Action != resources.Create || t == nil || t == r || t.Parent != nil || t.Shared {
			continue
		}
		create := openapi.View(openapi.RequestSchema(s.spec.Operation(b.Key).Operation))
		if create == nil {
			continue
		}
		for _, via := range create.Required {
			if s.model.Target(via, s.rules) != r {
				continue
			}
			page, err := tx.List(s.collection(t), tenant, store.Query{Count: true, Match: func(b []byte) bool {
				doc, err := record(b)
				return err == nil && doc[via] == id
			}})
			if err != nil {
				return err
			}
			if page.Total > 0 {
				return &provider.Error{Status: http.StatusConflict, Code: provider.DeclaredCode(req.Route.Operation, http.StatusConflict),
					Message: "Conflict", Detail: fmt.Sprintf("%s %s is used by %d %s record(s) (%s); move or delete them first",
						provider.Capitalized(r.Name), id, page.Total, words(t), via)}
			}
		}
	}
	return nil
}

// aliased is a request body with the members the resource holds under
// another name renamed (itellico's phone number name is its friendly_name).
func aliased(r *resources.Resource, v any) map[string]any {
	body, _ := v.(map[string]any)
	if len(r.Aliases) == 0 || body == nil {
		return body
	}
	out := make(map[string]any, len(body))
	for k, v := range body {
		if to, ok := r.Aliases[k]; ok {
			k = to
		}
		out[k] = v
	}
	return out
}
