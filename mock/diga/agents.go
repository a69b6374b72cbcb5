package diga

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/store"
)

// A Diga agent is one editable draft, kept in collDigaAgents under its
// agent_id (the lists show drafts), and its launched versions, kept in
// collDigaVersions under the tenant "<project>/<agent_id>" in launch order.
// Versions are immutable but for is_published, which at most one holds.
// The draft's version_number is the number its next launch will take, so
// numbers are never reused, even after a version is deleted.

func versionsOf(project, agent string) string { return project + "/" + agent }

// row is what the handlers read of a stored agent row.
type row struct {
	AgentID              string  `json:"agent_id"`
	VersionID            string  `json:"version_id"`
	VersionNumber        int     `json:"version_number"`
	IsPublished          bool    `json:"is_published"`
	Mode                 string  `json:"mode"`
	ConversationalPathID *string `json:"conversational_path_id"`
}

func readRow(doc []byte) row {
	var r row
	_ = json.Unmarshal(doc, &r)
	return r
}

func agentNotFound(id string) *provider.Error {
	return provider.NotFound("AGENT_NOT_FOUND", fmt.Sprintf("Agent %s not found", id))
}

// agentErr is err, with the store's not-found as Diga's for the agent.
func agentErr(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return agentNotFound(id)
	}
	return err
}

func versionNotFound(agent, version string) *provider.Error {
	return provider.NotFound("AGENT_NOT_FOUND", fmt.Sprintf("Version %s of agent %s not found", version, agent))
}

// edit decodes a stored row, lets fn change it, and encodes it back in the
// response schema's order.
func (d *diga) edit(e provider.Engine, doc []byte, fn func(map[string]any)) ([]byte, error) {
	v, err := provider.DecodeJSON(doc)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("stored agent row is not an object: %w", err)
	}
	fn(m)
	return e.Spec().Encode(d.agents.Response, m)
}

// snapshot makes the launched version with the given id from the draft.
func (d *diga) snapshot(e provider.Engine, draft []byte, id string, number int, name any, named bool, now time.Time) ([]byte, error) {
	return d.edit(e, draft, func(m map[string]any) {
		m["version_id"] = id
		m["version_number"] = number
		m["is_draft"], m["is_published"] = false, false
		m["version_created_at"], m["modified_at"] = provider.Timestamp(now), provider.Timestamp(now)
		if named {
			m["version_name"] = name
		}
	})
}

func (d *diga) createAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		body, _ := req.Body.(map[string]any)
		draftOnly := provider.QueryBool(req.HTTP.URL.Query(), "is_draft")
		// Drawn outside: the write function may run more than once.
		ids, now := agentIDs{e.NewID(), e.NewID(), e.NewID()}, e.Now()
		var doc []byte
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) (err error) {
			doc, err = d.insertAgent(tx, e, req.Tenant, ids, body, now, draftOnly)
			return err
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: req.Route.SuccessStatus(), Body: json.RawMessage(doc)}, nil
	}
}

// agentIDs are a new agent's ids: the agent, its draft's version, and
// version 1.
type agentIDs struct{ agent, draft, v1 string }

// insertAgent stores a new agent: its draft and, unless draftOnly, version
// 1. It returns version 1, or the draft when there is no version.
func (d *diga) insertAgent(tx *store.Tx, e provider.Engine, tenant string, ids agentIDs, body map[string]any, now time.Time, draftOnly bool) ([]byte, error) {
	id := ids.agent
	next := 2
	if draftOnly {
		next = 1
	}
	draft, err := d.agents.Build(body, func(doc, body map[string]any) error {
		ts := provider.Timestamp(now)
		doc["agent_id"] = id
		doc["created_at"], doc["modified_at"], doc["version_created_at"] = ts, ts, ts
		doc["version_id"] = ids.draft
		doc["version_number"] = next
		doc["is_draft"], doc["is_published"] = true, false
		return d.resolve(tx, e, tenant, doc, body)
	})
	if err != nil {
		return nil, err
	}
	if _, err := tx.Create(collDigaAgents, tenant, id, draft); err != nil {
		return nil, err
	}
	if draftOnly {
		return draft, nil
	}
	vid := ids.v1
	v1, err := d.snapshot(e, draft, vid, 1, nil, false, now)
	if err != nil {
		return nil, err
	}
	_, err = tx.Create(collDigaVersions, versionsOf(tenant, id), vid, v1)
	return v1, err
}

func (d *diga) patchAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		patch, _ := req.Body.(map[string]any)
		var rec store.Record
		now := provider.Timestamp(e.Now())
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) (err error) {
			rec, err = tx.Update(collDigaAgents, req.Tenant, id, func(stored []byte, _ *store.Meta) ([]byte, error) {
				return d.agents.Merge(stored, patch, func(doc, body map[string]any) error {
					doc["modified_at"] = now
					return d.resolve(tx, e, req.Tenant, doc, body)
				})
			})
			return err
		})
		if err != nil {
			return provider.Response{}, agentErr(err, id)
		}
		return provider.Response{Status: req.Route.SuccessStatus(), Body: json.RawMessage(rec.Doc), Checked: d.agents.Response}, nil
	}
}

// versions reads an agent's draft and its launched versions (in launch
// order) in one transaction.
func versions(tx *store.Tx, project, agent string) (store.Record, []store.Record, error) {
	draft, err := draftOf(tx, project, agent)
	if err != nil {
		return draft, nil, err
	}
	page, err := tx.List(collDigaVersions, versionsOf(project, agent), store.Query{})
	return draft, page.Records, err
}

// draftOf reads an agent's draft, the agent itself.
func draftOf(tx *store.Tx, project, agent string) (store.Record, error) {
	draft, err := tx.Get(collDigaAgents, project, agent)
	return draft, agentErr(err, agent)
}

func published(vs []store.Record) (store.Record, bool) {
	for _, v := range vs {
		if readRow(v.Doc).IsPublished {
			return v, true
		}
	}
	return store.Record{}, false
}

func (d *diga) getAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		q := provider.Query(req.HTTP.URL.RawQuery)
		versionID, wantPublished := q.Get("version_id"), provider.QueryBool(q, "is_published")
		if versionID != "" && wantPublished {
			return provider.Response{}, &provider.Error{Status: http.StatusBadRequest, Code: "BAD_PARAMETER",
				Message: "Cannot specify both version_id and is_published parameters together"}
		}
		if versionID == "" && !wantPublished {
			// The draft alone: its versions are not read, and the store
			// answers it without a transaction when it holds it in memory.
			draft, err := e.Store().Get(req.Ctx, collDigaAgents, req.Tenant, id)
			if err != nil {
				return provider.Response{}, agentErr(err, id)
			}
			return provider.Response{Status: http.StatusOK, Body: json.RawMessage(draft.Doc)}, nil
		}
		var doc []byte
		err := e.Store().View(req.Ctx, func(tx *store.Tx) error {
			draft, vs, err := versions(tx, req.Tenant, id)
			if err != nil {
				return err
			}
			switch {
			case wantPublished:
				p, ok := published(vs)
				if !ok {
					return provider.NotFound("AGENT_NOT_FOUND", fmt.Sprintf("Agent %s has no published version", id))
				}
				doc = p.Doc
			case versionID == "" || versionID == readRow(draft.Doc).VersionID:
				doc = draft.Doc
			default:
				for _, v := range vs {
					if v.ID == versionID {
						doc = v.Doc
					}
				}
				if doc == nil {
					return versionNotFound(id, versionID)
				}
			}
			return nil
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: http.StatusOK, Body: json.RawMessage(doc)}, nil
	}
}

func (d *diga) launchVersion(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		body, _ := req.Body.(map[string]any)
		name, named := body["version_name"]
		var out []byte
		now, vid := e.Now(), e.NewID()
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) error {
			draft, err := tx.Get(collDigaAgents, req.Tenant, id)
			if err != nil {
				return agentErr(err, id)
			}
			r := readRow(draft.Doc)
			if r.Mode == "path" && r.ConversationalPathID == nil {
				return &provider.Error{Status: http.StatusBadRequest, Code: "BAD_PARAMETER",
					Message: "Invalid version configuration: mode 'path' needs a conversational_path_id"}
			}
			if out, err = d.snapshot(e, draft.Doc, vid, r.VersionNumber, name, named, now); err != nil {
				return err
			}
			if _, err := tx.Create(collDigaVersions, versionsOf(req.Tenant, id), vid, out); err != nil {
				return err
			}
			next, err := d.edit(e, draft.Doc, func(m map[string]any) { m["version_number"] = r.VersionNumber + 1 })
			if err != nil {
				return err
			}
			return tx.Put(collDigaAgents, req.Tenant, id, draft.Meta, next)
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: req.Route.SuccessStatus(), Body: json.RawMessage(out)}, nil
	}
}

// listVersions pages through an agent's rows: its launched versions in
// launch order, then the draft, which is the newest.
func (d *diga) listVersions(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		pp, err := provider.ParsePage(req)
		if err != nil {
			return provider.Response{}, err
		}
		q := req.HTTP.URL.Query()
		var rows []store.Record
		err = e.Store().View(req.Ctx, func(tx *store.Tx) error {
			draft, vs, err := versions(tx, req.Tenant, id)
			rows = append(vs, draft)
			return err
		})
		if err != nil {
			return provider.Response{}, err
		}
		kept := rows[:0]
		for _, r := range rows {
			head := readRow(r.Doc)
			if mode := q.Get("mode"); mode != "" && head.Mode != mode {
				continue
			}
			if provider.QueryBool(q, "is_published") && !head.IsPublished {
				continue
			}
			r.ID = head.VersionID
			kept = append(kept, r)
		}
		page, err := store.Paginate(kept, pp.Query(nil))
		if errors.Is(err, store.ErrCursor) {
			return provider.Response{}, provider.ErrBadCursor
		}
		if err != nil {
			return provider.Response{}, err
		}
		return e.Envelope(req, pp, page, false)
	}
}

func (d *diga) deleteVersion(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id, versionID := req.Route.PathParams["agent_id"], req.Route.PathParams[provider.PathParam(req.Route)]
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) error {
			draft, vs, err := versions(tx, req.Tenant, id)
			if err != nil {
				return err
			}
			if readRow(draft.Doc).VersionID == versionID {
				return &provider.Error{Status: http.StatusConflict, Code: "PUBLISHED_AGENT_VERSION_DELETION",
					Message: fmt.Sprintf("Cannot delete the draft %s of agent %s: it is in use", versionID, id)}
			}
			for _, v := range vs {
				if v.ID != versionID {
					continue
				}
				if readRow(v.Doc).IsPublished {
					return &provider.Error{Status: http.StatusConflict, Code: "PUBLISHED_AGENT_VERSION_DELETION",
						Message: fmt.Sprintf("Cannot delete published version %s of agent %s", versionID, id)}
				}
				return tx.Delete(collDigaVersions, versionsOf(req.Tenant, id), versionID)
			}
			return versionNotFound(id, versionID)
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Deleted(req.Route), nil
	}
}

func (d *diga) deleteAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) error {
			_, vs, err := versions(tx, req.Tenant, id)
			if err != nil {
				return err
			}
			if _, ok := published(vs); ok {
				return &provider.Error{Status: http.StatusConflict, Code: "PUBLISHED_AGENT_VERSION_DELETION",
					Message: fmt.Sprintf("Cannot delete agent %s with published versions", id)}
			}
			if err := tx.DeleteTenant(collDigaVersions, versionsOf(req.Tenant, id)); err != nil {
				return err
			}
			return tx.Delete(collDigaAgents, req.Tenant, id)
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Deleted(req.Route), nil
	}
}

// publish makes one launched version the published one, or, with a null
// version_id, unpublishes the agent. The draft cannot be published.
func (d *diga) publish(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams[provider.PathParam(req.Route)]
		body, _ := req.Body.(map[string]any)
		target, _ := body["version_id"].(string)
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) error {
			draft, vs, err := versions(tx, req.Tenant, id)
			if err != nil {
				return err
			}
			if target != "" && readRow(draft.Doc).VersionID == target {
				return &provider.Error{Status: http.StatusBadRequest, Code: "BAD_PARAMETER",
					Message: "Invalid phone number configuration or version: the draft cannot be published; launch a version first"}
			}
			found := target == ""
			for _, v := range vs {
				found = found || v.ID == target
			}
			if !found {
				return versionNotFound(id, target)
			}
			for _, v := range vs {
				want := v.ID == target
				if readRow(v.Doc).IsPublished == want {
					continue
				}
				doc, err := d.edit(e, v.Doc, func(m map[string]any) { m["is_published"] = want })
				if err != nil {
					return err
				}
				if err := tx.Put(collDigaVersions, versionsOf(req.Tenant, id), v.ID, v.Meta, doc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return provider.Response{}, err
		}
		res := map[string]any{"agent_id": id, "published_version_id": nil, "outbound_phone_number_id": body["outbound_phone_number_id"], "inbound_phone_number_id": body["inbound_phone_number_id"]}
		if target != "" {
			res["published_version_id"] = target
		}
		return provider.Response{Status: req.Route.SuccessStatus(), Body: res}, nil
	}
}

// listAgents lists drafts, or with is_published=true each agent's published
// version, skipping agents that have none.
func (d *diga) listAgents(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		pp, err := provider.ParsePage(req)
		if err != nil {
			return provider.Response{}, err
		}
		q := req.HTTP.URL.Query()
		mode, wantPublished := q.Get("mode"), provider.QueryBool(q, "is_published")
		var page store.Page
		err = e.Store().View(req.Ctx, func(tx *store.Tx) error {
			// publishedDoc finds an agent's published version once per
			// request: match needs it, and so does the page after.
			shown := map[string][]byte{}
			publishedDoc := func(agentID string) []byte {
				doc, ok := shown[agentID]
				if !ok {
					vs, err := tx.List(collDigaVersions, versionsOf(req.Tenant, agentID), store.Query{})
					if err == nil {
						p, _ := published(vs.Records)
						doc = p.Doc
					}
					shown[agentID] = doc
				}
				return doc
			}
			// nil unless filtering, so that a total comes from the counts.
			var match func([]byte) bool
			switch {
			case wantPublished:
				match = func(draft []byte) bool {
					doc := publishedDoc(readRow(draft).AgentID)
					return doc != nil && (mode == "" || readRow(doc).Mode == mode)
				}
			case mode != "":
				match = func(draft []byte) bool { return readRow(draft).Mode == mode }
			}
			if page, err = tx.List(collDigaAgents, req.Tenant, pp.Query(match)); err != nil {
				return err
			}
			if wantPublished {
				for i, r := range page.Records {
					page.Records[i].Doc = publishedDoc(r.ID)
				}
			}
			return nil
		})
		if errors.Is(err, store.ErrCursor) {
			return provider.Response{}, provider.ErrBadCursor
		}
		if err != nil {
			return provider.Response{}, err
		}
		return e.Envelope(req, pp, page, false)
	}
}
