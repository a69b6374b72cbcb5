package provider

import "github.com/agentmock/agentmock/fixtures"

// Descriptor is what agentmock's registry knows of a provider, from its own
// package: its name, where it listens by default, how a caller presents a
// key, how it is built, and what the contract checks start from. The
// command's flags, agentmocktest and the contract targets come from it.
type Descriptor struct {
	// Name names the provider's flags (--diga-addr, --diga-spec), its
	// environment variables, its embedded document and its collections.
	Name string
	// Title is the provider's name in prose: "Diga".
	Title string
	// DefaultAddr is where it listens unless told otherwise.
	DefaultAddr string
	// Header carries a key, after Scheme ("Bearer ", or "").
	Header, Scheme string
	// New builds the provider over the fixtures.
	New func(fx *fixtures.Set) Provider
	// Tenants lists the fixtures' tenants, their keys among them.
	Tenants func(fx *fixtures.Set) []fixtures.Tenant
	// PathParams and BaseBodies are the path values (naming fixture
	// records) and create bodies contract checks start from.
	PathParams map[string]string
	BaseBodies map[string]map[string]any
}

// DefaultKey is the first key the fixtures give the provider's tenants.
func (d Descriptor) DefaultKey(fx *fixtures.Set) string {
	return DefaultKey(d.Tenants(fx))
}
