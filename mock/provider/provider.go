// Package provider is the contract between agentmock's engine (package
// mock) and the vendors it serves (packages diga and itellico beside it):
// the Provider a vendor implements, the Engine it is given, and the
// request, response, error and paging types both speak. A vendor package
// imports this one and never the engine, so that the engine's registry can
// import every vendor.
package provider

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/agentmock/agentmock/fixtures"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// GlobalTenant holds what every tenant shares, such as Diga's voices.
const GlobalTenant = "_global"

// Provider adapts the spec-driven engine to one vendor: how a caller proves
// who it is, which tenant a route acts on, what its errors look like, and the
// stateful behaviour bound to its operations where the engine's rules are
// not the vendor's.
type Provider interface {
	// Name is the provider's name: the prefix of its store collections.
	Name() string
	// Authenticate maps a request's credentials to who is calling, from
	// the fixtures' keys.
	Authenticate(r *http.Request) (Principal, bool)
	// Credential is the key a request presents, for the keys created
	// through the API (Rules.Credentials).
	Credential(r *http.Request) string
	// Scope returns the tenant a matched route acts on, or a 403 when the
	// caller may not act there or lacks the permission the route needs.
	Scope(ctx context.Context, p Principal, route *openapi.Route) (string, error)
	// Render turns an error into the provider's body.
	Render(e *Error) map[string]any
	// Malformed is the error for a body that is not JSON.
	Malformed(err error) *Error
	// ErrorSchema names the component schema of the provider's error body,
	// used to check errors that no operation declares (unknown routes).
	ErrorSchema() string
	// Handlers binds operation keys to the provider's own behaviour; every
	// other operation is the engine's.
	Handlers(e Engine) map[string]Handler
	// RedirectSlashes answers a path that lacks (or has) the document's
	// trailing slash with a 307 to the documented one, as FastAPI does.
	RedirectSlashes() bool
	// EmptyQueryIsNull treats "name=" as an absent parameter: the itellico
	// SDKs encode a null query value that way.
	EmptyQueryIsNull() bool
	// Collections lists the store collections the provider's own
	// behaviour keeps, besides the engine's.
	Collections() []string
	// Seed loads the provider's fixtures, in the caller's transaction.
	Seed(tx *store.Tx, e Engine) error
	// Rules say where the provider's documents break, or cannot express,
	// the rules that derive state from a document.
	Rules() resources.Rules
	// Missing is the provider's 404 for a record of a derived resource.
	Missing(resource, id string) *Error
	// Describe words a violation in the provider's vocabulary (the
	// journal and flattened messages use it).
	Describe(v agentmock.Violation) string
}

// Resolver is a provider that keeps a nested resource in its own layout
// (Diga's agent versions, stored under their agent by its behaviour), so
// that the engine cannot find one of its records by id alone: Resolve says
// whether id names a record of the tenant's, and under which parent, for
// the resources it Keeps.
type Resolver interface {
	Keeps(resource string) bool
	Resolve(tx *store.Tx, tenant, resource, id string) (parent string, ok bool, err error)
}

// Engine is what the engine gives a provider's behaviour: the store, the
// document, the clock and ids, and the engine's own rules to reuse.
type Engine interface {
	Store() *store.Store
	Spec() *openapi.Spec
	Log() *slog.Logger
	// Now is the server's clock, in UTC at microsecond precision.
	Now() time.Time
	// NewID draws a resource id: random, or from --seed.
	NewID() string
	// Envelope answers a page of records in the list response's envelope;
	// reshape projects each record onto the item schema.
	Envelope(req *Request, pp PageParams, p store.Page, reshape bool) (Response, error)
	// Project reshapes a stored record onto the schema an answer declares.
	Project(sch *openapi3.Schema, raw []byte) (map[string]any, error)
	// References checks, in the caller's transaction, the members of doc
	// the body set that name another resource's records.
	References(tx *store.Tx, tenant string, doc, body map[string]any) ([]agentmock.Violation, error)
	// Filter is the engine's list filter for the resource a list
	// operation is bound to; nil when the query filters nothing.
	Filter(req *Request) (func([]byte) bool, error)
	// SeedRecords stores fixture records in the collections of the
	// resources the document declares.
	SeedRecords(tx *store.Tx, recs fixtures.Records) error
	// Emit delivers an event about a record to each of the tenant's
	// webhooks subscribed to it (Rules.Webhooks), from the outbox, once
	// the caller's transaction commits. seq tells apart the events about
	// one record, so that a step applied twice emits once.
	Emit(tx *store.Tx, tenant, event, subject string, seq int, data any) error
	// Calls are the simulated calls' timings.
	Calls() CallTimings
}
