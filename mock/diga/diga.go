package diga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// Collections, one bbolt bucket each.
const (
	collDigaAgents    = "diga/agents"
	collDigaVersions  = "diga/versions"
	collDigaVoices    = "diga/voices"
	collDigaKB        = "diga/knowledge_bases"
	collDigaPaths     = "diga/paths"
	collDigaIntegs    = "diga/integrations"
	collDigaTools     = "diga/integration_tools"
	collDigaCallTools = "diga/call_tools"
)

// Fixture records the contract checks start from.
const (
	FixtureAgent       = "11111111-1111-4111-8111-111111111111"
	FixtureVoice       = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	FixtureIntegration = "8e3b2c1a-4f5d-4a6b-8c7d-2e3f4a5b6c01"
	FixturePhone       = "e7d6c5b4-a392-4817-8615-243342516001"
	FixtureTool        = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c01"
)

// Descriptor is Diga's entry in agentmock's registry.
func Descriptor() provider.Descriptor {
	return provider.Descriptor{
		Name: "diga", Title: "Diga", DefaultAddr: ":3000",
		Header: "Authorization", Scheme: "Bearer ",
		New:        func(fx *fixtures.Set) provider.Provider { return New(&fx.Diga) },
		Tenants:    func(fx *fixtures.Set) []fixtures.Tenant { return fx.Diga.Projects },
		PathParams: map[string]string{"agent_id": FixtureAgent, "integration_id": FixtureIntegration, "phone_id": FixturePhone, "tool_id": FixtureTool},
		BaseBodies: map[string]map[string]any{
			"POST /v1/agent/": {"voice_id": FixtureVoice, "language": "es"},
		},
	}
}

// New returns Diga's provider over its fixtures.
func New(fx *fixtures.Diga) provider.Provider {
	return &diga{fx: fx, keys: provider.Keyring(fx.Projects)}
}

// diga is Diga's API: bearer keys scoped to one project, FastAPI validation
// errors, and {status, error_code, message} for everything else.
type diga struct {
	fx     *fixtures.Diga
	keys   provider.Keyring
	agents *provider.Resource
}

func (d *diga) Name() string        { return "diga" }
func (d *diga) ErrorSchema() string { return "ErrorResponseSchema" }

// RedirectSlashes: FastAPI's default redirect_slashes, which Diga keeps.
func (d *diga) RedirectSlashes() bool { return true }

func (d *diga) EmptyQueryIsNull() bool { return false }

func (d *diga) Authenticate(r *http.Request) (provider.Principal, bool) {
	return d.keys.Lookup(d.Credential(r))
}

// Scope: a Diga key is its project, and no path names another. A restricted
// key needs the operation's permission; Diga answers 403 with its quirky
// INTERNAL_SERVER_ERROR code and a message naming the action.
func (d *diga) Scope(_ context.Context, p provider.Principal, route *openapi.Route) (string, error) {
	if p.Permissions == nil {
		return p.Tenant, nil // unrestricted: nothing to look up
	}
	need, ok := digaPermissions[route.Key]
	if !ok {
		need = derivedPermission(route)
	}
	if !p.Allows(need.perm) {
		return "", &provider.Error{Status: http.StatusForbidden, Message: need.message}
	}
	return p.Tenant, nil
}

type permission struct{ perm, message string }

// digaPermissions maps operations to what a restricted key needs, with the
// 403 messages of Diga's documents.
var digaPermissions = map[string]permission{
	digaCreate:       {"agents.create", "Missing required permissions to create agents"},
	digaList:         {"agents.view", "Missing required permissions to view agents"},
	digaGet:          {"agents.view", "Missing required permissions to view agents"},
	digaPatch:        {"agents.update", "Missing required permissions to update agents"},
	digaDelete:       {"agents.delete", "Missing required permissions to delete agents"},
	digaLaunch:       {"agents.create", "Missing required permissions to create agents"},
	digaVersions:     {"agents.view", "Missing required permissions to view agents"},
	digaDelVersion:   {"agents.delete", "Missing required permissions to delete agents"},
	digaPublish:      {"agents.update", "Missing required permissions to update agents or phones"},
	digaVoices:       {"voices.view", "Missing required permissions"},
	digaVoice:        {"voices.view", "Missing required permissions"},
	digaKBs:          {"knowledge_bases.view", "Missing required permissions to view knowledge bases"},
	digaPaths:        {"conversational_paths.view", "Missing required permissions to view conversational paths"},
	digaIntegrations: {"integrations.view", "Missing required permissions to view integrations"},
	digaTools:        {"integrations.view", "Missing required permissions to view integration tools"},
	digaCallTools:    {"tools.view", "Missing required permissions to view call tools"},
	digaDropdown:     {"agents.view", "Missing required permissions to view agents"},
	digaImportPhone:  {"phones.import", "Missing required permissions to import phones"},
}

// groupOf maps the groups tags name to the permission groups Diga has:
// knowledge items and tags are governed by knowledge_bases.*.
var groupOf = map[string]string{"knowledge_items": "knowledge_bases", "knowledge_tags": "knowledge_bases"}

// derivedPermission is what a restricted key needs for an operation the
// table does not name: the group its first tag names, in snake case and
// plural ("Knowledge Bases" is knowledge_bases, "Integration" integrations,
// and groups Diga has no permissions of its own for as groupOf says), and
// the action its method names.
func derivedPermission(route *openapi.Route) permission {
	if len(route.Operation.Tags) == 0 {
		return permission{}
	}
	group := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(route.Operation.Tags[0], "-", " ")), "_"))
	if !strings.HasSuffix(group, "s") {
		group += "s"
	}
	if g, ok := groupOf[group]; ok {
		group = g
	}
	action := map[string]string{"GET": "view", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}[route.Method]
	return permission{group + "." + action, "Missing required permissions to " + action + " " + strings.ReplaceAll(group, "_", " ")}
}

// Rules: the collections that keep the names fixtures and snapshots know
// them by, the catalogues every project shares, and the members that look
// like references and are not. Agent versions are kept by the versions
// behaviour, not under their agent's id, so a version id is checked there.
func (d *diga) Rules() resources.Rules {
	return resources.Rules{
		Names: map[string]string{
			"/v1/agent": "agents", "/v1/agent/{}/version": "versions", "/v1/voice": "voices",
			"/v1/knowledge/base": "knowledge_bases", "/v1/path": "paths", "/v1/integration": "integrations",
			"/v1/integration/{}/tool": "integration_tools", "/v1/call-tool": "call_tools",
			"/v1/knowledge/item": "knowledge_items", "/v1/knowledge/tag": "knowledge_tags", "/v1/phone": "phones",
			"/v1/call": "calls", "/v1/call/{}/message": "call_messages", "/v1/webhook": "webhooks", "/v1/api_key": "api_keys",
		},
		Shared: []string{"/v1/voice", "/v1/call-tool"},
		// version_id and published_version_id are the agent behaviour's
		// own to check; the versions phones and calls name are resolved by
		// Resolve (versions.go).
		NotReferences: []string{"provider_voice_id", "version_id", "published_version_id"},
		TenantMembers: []string{"project_id"},
		Webhooks:      &resources.Webhooks{Path: "/v1/webhook", URL: "url", Events: "subscribed_events", Secret: "secret"},
		Credentials:   map[string]string{"/v1/api_key": "value"},
		// A call is made from one of the project's numbers, written as the
		// number or as the phone's id, with the agent version the number
		// makes its outbound calls with unless the body names one.
		Lookups: map[string][]resources.Lookup{
			"/v1/call": {{
				Member: "from_number", Target: "/v1/phone", By: []string{"number", "id"},
				Copy: map[string]string{"phone_register_id": "id", "agent_id": "outbound_agent_id", "agent_version_id": "outbound_version_id"},
			}},
		},
	}
}

// Credential is the key a request presents, authenticated or not.
func (d *diga) Credential(r *http.Request) string {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(key)
}

// Describe words violations as FastAPI's pydantic does.
func (d *diga) Describe(v agentmock.Violation) string { return pydantic.Message(v) }

// Missing is Diga's 404: NOT_FOUND unless the operation declares its own
// code, and a message naming the record.
func (d *diga) Missing(resource, id string) *provider.Error {
	return provider.NotFound("NOT_FOUND", fmt.Sprintf("%s %s not found", provider.Capitalized(resource), id))
}

var digaCodes = map[int]string{
	400: "BAD_PARAMETER",
	401: "INVALID_API_KEY",
	403: "INTERNAL_SERVER_ERROR", // sic: Diga's documents use this code for 403
	404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED",
	409: "CONFLICT",
	413: "REQUEST_TOO_LARGE",
	415: "UNSUPPORTED_MEDIA_TYPE",
	422: "VALIDATION_ERROR",
	429: "RATE_LIMIT_EXCEEDED",
	500: "INTERNAL_SERVER_ERROR",
	501: "NOT_IMPLEMENTED",
	503: "SERVICE_UNAVAILABLE",
}

func (d *diga) Render(e *provider.Error) map[string]any {
	if len(e.Violations) > 0 {
		detail := make([]any, len(e.Violations))
		for i, v := range e.Violations {
			detail[i] = map[string]any{"loc": v.Loc(), "msg": pydantic.Message(v), "type": v.Kind}
		}
		return map[string]any{"detail": detail}
	}
	code := e.Code
	if code == "" {
		code = digaCodes[e.Status]
	}
	if code == "" {
		code = strings.ToUpper(strings.ReplaceAll(http.StatusText(e.Status), " ", "_"))
	}
	return map[string]any{"status": "error", "error_code": code, "message": e.Message}
}

// Malformed answers as FastAPI does: a 422 whose loc carries the offset of
// the syntax error.
func (d *diga) Malformed(err error) *provider.Error {
	v := agentmock.Violation{In: agentmock.InBody, Path: []string{"0"}, Kind: agentmock.KindJSONInvalid, Message: "JSON decode error"}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		v.Path = []string{fmt.Sprint(se.Offset)}
	}
	return provider.Invalid(v)
}

const (
	digaCreate       = "POST /v1/agent/"
	digaList         = "GET /v1/agent/"
	digaGet          = "GET /v1/agent/{}"
	digaPatch        = "PATCH /v1/agent/{}"
	digaDelete       = "DELETE /v1/agent/{}"
	digaLaunch       = "POST /v1/agent/{}/version"
	digaVersions     = "GET /v1/agent/{}/version"
	digaDelVersion   = "DELETE /v1/agent/{}/version/{}"
	digaPublish      = "PATCH /v1/agent/{}/published_version"
	digaVoices       = "GET /v1/voice/"
	digaVoice        = "GET /v1/voice/{}"
	digaKBs          = "GET /v1/knowledge/base/"
	digaPaths        = "GET /v1/path/"
	digaIntegrations = "GET /v1/integration"
	digaTools        = "GET /v1/integration/{}/tool"
	digaCallTools    = "GET /v1/call-tool/"
	digaDropdown     = "GET /v1/agent/versions-dropdown/dashboard"
	digaImportPhone  = "POST /v1/phone/import"
)

func (d *diga) Handlers(e provider.Engine) map[string]provider.Handler {
	// Voices, knowledge bases, paths, integrations, their tools and call
	// tools are the engine's (engine.go): only agents behave as Diga's own.
	h := map[string]provider.Handler{
		digaList:       d.listAgents(e),
		digaGet:        d.getAgent(e),
		digaDelete:     d.deleteAgent(e),
		digaVersions:   d.listVersions(e),
		digaDelVersion: d.deleteVersion(e),
		digaDropdown:   d.dropdown(e),
	}
	if agents, err := provider.NewResource(e.Spec(), digaCreate, digaGet, http.StatusOK); err == nil {
		d.agents = agents
		h[digaCreate] = d.createAgent(e)
		h[digaPatch] = d.patchAgent(e)
		h[digaLaunch] = d.launchVersion(e)
		h[digaPublish] = d.publish(e)
	} else {
		e.Log().Warn("agents are read-only: the document lacks what creating them needs", "err", err)
	}
	return h
}

// Collections lists what Diga keeps, for reset and snapshots.
func (d *diga) Collections() []string {
	return []string{collDigaAgents, collDigaVersions, collDigaVoices, collDigaKB, collDigaPaths, collDigaIntegs, collDigaTools, collDigaCallTools}
}

// Seed loads the catalogue, the per-project references and the sample agents.
func (d *diga) Seed(tx *store.Tx, e provider.Engine) error {
	if err := e.SeedRecords(tx, d.fx.Records); err != nil {
		return err
	}
	if d.agents == nil {
		return nil
	}
	for _, a := range d.fx.Agents {
		body, created, err := d.agents.FixtureAgent(a)
		if err != nil {
			return err
		}
		if _, err := d.insertAgent(tx, e, a.Tenant, agentIDs{a.ID, e.NewID(), e.NewID()}, body, created, false); err != nil {
			return fmt.Errorf("agent %s: %w", a.ID, err)
		}
	}
	return nil
}

// resolve turns the references a request names into what the response shows,
// and rejects references to things the project does not have.
func (d *diga) resolve(tx *store.Tx, e provider.Engine, tenant string, doc, body map[string]any) error {
	var vs []agentmock.Violation
	bad := func(path []string, msg string) {
		vs = append(vs, agentmock.Violation{In: agentmock.InBody, Path: path, Kind: agentmock.KindValue, Message: msg})
	}
	props := openapi.View(d.agents.Response).Properties
	if v, ok := body["voice_id"]; ok {
		delete(doc, "voice_id")
		id, _ := v.(string)
		switch rec, err := tx.Get(collDigaVoices, provider.GlobalTenant, id); {
		case v == nil:
			bad([]string{"voice_id"}, "Value error, an agent must have a voice: voice_id cannot be null")
		case errors.Is(err, store.ErrNotFound):
			bad([]string{"voice_id"}, fmt.Sprintf("Value error, voice %s does not exist", id))
		case err != nil:
			return err
		case props["voice"] != nil:
			voice, err := e.Project(props["voice"].Value, rec.Doc)
			if err != nil {
				return err
			}
			doc["voice"] = voice
		}
	}
	// The document's copies, not the body's: after a merge they differ.
	changed := func(k string) any {
		if _, ok := body[k]; ok {
			return doc[k]
		}
		return nil
	}
	// What references name must exist: the engine's rule (engine_refs.go).
	// What is left here is what the agent shows of them.
	refs, err := e.References(tx, tenant, doc, body)
	if err != nil {
		return err
	}
	vs = append(vs, refs...)
	if items, ok := changed("integrations").([]any); ok {
		for _, item := range items {
			m, _ := item.(map[string]any)
			id, _ := m["integration_id"].(string)
			if rec, err := tx.Get(collDigaIntegs, tenant, id); err == nil {
				var integ struct {
					Name string `json:"name"`
				}
				_ = json.Unmarshal(rec.Doc, &integ)
				m["integration_name"] = integ.Name
			}
		}
	}
	if items, ok := changed("call_tools").([]any); ok {
		for _, item := range items {
			m, _ := item.(map[string]any)
			id, ok := m["call_tool_id"].(string)
			if !ok {
				continue // later documents embed typed call tools instead of references
			}
			if rec, err := tx.Get(collDigaCallTools, provider.GlobalTenant, id); err == nil {
				var tool struct {
					Name string `json:"name"`
				}
				_ = json.Unmarshal(rec.Doc, &tool)
				m["call_tool_name"] = tool.Name
			}
		}
	}
	if len(vs) > 0 {
		return provider.Invalid(vs...)
	}
	return nil
}
