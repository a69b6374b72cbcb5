package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// The engine answers every operation the document's rules bind to a
// resource (package resources) from the store, with no code per resource.
// Its invariants:
//   - a stored record has the shape of the answer that created it, which
//     declares at least what the item GET answers; members only the create
//     answer declares (a webhook's secret, an API key's value) are shown
//     once, at creation, and on rotation, and never by a read;
//   - ids, secrets and times are drawn before a store transaction, never
//     inside a function the store may run more than once;
//   - a nested record lives in a tenant named by its parent's id, and is
//     deleted with its parent;
//   - every answer is projected onto the schema of the operation that
//     answers, so a record written under one document reads under another.

// singletonID is the id a singleton's one document is stored under.
const singletonID = "singleton"

// collection names a resource's store collection.
func (s *Server) collection(r *resources.Resource) string {
	return s.prov.Name() + "/" + r.Store
}

// engineCollections lists the store collections of every derived resource.
func (s *Server) engineCollections() []string {
	var out []string
	for _, r := range s.model.Resources {
		out = append(out, s.collection(r))
	}
	if s.hasCredentials() {
		out = append(out, s.credentialsCollection())
	}
	return out
}

// engineHandlers binds every derived operation the provider has no
// behaviour for.
func (s *Server) engineHandlers(taken map[string]provider.Handler) map[string]provider.Handler {
	h := map[string]provider.Handler{}
	for _, b := range s.model.Bindings() {
		if taken[b.Key] != nil {
			continue
		}
		b := b
		switch b.Action {
		case resources.List:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.list(req, b) }
		case resources.Create:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.create(req, b) }
		case resources.Get:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.get(req, b) }
		case resources.Update, resources.Replace, resources.Merge:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.update(req, b) }
		case resources.Delete:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.remove(req, b) }
		case resources.Duplicate:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.duplicate(req, b) }
		case resources.Rotate:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.rotate(req, b) }
		case resources.Act, resources.View:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.act(req, b) }
		case resources.Excerpt:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.excerpt(req, b) }
		case resources.Read, resources.Write:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.singleton(req, b) }
		default:
			h[b.Key] = func(req *provider.Request) (provider.Response, error) { return s.stable(req) }
		}
	}
	return h
}

// place is where a request's records live: the collection, the tenant
// bucket, and the ids the path names (parents first, then the item).
type place struct {
	coll, tenant string
	ids          []string
}

func (s *Server) placeOf(req *provider.Request, b *resources.Binding) place {
	p := place{coll: s.collection(b.Resource), tenant: req.Tenant}
	for _, name := range b.Params {
		p.ids = append(p.ids, req.Route.PathParams[name])
	}
	depth := depthOf(b.Resource)
	switch {
	case b.Resource.Shared:
		p.tenant = provider.GlobalTenant
	case depth > 0 && len(p.ids) >= depth:
		p.tenant = p.ids[depth-1]
	}
	return p
}

func depthOf(r *resources.Resource) int {
	n := 0
	for p := r.Parent; p != nil; p = p.Parent {
		n++
	}
	return n
}

// item is the id of the record an item operation names.
func (p place) item(r *resources.Resource) string {
	if d := depthOf(r); d < len(p.ids) {
		return p.ids[d]
	}
	return ""
}

// parents checks, in the caller's transaction, that every record above a
// nested one exists: a tool of a deleted integration is a 404 of the
// integration.
func (s *Server) parents(tx *store.Tx, req *provider.Request, b *resources.Binding, p place) error {
	var chain []*resources.Resource
	for r := b.Resource.Parent; r != nil; r = r.Parent {
		chain = append([]*resources.Resource{r}, chain...)
	}
	tenant := req.Tenant
	for i, r := range chain {
		if i >= len(p.ids) {
			return nil
		}
		if r.Shared {
			tenant = provider.GlobalTenant
		}
		if _, err := tx.Get(s.collection(r), tenant, p.ids[i]); errors.Is(err, store.ErrNotFound) {
			return s.missingAs(req, r, p.ids[i], false)
		} else if err != nil {
			return err
		}
		tenant = p.ids[i]
	}
	return nil
}

// missing is the 404 for a record: with the code the operation declares
// for its 404 where it gives one (Diga's CALL_NOT_FOUND), else the
// provider's own.
func (s *Server) missing(req *provider.Request, r *resources.Resource, id string) *provider.Error {
	return s.missingAs(req, r, id, true)
}

// missingAs is missing for the operation's own record (own), or for a
// parent above it: a parent's 404 takes the declared code only where the
// code names the parent (INTEGRATION_NOT_FOUND on a tool's path), not the
// record the operation is about (MEMBER_NOT_FOUND for a missing project).
func (s *Server) missingAs(req *provider.Request, r *resources.Resource, id string, own bool) *provider.Error {
	e := s.prov.Missing(r.Name, id)
	code := provider.DeclaredCode(req.Route.Operation, http.StatusNotFound)
	if code == "" {
		return e
	}
	lower := strings.ToLower(code)
	if (own && r.Parent == nil) || strings.Contains(lower, r.Name) || strings.Contains(lower, strings.ReplaceAll(r.Name, "_", "")) {
		e.Code = code
	}
	return e
}

// answer projects a stored record onto the schema an operation answers
// with: members it does not declare (a secret shown once) are dropped.
func (s *Server) answer(req *provider.Request, status int, raw []byte) (provider.Response, error) {
	sch := req.Route.ResponseSchema(status)
	if sch == nil {
		if req.Route.Operation.Responses.Status(status) != nil && status == http.StatusNoContent {
			return provider.Response{Status: status}, nil
		}
		return provider.Response{Status: status, Body: json.RawMessage(raw)}, nil
	}
	doc, err := s.Project(sch, raw)
	if err != nil {
		return provider.Response{}, err
	}
	if err := s.link(req.Ctx, req.Tenant, s.linksOf(req.Route.Key, sch), [][]byte{raw}, []map[string]any{doc}); err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: status, Body: doc}, nil
}

func (s *Server) get(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	var rec store.Record
	err := s.store.View(req.Ctx, func(tx *store.Tx) error {
		var err error
		rec, err = s.stored(tx, req, b, p, p.item(b.Resource))
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	return s.answer(req, req.Route.SuccessStatus(), rec.Doc)
}

// stored reads the record an operation names, in the caller's
// transaction: its parents must exist, and it, else the operation's 404.
func (s *Server) stored(tx *store.Tx, req *provider.Request, b *resources.Binding, p place, id string) (store.Record, error) {
	if err := s.parents(tx, req, b, p); err != nil {
		return store.Record{}, err
	}
	rec, err := tx.Get(p.coll, p.tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, s.missing(req, b.Resource, id)
	}
	return rec, err
}

// drawn is what a write draws before its transaction.
type drawn struct {
	id  string
	now time.Time
	rng *rand.Rand
}

func (s *Server) draw() drawn {
	id := s.NewID()
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	seed := h.Sum64()
	return drawn{id: id, now: s.Now(), rng: rand.New(rand.NewPCG(seed, seed>>1|1))}
}

// managed sets what the server owns in a record: its id, its tenant and
// parent, its timestamps, and (at creation) the members only the server
// writes that no request gave.
func (s *Server) managed(r *resources.Resource, doc map[string]any, p place, d drawn, creating bool) {
	ts := provider.Timestamp(d.now)
	if creating && r.IDMember != "" {
		doc[r.IDMember] = d.id
	}
	rules := s.rules
	for _, m := range rules.TenantMembers {
		if _, declared := doc[m]; declared || creating {
			if s.declares(r, m) {
				doc[m] = p.tenant
			}
		}
	}
	if r.Parent != nil && len(p.ids) >= depthOf(r) {
		if m := r.Parent.Name + "_id"; s.declares(r, m) {
			doc[m] = p.ids[depthOf(r)-1]
		}
	}
	for _, m := range timestampMembers(r.Item) {
		switch {
		case creating && (strings.HasPrefix(m, "created")):
			doc[m] = ts
		case strings.HasPrefix(m, "modified") || strings.HasPrefix(m, "updated"):
			doc[m] = ts
		}
	}
}

func (s *Server) declares(r *resources.Resource, member string) bool {
	return resources.Members(r.Item)[member] != nil
}

// timestampMembers are the members named created, modified or updated (with
// _at, _date or nothing after) that hold a string: the server's clock sets
// them.
func timestampMembers(sch *openapi3.Schema) []string {
	var out []string
	for name, p := range resources.Members(sch) {
		base, _, _ := strings.Cut(name, "_")
		if base != "created" && base != "modified" && base != "updated" {
			continue
		}
		if pv := openapi.View(p); pv != nil && pv.Type.Is(openapi3.TypeString) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// shownOnce lists the members the create answer declares that the item
// GET does not: secrets the vendor shows once.
func shownOnce(answer, item *openapi3.Schema) []string {
	if answer == nil || item == nil || openapi.View(answer) == openapi.View(item) {
		return nil
	}
	im := resources.Members(item)
	var out []string
	for name := range resources.Members(answer) {
		if im[name] == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// secret makes a fresh secret value from the drawn randomness: 32 bytes of
// hex, repeatable under --seed.
func secret(d drawn) string {
	return fmt.Sprintf("%016x%016x%016x%016x", d.rng.Uint64(), d.rng.Uint64(), d.rng.Uint64(), d.rng.Uint64())
}

// build makes a new record from a request body: the members the record
// declares, the server's own, the schemas' defaults, and required members
// generated once, then checks it against the answer's schema.
func (s *Server) build(tx *store.Tx, req *provider.Request, r *resources.Resource, answerSch *openapi3.Schema, body map[string]any, p place, d drawn) ([]byte, error) {
	doc := map[string]any{}
	answerMembers, itemMembers := resources.Members(answerSch), resources.Members(r.Item)
	declared := func(k string) bool { return answerMembers[k] != nil || itemMembers[k] != nil || embeds(r, k) }
	for k, v := range body {
		if declared(k) && v != nil {
			doc[k] = openapi.Clone(v)
		}
	}
	s.managed(r, doc, p, d, true)
	for _, m := range shownOnce(answerSch, r.Item) {
		if _, given := doc[m]; !given {
			if pv := openapi.View(answerMembers[m]); pv != nil && pv.Type.Is(openapi3.TypeString) {
				doc[m] = secret(d)
			}
		}
	}
	if key, ok := doc[r.Credential].(string); ok && r.Credential != "" && len(key) >= 4 {
		// What the vendors show of a key afterwards: its last four.
		for _, m := range []string{"last_four_digits", "last_four", "last4"} {
			if itemMembers[m] != nil {
				doc[m] = key[len(key)-4:]
			}
		}
	}
	create := req.Route.RequestSchema()
	for _, sch := range []*openapi3.Schema{answerSch, r.Item} {
		s.fill(sch, create, doc, d.rng)
	}
	if err := s.lookups(tx, req, r, doc, body); err != nil {
		return nil, err
	}
	if err := s.references(tx, req, doc, body); err != nil {
		return nil, err
	}
	holdRefs(r, doc)
	return s.checkedHolding(answerSch, doc)
}

// fill completes a record with the schema's defaults, then gives each
// required member still absent a fresh record's value: an empty array, a
// count at its minimum (or 0), false; and anything else a value generated
// once from rng. A new knowledge base holds no items, not a random one.
func (s *Server) fill(sch, fallback *openapi3.Schema, doc map[string]any, rng *rand.Rand) {
	if sch == nil {
		return
	}
	s.spec.Complete(sch, fallback, doc)
	if v := openapi.View(sch); v != nil {
		for _, name := range v.Required {
			p := v.Properties[name]
			if _, ok := doc[name]; ok || p == nil {
				continue
			}
			if z, ok := zero(p.Value); ok {
				doc[name] = z
			}
		}
	}
	s.spec.Satisfy(sch, doc, rng)
}

// zero is a fresh record's value for a member of a schema, if it has one.
func zero(sch *openapi3.Schema) (any, bool) {
	v := openapi.View(sch)
	switch {
	case v == nil || v.Type == nil:
		return nil, false
	case v.Type.Is(openapi3.TypeArray):
		if v.MinItems > 0 {
			return nil, false
		}
		return []any{}, true
	case v.Type.Is(openapi3.TypeInteger), v.Type.Is(openapi3.TypeNumber):
		if len(v.Enum) > 0 {
			return nil, false
		}
		if v.Min != nil && *v.Min > 0 {
			return json.Number(fmt.Sprint(*v.Min)), true
		}
		return json.Number("0"), true
	case v.Type.Is(openapi3.TypeBoolean):
		return false, true
	}
	return nil, false
}

// project reshapes a stored record onto the schema an answer declares:
// undeclared members are dropped and the rest filled as at creation, with
// a source seeded by the record, so it reads the same way every time.
func (s *Server) Project(sch *openapi3.Schema, raw []byte) (map[string]any, error) {
	obj, err := record(raw)
	if err != nil {
		return nil, err
	}
	s.spec.Unknown(sch, obj, true)
	s.fill(sch, nil, obj, seeded(1, string(raw)))
	return obj, nil
}

// checked validates a record before it may be stored, and encodes it.
func (s *Server) checked(sch *openapi3.Schema, doc map[string]any) ([]byte, error) {
	if sch != nil {
		if vs := s.spec.Check(agentmock.InBody, sch, doc, false); len(vs) > 0 {
			return nil, provider.Invalid(vs...)
		}
	}
	return s.spec.Encode(sch, doc)
}

func (s *Server) create(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	if b.Batch != "" {
		return s.createBatch(req, b) // engine_batch.go
	}
	p := s.placeOf(req, b)
	body := aliased(b.Resource, req.Body)
	status := req.Route.SuccessStatus()
	answerSch := req.Route.ResponseSchema(status)
	if answerSch == nil {
		answerSch = b.Resource.Item
	}
	d := s.draw()
	var doc, moved []byte
	err := s.store.Write(req.Ctx, func(tx *store.Tx) (err error) {
		if err := s.parents(tx, req, b, p); err != nil {
			return err
		}
		if doc, err = s.build(tx, req, b.Resource, answerSch, body, p, d); err != nil {
			return err
		}
		if _, err = tx.Create(p.coll, p.tenant, d.id, doc); err != nil {
			return err
		}
		if b.Resource.Parent == nil {
			if moved, err = s.started(tx, b.Resource, p.tenant, d.id, doc, body); err != nil { // timeline.go
				return err
			}
		}
		return s.indexKey(tx, b.Resource, p, d.id, doc)
	})
	if err != nil {
		return provider.Response{}, err
	}
	s.wake()
	if len(b.Resource.Links) > 0 || moved != nil {
		if moved != nil {
			doc = moved
		}
		return s.answer(req, status, doc)
	}
	return provider.Response{Status: status, Body: json.RawMessage(doc), Checked: answerSch}, nil
}

// update applies a body to a stored record: a merge patch (RFC 7396) for
// PATCH, into the member the action names where the record has one
// (PATCH /v1/phone/{id}/sip-config merges into sip_config); a replacement
// of every member a request may set for PUT.
func (s *Server) update(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	if b.Each != "" {
		return s.mergeEach(req, b) // engine_batch.go
	}
	p := s.placeOf(req, b)
	body := aliased(b.Resource, req.Body)
	d := s.draw()
	var out []byte
	err := s.store.Write(req.Ctx, func(tx *store.Tx) (err error) {
		if err := s.parents(tx, req, b, p); err != nil {
			return err
		}
		out, err = s.modify(tx, req, b, p, func(old map[string]any) ([]byte, error) {
			// A record written under another document (a fixture) may lack
			// what this one requires: filled as a read would fill it, before
			// the body applies, so that what the body clears stays cleared.
			s.fill(b.Resource.Item, nil, old, seeded(1, p.item(b.Resource)))
			doc := s.applyBody(b, old, body)
			s.managed(b.Resource, doc, p, d, false)
			if err := s.references(tx, req, doc, body); err != nil {
				return nil, err
			}
			holdRefs(b.Resource, doc)
			return s.checkedHolding(b.Resource.Item, doc) // engine_batch.go
		})
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	return s.answer(req, req.Route.SuccessStatus(), out)
}

// modify changes a stored record in the caller's transaction: a 404 of
// the resource where it is missing.
func (s *Server) modify(tx *store.Tx, req *provider.Request, b *resources.Binding, p place, fn func(doc map[string]any) ([]byte, error)) ([]byte, error) {
	id := p.item(b.Resource)
	rec, err := tx.Update(p.coll, p.tenant, id, func(stored []byte, _ *store.Meta) ([]byte, error) {
		doc, err := record(stored)
		if err != nil {
			return nil, err
		}
		return fn(doc)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.missing(req, b.Resource, id)
	}
	return rec.Doc, err
}

// record decodes a stored record.
func record(raw []byte) (map[string]any, error) { return provider.DecodeObject(raw) }

func (s *Server) applyBody(b *resources.Binding, old, body map[string]any) map[string]any {
	if body == nil {
		return old
	}
	if b.Action == resources.Replace {
		doc := map[string]any{}
		for k, v := range old {
			if !b.Resource.Writable[k] {
				doc[k] = v // what no request sets stays the server's
			}
		}
		for k, v := range body {
			doc[k] = v
		}
		return doc
	}
	if b.Action == resources.Merge {
		member := strings.ReplaceAll(b.Name, "-", "_")
		if s.declares(b.Resource, member) {
			prev, _ := old[member].(map[string]any)
			old[member] = provider.MergePatch(prev, body)
			return old
		}
	}
	doc, _ := provider.MergePatch(old, body).(map[string]any)
	return doc
}

// remove deletes a record and everything nested under it.
func (s *Server) remove(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	id := p.item(b.Resource)
	var rec store.Record
	err := s.store.Write(req.Ctx, func(tx *store.Tx) (err error) {
		if rec, err = s.stored(tx, req, b, p, id); err != nil {
			return err
		}
		if err := s.inUse(tx, req, b.Resource, p.tenant, id); err != nil {
			return err
		}
		if err := s.cascade(tx, b.Resource, id); err != nil {
			return err
		}
		if err := s.unindexKey(tx, b.Resource, rec.Doc); err != nil {
			return err
		}
		return tx.Delete(p.coll, p.tenant, id)
	})
	if err != nil {
		return provider.Response{}, err
	}
	status := req.Route.SuccessStatus()
	if sch := req.Route.ResponseSchema(status); sch != nil && len(openapi.View(sch).Properties) > 0 {
		return s.answer(req, status, rec.Doc) // the deleted record, where the document answers with one
	}
	return provider.Deleted(req.Route), nil
}

// cascade deletes the records nested under a record, at every depth.
func (s *Server) cascade(tx *store.Tx, r *resources.Resource, id string) error {
	for _, child := range r.Children {
		dump, err := tx.Dump(s.collection(child))
		if err != nil {
			return err
		}
		for _, rec := range dump[id] {
			if err := s.cascade(tx, child, rec.ID); err != nil {
				return err
			}
		}
		if err := tx.DeleteTenant(s.collection(child), id); err != nil {
			return err
		}
	}
	return nil
}

// duplicate stores a copy of a record under a new id, with the members the
// body gives (a new name), and answers the copy.
func (s *Server) duplicate(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	body := aliased(b.Resource, req.Body)
	id := p.item(b.Resource)
	d := s.draw()
	status := req.Route.SuccessStatus()
	var doc []byte
	err := s.store.Write(req.Ctx, func(tx *store.Tx) error {
		rec, err := s.stored(tx, req, b, p, id)
		if err != nil {
			return err
		}
		old, err := record(rec.Doc)
		if err != nil {
			return err
		}
		for k, v := range body {
			if s.declares(b.Resource, k) {
				old[k] = v
			}
		}
		s.managed(b.Resource, old, p, d, true)
		if doc, err = s.checkedHolding(b.Resource.Item, old); err != nil {
			return err
		}
		_, err = tx.Create(p.coll, p.tenant, d.id, doc)
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	return s.answer(req, status, doc)
}

// rotate renews the members a record shows only once (a webhook's
// secret) and answers with them.
func (s *Server) rotate(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	d := s.draw()
	status := req.Route.SuccessStatus()
	answerSch := req.Route.ResponseSchema(status)
	var out []byte
	err := s.store.Write(req.Ctx, func(tx *store.Tx) (err error) {
		if err := s.parents(tx, req, b, p); err != nil {
			return err
		}
		out, err = s.modify(tx, req, b, p, func(doc map[string]any) ([]byte, error) {
			for _, m := range shownOnce(answerSch, b.Resource.Item) {
				doc[m] = secret(d)
			}
			s.managed(b.Resource, doc, p, d, false)
			return s.spec.Encode(b.Resource.Item, doc)
		})
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	return s.answer(req, status, out)
}

// act answers an action the rules cannot give a meaning to: the record
// must exist, and the answer is the record where the operation answers
// with the record's shape, else a stable generated value.
func (s *Server) act(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	// A view's one path parameter names a top-level record, so placeOf
	// places it as it places any item.
	p := s.placeOf(req, b)
	id := p.item(b.Resource)
	var rec store.Record
	err := s.store.View(req.Ctx, func(tx *store.Tx) error {
		var err error
		rec, err = s.stored(tx, req, b, p, id)
		return err
	})
	if err != nil {
		return provider.Response{}, err
	}
	status := req.Route.SuccessStatus()
	if sch := req.Route.ResponseSchema(status); sch != nil && openapi.View(sch) == openapi.View(b.Resource.Item) {
		return s.answer(req, status, rec.Doc)
	}
	return s.stable(req)
}

// singleton reads or writes a tenant's one document. Before its first
// write it reads as the schema's defaults with required members generated
// from the tenant, the same every time.
func (s *Server) singleton(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	p := s.placeOf(req, b)
	status := req.Route.SuccessStatus()
	fresh := func() map[string]any {
		doc := map[string]any{}
		s.fill(b.Resource.Item, nil, doc, seeded(s.cfg.GenerationSeed, p.coll, p.tenant))
		return doc
	}
	if b.Action == resources.Read {
		rec, err := s.store.Get(req.Ctx, p.coll, p.tenant, singletonID)
		if errors.Is(err, store.ErrNotFound) {
			raw, err := s.spec.Encode(b.Resource.Item, fresh())
			if err != nil {
				return provider.Response{}, err
			}
			return s.answer(req, status, raw)
		}
		if err != nil {
			return provider.Response{}, err
		}
		return s.answer(req, status, rec.Doc)
	}
	body := aliased(b.Resource, req.Body)
	d := s.draw()
	var out []byte
	err := s.store.Write(req.Ctx, func(tx *store.Tx) error {
		old := fresh()
		creating := true
		if rec, err := tx.Get(p.coll, p.tenant, singletonID); err == nil {
			if old, err = record(rec.Doc); err != nil {
				return err
			}
			creating = false
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		doc, _ := provider.MergePatch(old, body).(map[string]any)
		s.managed(b.Resource, doc, p, d, creating)
		raw, err := s.checked(b.Resource.Item, doc)
		if err != nil {
			return err
		}
		out = raw
		if creating {
			_, err = tx.Create(p.coll, p.tenant, singletonID, raw)
			return err
		}
		return tx.Put(p.coll, p.tenant, singletonID, store.Meta{}, raw)
	})
	if err != nil {
		return provider.Response{}, err
	}
	return s.answer(req, status, out)
}

// stable answers an operation no rule derives state for with a value
// generated from its schema, the same for the same request: seeded by the
// operation, the tenant, the path, the query and the body.
func (s *Server) stable(req *provider.Request) (provider.Response, error) {
	status := req.Route.SuccessStatus()
	sch := req.Route.ResponseSchema(status)
	if sch == nil {
		return s.example(req, status, "", false)
	}
	if v, ok := s.spec.Example(req.Route.Operation, status, ""); ok {
		return provider.Response{Status: status, Body: v}, nil
	}
	rng := seeded(s.cfg.GenerationSeed, req.Route.Key, req.Tenant, req.HTTP.URL.Path, req.HTTP.URL.RawQuery, string(req.Raw))
	body := openapi.Generate(sch, rng)
	if err := s.anchor(req, body); err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: status, Body: body}, nil
}

// anchor ties a generated body to what exists: a member named as a path
// parameter holds the path's value (a recording's call_id is the call's),
// and a member naming another resource's records (rules.Target) holds the
// id of one the tenant has, where it has any.
func (s *Server) anchor(req *provider.Request, body any) error {
	top, ok := body.(map[string]any)
	if !ok {
		return nil
	}
	for name, v := range req.Route.PathParams {
		if _, isString := top[name].(string); isString && v != "" {
			top[name] = v
		}
	}
	known := map[*resources.Resource]string{}
	return s.store.View(req.Ctx, func(tx *store.Tx) error {
		existing := func(t *resources.Resource) (string, error) {
			if id, ok := known[t]; ok {
				return id, nil
			}
			tenant := req.Tenant
			if t.Shared {
				tenant = provider.GlobalTenant
			}
			page, err := tx.List(s.collection(t), tenant, store.Query{Limit: 1})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
			id := ""
			if len(page.Records) > 0 {
				id = page.Records[0].ID
			}
			known[t] = id
			return id, nil
		}
		var visit func(v any, depth int) error
		visit = func(v any, depth int) error {
			m, ok := v.(map[string]any)
			if !ok || depth > 4 {
				if items, ok := v.([]any); ok && depth <= 4 {
					for _, it := range items {
						if err := visit(it, depth+1); err != nil {
							return err
						}
					}
				}
				return nil
			}
			for k, val := range m {
				t := s.model.Target(k, s.rules)
				if t == nil || t.Parent != nil || !refLike(k) {
					if err := visit(val, depth+1); err != nil {
						return err
					}
					continue
				}
				if _, pathGiven := req.Route.PathParams[k]; pathGiven && depth == 0 {
					continue
				}
				id, err := existing(t)
				if err != nil || id == "" {
					return err
				}
				switch x := val.(type) {
				case string:
					m[k] = id
				case []any:
					if len(x) > 0 {
						if _, ok := x[0].(string); ok {
							m[k] = []any{id}
						}
					}
				}
			}
			return nil
		}
		return visit(body, 0)
	})
}

// seeded is a random source drawn from a seed and some words: the same
// words draw the same values.
func seeded(seed uint64, words ...string) *rand.Rand {
	h := fnv.New64a()
	for _, w := range words {
		_, _ = h.Write([]byte(w))
		_, _ = h.Write([]byte{0})
	}
	v := h.Sum64() ^ seed
	return rand.New(rand.NewPCG(v, v>>1|1))
}

// Store is the server's store, for its provider's behaviour.
func (s *Server) Store() *store.Store { return s.store }

// Log is the server's log.
func (s *Server) Log() *slog.Logger { return s.log }

// Filter is the engine's list filter for the resource the request's list
// operation is bound to (filterOf); nil when it filters nothing.
func (s *Server) Filter(req *provider.Request) (func([]byte) bool, error) {
	if b := s.model.Binding(req.Route.Key); b != nil && b.Resource != nil {
		return filterOf(req, b.Resource)
	}
	return nil, nil
}
