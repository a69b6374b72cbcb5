package itellico

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// itellico is itellico.ai's API: X-API-Key keys that act for an account and
// its subaccounts, and {code, message, detail?, errors?} errors.
type itellico struct {
	fx       *fixtures.Itellico
	keys     provider.Keyring
	accounts map[string]fixtures.Tenant
	agents   *provider.Resource
	// engine is the one Handlers was given: Scope reads the subaccounts
	// from its store.
	engine provider.Engine
}

// The bbolt buckets of itellico's agents and subaccounts. A subaccount is
// kept under its parent account's id.
const (
	collItlAgents        = "itellico/agents"
	collItlSubaccounts   = "itellico/subaccounts"
	collItlConversations = "itellico/conversations"
)

// Fixture records the contract checks start from.
const (
	FixtureAgent       = "22222222-2222-4222-8222-222222222222"
	FixtureSubaccount  = "a0000000-0000-4000-8000-0000000000a1"
	FixtureSipTrunk    = "f0000000-0000-4000-8000-00000000f001"
	FixturePhoneNumber = "e0000000-0000-4000-8000-00000000e001"
)

// Descriptor is itellico's entry in agentmock's registry.
func Descriptor() provider.Descriptor {
	return provider.Descriptor{
		Name: "itellico", Title: "itellico", DefaultAddr: ":4010",
		Header:  "X-API-Key",
		New:     func(fx *fixtures.Set) provider.Provider { return New(&fx.Itellico) },
		Tenants: func(fx *fixtures.Set) []fixtures.Tenant { return fx.Itellico.Accounts },
		PathParams: map[string]string{"account_id": "me", "agent_id": FixtureAgent, "subaccount_id": FixtureSubaccount,
			"sip_trunk_id": FixtureSipTrunk, "phone_number_id": FixturePhoneNumber, "provider": "elevenlabs"},
		BaseBodies: map[string]map[string]any{
			"POST /v1/accounts/{}/phone-numbers": {"sip_trunk_id": FixtureSipTrunk},
			"POST /v1/accounts/{}/agents": {
				"model":       map[string]any{"provider": "azure_openai", "model": "gpt-5-mini"},
				"transcriber": map[string]any{"provider": "deepgram"},
				"voice":       map[string]any{"provider": "elevenlabs", "voice_id": "pMsXgVXv3BLzUgSXRplE"},
			},
		},
	}
}

// New returns itellico's provider over its fixtures.
func New(fx *fixtures.Itellico) provider.Provider { return newItellico(fx) }

func newItellico(fx *fixtures.Itellico) *itellico {
	accounts := make(map[string]fixtures.Tenant, len(fx.Accounts))
	for _, a := range fx.Accounts {
		accounts[a.ID] = a
	}
	return &itellico{fx: fx, keys: provider.Keyring(fx.Accounts), accounts: accounts}
}

func (it *itellico) Name() string        { return "itellico" }
func (it *itellico) ErrorSchema() string { return "Error" }

func (it *itellico) RedirectSlashes() bool { return false }

func (it *itellico) EmptyQueryIsNull() bool { return true }

func (it *itellico) Authenticate(r *http.Request) (provider.Principal, bool) {
	return it.keys.Lookup(it.Credential(r))
}

// Credential is the key a request presents, authenticated or not.
func (it *itellico) Credential(r *http.Request) string { return r.Header.Get("X-API-Key") }

// Scope resolves the account a path names: the key's own (also as "me" or
// "current"), or one of its subaccounts, fixtures' or created through the
// API. Any other is forbidden.
func (it *itellico) Scope(ctx context.Context, p provider.Principal, route *openapi.Route) (string, error) {
	tenant := p.Tenant
	id, ok := route.PathParams["account_id"]
	if !ok || id == "me" || id == "current" || id == tenant {
		return tenant, nil
	}
	if it.engine != nil {
		err := it.engine.Store().View(ctx, func(tx *store.Tx) error {
			_, err := tx.Get(collItlSubaccounts, tenant, id)
			return err
		})
		switch {
		case err == nil:
			return id, nil
		case !errors.Is(err, store.ErrNotFound):
			return "", err
		}
	}
	return "", &provider.Error{Status: http.StatusForbidden, Message: "You do not have permission to access this account",
		Detail: fmt.Sprintf("The API key does not act for account %s", id)}
}

// Rules: the account in the path is the tenant, and agents keep the
// collection name fixtures and snapshots know.
func (it *itellico) Rules() resources.Rules {
	return resources.Rules{
		ScopeParams: []string{"account_id"},
		// A subaccount's parent is the account it is created under.
		TenantMembers: []string{"account_id", "parent_account_id"},
		Names: map[string]string{
			"/v1/accounts/{}/agents": "agents", "/v1/accounts/{}/subaccounts": "subaccounts",
			"/v1/accounts/{}/providers/models": "models", "/v1/accounts/{}/providers/transcribers": "transcribers",
			"/v1/accounts/{}/providers/voices": "voices", "/v1/accounts/{}/conversations": "conversations",
			"/v1/accounts/{}/phone-numbers": "phone_numbers", "/v1/accounts/{}/sip-trunks": "sip_trunks",
		},
		Shared: []string{"/v1/accounts/{}/providers/models", "/v1/accounts/{}/providers/transcribers", "/v1/accounts/{}/providers/voices"},
	}
}

// Describe words violations as the errors' messages do: pydantic's words.
func (it *itellico) Describe(v agentmock.Violation) string { return pydantic.Message(v) }

// Missing is itellico's 404, worded as its agent 404 is.
func (it *itellico) Missing(resource, id string) *provider.Error {
	return &provider.Error{Status: http.StatusNotFound, Message: "Resource not found",
		Detail: fmt.Sprintf("%s with UUID %s does not exist", provider.Capitalized(resource), id)}
}

var itellicoCodes = map[int]string{
	400: "bad_request", 401: "unauthorized", 402: "payment_required", 403: "forbidden",
	404: "not_found", 405: "method_not_allowed", 409: "conflict", 410: "gone",
	413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
	429: "rate_limit_exceeded", 500: "internal_error", 502: "bad_gateway",
	503: "service_unavailable", 504: "gateway_timeout",
}

func (it *itellico) Render(e *provider.Error) map[string]any {
	code := e.Code
	if code == "" {
		code = itellicoCodes[e.Status]
	}
	if code == "" {
		code = "internal_error"
	}
	body := provider.CodeMessageBody(code, e)
	if e.Detail != "" {
		body["detail"] = e.Detail
	}
	return body
}

func (it *itellico) Malformed(err error) *provider.Error {
	return &provider.Error{Status: http.StatusBadRequest, Message: "Malformed JSON body", Detail: err.Error()}
}

const (
	itlCreate  = "POST /v1/accounts/{}/agents"
	itlList    = "GET /v1/accounts/{}/agents"
	itlGet     = "GET /v1/accounts/{}/agents/{}"
	itlPatch   = "PATCH /v1/accounts/{}/agents/{}"
	itlDelete  = "DELETE /v1/accounts/{}/agents/{}"
	itlCurrent = "GET /v1/accounts/current"
)

func (it *itellico) Handlers(e provider.Engine) map[string]provider.Handler {
	h := map[string]provider.Handler{
		itlList:    it.listAgents(e),
		itlGet:     it.getAgent(e),
		itlDelete:  it.archiveAgent(e),
		itlCurrent: it.currentAccount(),
		itlUsage:   it.usage(e),
	}
	it.engine = e
	if agents, err := provider.NewResource(e.Spec(), itlCreate, itlGet, http.StatusOK); err == nil {
		it.agents = agents
		h[itlCreate] = it.createAgent(e)
		h[itlPatch] = it.patchAgent(e)
	} else {
		e.Log().Warn("agents are read-only: the document lacks what creating them needs", "err", err)
	}
	return h
}

// Collections lists what itellico keeps, for reset and snapshots.
func (it *itellico) Collections() []string { return []string{collItlAgents} }

func (it *itellico) Seed(tx *store.Tx, e provider.Engine) error {
	if err := e.SeedRecords(tx, it.fx.Records); err != nil {
		return err
	}
	if it.agents == nil {
		return nil
	}
	for _, a := range it.fx.Agents {
		body, created, err := it.agents.FixtureAgent(a)
		if err != nil {
			return err
		}
		if _, err := it.insertAgent(tx, e, a.Tenant, a.ID, body, created); err != nil {
			return fmt.Errorf("agent %s: %w", a.ID, err)
		}
	}
	return nil
}

func (it *itellico) insertAgent(tx *store.Tx, e provider.Engine, tenant, id string, body map[string]any, now time.Time) (store.Record, error) {
	doc, err := it.agents.Build(body, func(doc, _ map[string]any) error {
		doc["id"], doc["account_id"] = id, tenant
		doc["created"], doc["modified"] = provider.Timestamp(now), provider.Timestamp(now)
		return nil
	})
	if err != nil {
		return store.Record{}, err
	}
	return tx.Create(collItlAgents, tenant, id, doc)
}

func (it *itellico) createAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		body, _ := req.Body.(map[string]any)
		var rec store.Record
		id, now := e.NewID(), e.Now() // drawn outside: the write may run more than once
		err := e.Store().Write(req.Ctx, func(tx *store.Tx) (err error) {
			rec, err = it.insertAgent(tx, e, req.Tenant, id, body, now)
			return err
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: req.Route.SuccessStatus(), Body: json.RawMessage(rec.Doc), Checked: it.agents.Response}, nil
	}
}

func agentMissing(id string) *provider.Error {
	return &provider.Error{Status: http.StatusNotFound, Message: "Resource not found", Detail: fmt.Sprintf("Agent with UUID %s does not exist", id)}
}

func (it *itellico) getAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams["agent_id"]
		rec, err := e.Store().Get(req.Ctx, collItlAgents, req.Tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			return provider.Response{}, agentMissing(id)
		}
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: http.StatusOK, Body: json.RawMessage(rec.Doc)}, nil
	}
}

// patchAgent applies a merge patch. A PATCH also unarchives: the SDKs
// document unarchiving "via PATCH", and no field exists for it.
func (it *itellico) patchAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams["agent_id"]
		patch, _ := req.Body.(map[string]any)
		now := provider.Timestamp(e.Now())
		rec, err := e.Store().Update(req.Ctx, collItlAgents, req.Tenant, id, func(stored []byte, meta *store.Meta) ([]byte, error) {
			meta.Archived = false
			return it.agents.Merge(stored, patch, func(doc, body map[string]any) error {
				doc["modified"] = now
				return it.checkVariants(e, doc, body)
			})
		})
		if errors.Is(err, store.ErrNotFound) {
			return provider.Response{}, agentMissing(id)
		}
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: http.StatusOK, Body: json.RawMessage(rec.Doc), Checked: it.agents.Response}, nil
	}
}

// checkVariants requires the known fields of each union member a patch
// touched to still form a valid variant of the create request's union: a
// model name must belong to its provider, a language to its transcriber.
// Keys that no variant declares stay, as the SDKs send them.
func (it *itellico) checkVariants(e provider.Engine, doc, body map[string]any) error {
	create := openapi.View(it.agents.Create)
	var vs []agentmock.Violation
	for f := range it.agents.Unions {
		if _, touched := body[f]; !touched || create == nil || create.Properties[f] == nil {
			continue
		}
		sch := create.Properties[f].Value
		v, ok := doc[f].(map[string]any)
		if !ok {
			continue // null: the generic check reports clearing what create requires
		}
		known := openapi.WithoutNulls(v)
		e.Spec().Unknown(sch, known, true)
		for _, viol := range e.Spec().Check(agentmock.InBody, sch, known, true) {
			viol.Path = append([]string{f}, viol.Path...)
			vs = append(vs, viol)
		}
	}
	if len(vs) > 0 {
		return provider.Invalid(vs...)
	}
	return nil
}

// archiveAgent soft-deletes: the agent leaves the default list but can still
// be fetched by id and listed with is_archived=true.
func (it *itellico) archiveAgent(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		id := req.Route.PathParams["agent_id"]
		_, err := e.Store().Update(req.Ctx, collItlAgents, req.Tenant, id, func(doc []byte, meta *store.Meta) ([]byte, error) {
			meta.Archived = true
			return doc, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return provider.Response{}, agentMissing(id)
		}
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: req.Route.SuccessStatus()}, nil
	}
}

func (it *itellico) listAgents(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		q := req.HTTP.URL.Query()
		// The engine's list filters: name, tags and the created/modified
		// bounds are members of the agent.
		match, err := e.Filter(req)
		if err != nil {
			return provider.Response{}, err
		}
		archived := provider.QueryBool(q, "is_archived")
		page, err := e.Store().List(req.Ctx, collItlAgents, req.Tenant, store.Query{
			Offset: provider.QueryInt(req.Route, q, "offset", 0),
			Limit:  provider.QueryInt(req.Route, q, "limit", 20),
			Where:  func(m store.Meta) bool { return m.Archived == archived },
			Match:  match,
			Count:  true,
			Arena:  req.Scratch,
		})
		if err != nil {
			return provider.Response{}, err
		}
		items := make([]any, len(page.Records))
		for i, r := range page.Records {
			items[i] = json.RawMessage(r.Doc)
		}
		return provider.Response{Status: http.StatusOK, Body: map[string]any{"count": page.Total, "items": items}}, nil
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

func (it *itellico) currentAccount() provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		return provider.Response{Status: http.StatusOK, Body: it.account(req.Tenant)}, nil
	}
}
