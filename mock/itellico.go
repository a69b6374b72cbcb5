package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// itellico is itellico.ai's API: X-API-Key keys that act for an account and
// its subaccounts, and {code, message, detail?, errors?} errors.
type itellico struct {
	fx       *fixtures.Itellico
	keys     keyring
	accounts map[string]fixtures.Tenant
	agents   *resource
}

func newItellico(fx *fixtures.Itellico) *itellico {
	accounts := make(map[string]fixtures.Tenant, len(fx.Accounts))
	for _, a := range fx.Accounts {
		accounts[a.ID] = a
	}
	return &itellico{fx: fx, keys: keyring(fx.Accounts), accounts: accounts}
}

func (it *itellico) Name() string        { return "itellico" }
func (it *itellico) ErrorSchema() string { return "Error" }

func (it *itellico) RedirectSlashes() bool { return false }

func (it *itellico) EmptyQueryIsNull() bool { return true }

func (it *itellico) Authenticate(r *http.Request) (principal, bool) {
	return it.keys.lookup(it.Credential(r))
}

// Credential is the key a request presents, authenticated or not.
func (it *itellico) Credential(r *http.Request) string { return r.Header.Get("X-API-Key") }

// Scope resolves the account a path names: the key's own (also as "me" or
// "current"), or one of its subaccounts. Any other is forbidden.
func (it *itellico) Scope(p principal, route *openapi.Route) (string, error) {
	tenant := p.tenant
	id, ok := route.PathParams["account_id"]
	if !ok || id == "me" || id == "current" || id == tenant {
		return tenant, nil
	}
	if a, ok := it.accounts[id]; ok && a.Parent == tenant {
		return id, nil
	}
	return "", &apiError{Status: http.StatusForbidden, Message: "You do not have permission to access this account",
		Detail: fmt.Sprintf("The API key does not act for account %s", id)}
}

// Rules: the account in the path is the tenant, and agents keep the
// collection name fixtures and snapshots know.
func (it *itellico) Rules() resources.Rules {
	return resources.Rules{
		ScopeParams:   []string{"account_id"},
		TenantMembers: []string{"account_id"},
		Names:         map[string]string{"/v1/accounts/{}/agents": "agents"},
	}
}

// Missing is itellico's 404, worded as its agent 404 is.
func (it *itellico) Missing(resource, id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Message: "Resource not found",
		Detail: fmt.Sprintf("%s with UUID %s does not exist", capitalized(resource), id)}
}

var itellicoCodes = map[int]string{
	400: "bad_request", 401: "unauthorized", 402: "payment_required", 403: "forbidden",
	404: "not_found", 405: "method_not_allowed", 409: "conflict", 410: "gone",
	413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
	429: "rate_limit_exceeded", 500: "internal_error", 502: "bad_gateway",
	503: "service_unavailable", 504: "gateway_timeout",
}

func (it *itellico) Render(e *apiError) map[string]any {
	code := e.Code
	if code == "" {
		code = itellicoCodes[e.Status]
	}
	if code == "" {
		code = "internal_error"
	}
	body := codeMessageBody(code, e)
	if e.Detail != "" {
		body["detail"] = e.Detail
	}
	return body
}

func (it *itellico) Malformed(err error) *apiError {
	return &apiError{Status: http.StatusBadRequest, Message: "Malformed JSON body", Detail: err.Error()}
}

const (
	itlCreate   = "POST /v1/accounts/{}/agents"
	itlList     = "GET /v1/accounts/{}/agents"
	itlGet      = "GET /v1/accounts/{}/agents/{}"
	itlPatch    = "PATCH /v1/accounts/{}/agents/{}"
	itlDelete   = "DELETE /v1/accounts/{}/agents/{}"
	itlCurrent  = "GET /v1/accounts/current"
	itlSubaccts = "GET /v1/accounts/{}/subaccounts"
)

func (it *itellico) Handlers(s *Server) map[string]handlerFunc {
	h := map[string]handlerFunc{
		itlList:     it.listAgents(s),
		itlGet:      it.getAgent(s),
		itlDelete:   it.archiveAgent(s),
		itlCurrent:  it.currentAccount(),
		itlSubaccts: it.subaccounts(),
	}
	if agents, err := newResource(s.spec, itlCreate, itlGet, http.StatusOK); err == nil {
		it.agents = agents
		h[itlCreate] = it.createAgent(s)
		h[itlPatch] = it.patchAgent(s)
	} else {
		s.log.Warn("agents are read-only: the document lacks what creating them needs", "err", err)
	}
	return h
}

// Collections lists what itellico keeps, for reset and snapshots.
func (it *itellico) Collections() []string { return []string{collItlAgents} }

func (it *itellico) Seed(tx *store.Tx, s *Server) error {
	if it.agents == nil {
		return nil
	}
	for _, a := range it.fx.Agents {
		body, created, err := fixtureAgent(s, it.agents, a)
		if err != nil {
			return err
		}
		if _, err := it.insertAgent(tx, s, a.Tenant, a.ID, body, created); err != nil {
			return fmt.Errorf("agent %s: %w", a.ID, err)
		}
	}
	return nil
}

func (it *itellico) insertAgent(tx *store.Tx, s *Server, tenant, id string, body map[string]any, now time.Time) (store.Record, error) {
	doc, err := it.agents.build(body, func(doc, _ map[string]any) error {
		doc["id"], doc["account_id"] = id, tenant
		doc["created"], doc["modified"] = timestamp(now), timestamp(now)
		return nil
	})
	if err != nil {
		return store.Record{}, err
	}
	return tx.Create(collItlAgents, tenant, id, doc)
}

func (it *itellico) createAgent(s *Server) handlerFunc {
	return func(req *request) (response, error) {
		body, _ := req.body.(map[string]any)
		var rec store.Record
		id, now := s.newID(), s.now() // drawn outside: the write may run more than once
		err := s.store.Write(req.ctx, func(tx *store.Tx) (err error) {
			rec, err = it.insertAgent(tx, s, req.tenant, id, body, now)
			return err
		})
		if err != nil {
			return response{}, err
		}
		return response{status: openapi.SuccessStatus(req.route.Operation), body: json.RawMessage(rec.Doc), checked: it.agents.response}, nil
	}
}

func agentMissing(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Message: "Resource not found", Detail: fmt.Sprintf("Agent with UUID %s does not exist", id)}
}

func (it *itellico) getAgent(s *Server) handlerFunc {
	return func(req *request) (response, error) {
		id := req.route.PathParams["agent_id"]
		rec, err := s.store.Get(req.ctx, collItlAgents, req.tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			return response{}, agentMissing(id)
		}
		if err != nil {
			return response{}, err
		}
		return response{status: http.StatusOK, body: json.RawMessage(rec.Doc)}, nil
	}
}

// patchAgent applies a merge patch. A PATCH also unarchives: the SDKs
// document unarchiving "via PATCH", and no field exists for it.
func (it *itellico) patchAgent(s *Server) handlerFunc {
	return func(req *request) (response, error) {
		id := req.route.PathParams["agent_id"]
		patch, _ := req.body.(map[string]any)
		now := timestamp(s.now())
		rec, err := s.store.Update(req.ctx, collItlAgents, req.tenant, id, func(stored []byte, meta *store.Meta) ([]byte, error) {
			meta.Archived = false
			return it.agents.merge(stored, patch, func(doc, body map[string]any) error {
				doc["modified"] = now
				return it.checkVariants(s, doc, body)
			})
		})
		if errors.Is(err, store.ErrNotFound) {
			return response{}, agentMissing(id)
		}
		if err != nil {
			return response{}, err
		}
		return response{status: http.StatusOK, body: json.RawMessage(rec.Doc), checked: it.agents.response}, nil
	}
}

// checkVariants requires the known fields of each union member a patch
// touched to still form a valid variant of the create request's union: a
// model name must belong to its provider, a language to its transcriber.
// Keys that no variant declares stay, as the SDKs send them.
func (it *itellico) checkVariants(s *Server, doc, body map[string]any) error {
	create := openapi.View(it.agents.create)
	var vs []agentmock.Violation
	for f := range it.agents.unions {
		if _, touched := body[f]; !touched || create == nil || create.Properties[f] == nil {
			continue
		}
		sch := create.Properties[f].Value
		v, ok := doc[f].(map[string]any)
		if !ok {
			continue // null: the generic check reports clearing what create requires
		}
		known := openapi.WithoutNulls(v)
		s.spec.Unknown(sch, known, true)
		for _, viol := range s.spec.Check(agentmock.InBody, sch, known, true) {
			viol.Path = append([]string{f}, viol.Path...)
			vs = append(vs, viol)
		}
	}
	if len(vs) > 0 {
		return invalid(vs...)
	}
	return nil
}

// archiveAgent soft-deletes: the agent leaves the default list but can still
// be fetched by id and listed with is_archived=true.
func (it *itellico) archiveAgent(s *Server) handlerFunc {
	return func(req *request) (response, error) {
		id := req.route.PathParams["agent_id"]
		_, err := s.store.Update(req.ctx, collItlAgents, req.tenant, id, func(doc []byte, meta *store.Meta) ([]byte, error) {
			meta.Archived = true
			return doc, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return response{}, agentMissing(id)
		}
		if err != nil {
			return response{}, err
		}
		return response{status: openapi.SuccessStatus(req.route.Operation)}, nil
	}
}

func (it *itellico) listAgents(s *Server) handlerFunc {
	return func(req *request) (response, error) {
		q := req.http.URL.Query()
		// The engine's list filters: name, tags and the created/modified
		// bounds are members of the agent.
		var match func([]byte) bool
		if b := s.model.Binding(req.route.Key); b != nil && b.Resource != nil {
			var err error
			if match, err = filterOf(req, b.Resource); err != nil {
				return response{}, err
			}
		}
		archived := queryBool(q, "is_archived")
		page, err := s.store.List(req.ctx, collItlAgents, req.tenant, store.Query{
			Offset: queryInt(req.route, q, "offset", 0),
			Limit:  queryInt(req.route, q, "limit", 20),
			Where:  func(m store.Meta) bool { return m.Archived == archived },
			Match:  match,
			Count:  true,
		})
		if err != nil {
			return response{}, err
		}
		items := make([]any, len(page.Records))
		for i, r := range page.Records {
			items[i] = json.RawMessage(r.Doc)
		}
		return response{status: http.StatusOK, body: map[string]any{"count": page.Total, "items": items}}, nil
	}
}

func (it *itellico) account(id string) map[string]any {
	a := it.accounts[id]
	active := true
	if a.IsActive != nil {
		active = *a.IsActive
	}
	var parent, created any
	if a.Parent != "" {
		parent = a.Parent
	}
	if a.Created != "" {
		created = a.Created
	}
	return map[string]any{"id": a.ID, "name": a.Name, "is_active": active, "created": created, "modified": created, "parent_account_id": parent}
}

func (it *itellico) currentAccount() handlerFunc {
	return func(req *request) (response, error) {
		return response{status: http.StatusOK, body: it.account(req.tenant)}, nil
	}
}

func (it *itellico) subaccounts() handlerFunc {
	return func(req *request) (response, error) {
		q := req.http.URL.Query()
		var items []any
		for _, a := range it.fx.Accounts {
			if a.Parent != req.tenant {
				continue
			}
			acct := it.account(a.ID)
			if q.Get("is_active") != "" && acct["is_active"] != queryBool(q, "is_active") {
				continue
			}
			items = append(items, acct)
		}
		total := len(items)
		offset, limit := queryInt(req.route, q, "offset", 0), queryInt(req.route, q, "limit", 50)
		from := min(offset, total) // offset+limit could overflow
		items = items[from:min(from+limit, total)]
		if items == nil {
			items = []any{}
		}
		return response{status: http.StatusOK, body: map[string]any{"count": total, "items": items}}, nil
	}
}
