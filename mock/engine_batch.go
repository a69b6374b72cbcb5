package mock

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// createBatch stores one record per element a batch create gives (a file
// part of a form, or an object of the body's list: Diga's uploads and URL
// items), each with the body's other members, and answers the records in
// the answer's member that holds them; the answer's other lists (the
// failures) are empty.
func (s *Server) createBatch(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	status := req.Route.SuccessStatus()
	answerSch := req.Route.ResponseSchema(status)
	itemSch := openapi.View(openapi.View(answerSch).Properties[b.Batch].Value).Items.Value
	bodies, err := batchBodies(req, b.Resource, itemSch)
	if err != nil {
		return provider.Response{}, err
	}
	draws := make([]drawn, len(bodies))
	for i := range draws {
		draws[i] = s.draw()
	}
	docs := make([]any, len(bodies))
	err = s.store.Write(req.Ctx, func(tx *store.Tx) error {
		if err := s.parents(tx, req, b, p); err != nil {
			return err
		}
		for i, body := range bodies {
			doc, err := s.build(tx, req, b.Resource, itemSch, body, p, draws[i])
			if err != nil {
				return err
			}
			if _, err := tx.Create(p.coll, p.tenant, draws[i].id, doc); err != nil {
				return err
			}
			if docs[i], err = record(doc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return provider.Response{}, err
	}
	out := map[string]any{b.Batch: docs}
	s.fill(answerSch, nil, out, seeded(1, req.Route.Key))
	return provider.Response{Status: status, Body: out}, nil
}

// batchBodies splits a batch create's request into one record body per
// element: per file part, its metadata where the record has members for
// it; else per object of the body's one list of objects the record does
// not itself hold. An element without a name is named after its file or
// its url.
func batchBodies(req *provider.Request, r *resources.Resource, itemSch *openapi3.Schema) ([]map[string]any, error) {
	body, _ := req.Body.(map[string]any)
	im, rm := resources.Members(itemSch), resources.Members(r.Item)
	declared := func(k string) bool { return im[k] != nil || rm[k] != nil }
	files, err := uploads(req)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		out := make([]map[string]any, 0, len(files))
		for _, f := range files {
			el := maps.Clone(body)
			f.describe(el, declared)
			out = append(out, el)
		}
		return out, nil
	}
	for _, name := range slices.Sorted(maps.Keys(body)) {
		items, ok := body[name].([]any)
		if !ok || declared(name) || len(items) == 0 {
			continue
		}
		out := make([]map[string]any, 0, len(items))
		for _, it := range items {
			obj, ok := it.(map[string]any)
			if !ok {
				out = nil
				break
			}
			el := maps.Clone(body)
			delete(el, name)
			maps.Copy(el, obj)
			if u, ok := el["url"].(string); ok && el["name"] == nil && declared("name") {
				el["name"] = u
			}
			out = append(out, el)
		}
		if out != nil {
			return out, nil
		}
	}
	return []map[string]any{body}, nil
}

// mergeEach applies each object of the body's list to the nested record
// it names by <child>_id (Diga's tools[].tool_id of tool-approval), under
// the record the path names; a name that names no such record is a 422 at
// its place in the body.
func (s *Server) mergeEach(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	parent := p.item(b.Resource)
	body, _ := req.Body.(map[string]any)
	items, _ := body[b.Each].([]any)
	idMember := b.Child.Name + "_id"
	d := s.draw()
	var rec store.Record
	err := s.store.Write(req.Ctx, func(tx *store.Tx) (err error) {
		if rec, err = s.stored(tx, req, b, p, parent); err != nil {
			return err
		}
		var vs []agentmock.Violation
		child := place{coll: s.collection(b.Child), tenant: parent, ids: append(slices.Clone(p.ids), "")}
		for i, it := range items {
			obj, _ := it.(map[string]any)
			id, _ := obj[idMember].(string)
			patch := maps.Clone(obj)
			delete(patch, idMember)
			_, err := tx.Update(child.coll, parent, id, func(stored []byte, _ *store.Meta) ([]byte, error) {
				doc, err := record(stored)
				if err != nil {
					return nil, err
				}
				doc, _ = provider.MergePatch(doc, patch).(map[string]any)
				s.managed(b.Child, doc, child, d, false)
				return s.checkedHolding(b.Child.Item, doc)
			})
			if errors.Is(err, store.ErrNotFound) {
				vs = append(vs, agentmock.Violation{In: agentmock.InBody, Path: []string{b.Each, strconv.Itoa(i), idMember},
					Kind: agentmock.KindValue, Message: fmt.Sprintf("Value error, %s %s does not exist", words(b.Child), id)})
				continue
			}
			if err != nil {
				return err
			}
		}
		if len(vs) > 0 {
			return provider.Invalid(vs...)
		}
		return nil
	})
	if err != nil {
		return provider.Response{}, err
	}
	status := req.Route.SuccessStatus()
	if status == http.StatusNoContent {
		return provider.Response{Status: status}, nil
	}
	return s.answer(req, status, rec.Doc)
}

// excerpt answers, from a stored record, the members of it an operation
// answers with (Diga's recording_url of a call). A required one the
// record does not hold yet (a call still dialing has no recording) is a
// 404 saying so.
func (s *Server) excerpt(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	id := p.item(b.Resource)
	var rec store.Record
	err := s.store.View(req.Ctx, func(tx *store.Tx) (err error) {
		rec, err = s.stored(tx, req, b, p, id)
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	doc, err := record(rec.Doc)
	if err != nil {
		return provider.Response{}, err
	}
	status := req.Route.SuccessStatus()
	for _, name := range openapi.View(req.Route.ResponseSchema(status)).Required {
		if doc[name] == nil {
			e := s.missing(req, b.Resource, id)
			e.Message = fmt.Sprintf("%s %s has no %s yet", provider.Capitalized(words(b.Resource)), id, name)
			return provider.Response{}, e
		}
	}
	return s.answer(req, status, rec.Doc)
}

// checkedHolding is checked for a changed record, which may hold members
// its item schema does not declare that only the server writes (a
// webhook's secret, an API key's value, shown once): they are kept,
// unchecked, while the rest must conform.
func (s *Server) checkedHolding(item *openapi3.Schema, doc map[string]any) ([]byte, error) {
	members := resources.Members(item)
	view := doc
	for k := range doc {
		if members[k] == nil {
			if len(view) == len(doc) {
				view = maps.Clone(doc)
			}
			delete(view, k)
		}
	}
	if vs := s.spec.Check(agentmock.InBody, item, view, false); len(vs) > 0 {
		return nil, provider.Invalid(vs...)
	}
	return s.spec.Encode(item, doc)
}
