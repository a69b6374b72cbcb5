package provider

import (
	"crypto/subtle"
	"slices"
	"strings"

	"github.com/agentmock/agentmock/fixtures"
)

// Principal is who a request acts as: a tenant, and the permissions its key
// is restricted to (nil: unrestricted).
type Principal struct {
	Tenant      string
	Permissions []string
}

// Allows reports whether the key may use a permission: a key's
// permission "group.*" grants every action on a group, "*.view" one action
// on every group.
func (p Principal) Allows(perm string) bool {
	if p.Permissions == nil || perm == "" || slices.Contains(p.Permissions, perm) {
		return true
	}
	group, action, _ := strings.Cut(perm, ".")
	return slices.Contains(p.Permissions, group+".*") || slices.Contains(p.Permissions, "*."+action)
}

// Keyring finds the tenant a key belongs to. It compares against every key,
// whatever matches, so timing tells nothing about which keys exist.
type Keyring []fixtures.Tenant

func (k Keyring) Lookup(key string) (Principal, bool) {
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
		return Principal{}, false
	}
	return Principal{Tenant: found.ID, Permissions: found.Permissions}, true
}

// DefaultKey is the first API key the fixtures give a provider.
func DefaultKey(ts []fixtures.Tenant) string {
	for _, t := range ts {
		if t.Key != "" {
			return t.Key
		}
	}
	return ""
}
