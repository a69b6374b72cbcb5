package mock

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// provider adapts the spec-driven engine to one vendor: how a caller proves
// who it is, which tenant a route acts on, what its errors look like, and the
// stateful behaviour bound to its operations.
type provider interface {
	// Name is "diga" or "itellico".
	Name() string
	// Authenticate maps a request's credentials to who is calling, from
	// the fixtures' keys.
	Authenticate(r *http.Request) (principal, bool)
	// Credential is the key a request presents, for the keys created
	// through the API (Rules.Credentials).
	Credential(r *http.Request) string
	// Scope returns the tenant a matched route acts on, or a 403 when the
	// caller may not act there or lacks the permission the route needs.
	Scope(p principal, route *openapi.Route) (string, error)
	// Render turns an error into the provider's body.
	Render(e *apiError) map[string]any
	// Malformed is the error for a body that is not JSON.
	Malformed(err error) *apiError
	// ErrorSchema names the component schema of the provider's error body,
	// used to check errors that no operation declares (unknown routes).
	ErrorSchema() string
	// Handlers binds operation keys to stateful behaviour.
	Handlers(s *Server) map[string]handlerFunc
	// RedirectSlashes answers a path that lacks (or has) the document's
	// trailing slash with a 307 to the documented one, as FastAPI does.
	RedirectSlashes() bool
	// EmptyQueryIsNull treats "name=" as an absent parameter: the itellico
	// SDKs encode a null query value that way.
	EmptyQueryIsNull() bool
	// Collections lists the store collections the provider keeps.
	Collections() []string
	// Seed loads the provider's fixtures, in the caller's transaction.
	Seed(tx *store.Tx, s *Server) error
	// Rules say where the provider's documents break, or cannot express,
	// the rules that derive state from a document.
	Rules() resources.Rules
	// Missing is the provider's 404 for a record of a derived resource.
	Missing(resource, id string) *apiError
}

// principal is who a request acts as: a tenant, and the permissions its key
// is restricted to (nil: unrestricted).
type principal struct {
	tenant      string
	permissions []string
}

// allows reports whether the key may use a permission: a key's
// permission "group.*" grants every action on a group, "*.view" one action
// on every group.
func (p principal) allows(perm string) bool {
	if p.permissions == nil || perm == "" || slices.Contains(p.permissions, perm) {
		return true
	}
	group, action, _ := strings.Cut(perm, ".")
	return slices.Contains(p.permissions, group+".*") || slices.Contains(p.permissions, "*."+action)
}

// keyring finds the tenant a key belongs to. It compares against every key,
// whatever matches, so timing tells nothing about which keys exist.
type keyring []fixtures.Tenant

func (k keyring) lookup(key string) (principal, bool) {
	var found *fixtures.Tenant
	for i, t := range k {
		if t.Key == "" {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(t.Key), []byte(key)) == 1 {
			found = &k[i]
		}
	}
	if found == nil || key == "" {
		return principal{}, false
	}
	return principal{tenant: found.ID, permissions: found.Permissions}, true
}

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
	collItlAgents     = "itellico/agents"
	// globalTenant holds what every tenant shares, such as Diga's voices.
	globalTenant = "_global"
)
