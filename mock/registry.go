package mock

import (
	"github.com/agentmock/agentmock/mock/diga"
	"github.com/agentmock/agentmock/mock/itellico"
	"github.com/agentmock/agentmock/mock/provider"
)

// Registry lists the providers agentmock serves, in the order they are
// served and listed. A new provider is a package implementing
// provider.Provider, with a Descriptor, and one entry here: the command's
// flags, agentmocktest and the contract targets follow from it.
func Registry() []provider.Descriptor {
	return []provider.Descriptor{diga.Descriptor(), itellico.Descriptor()}
}

// Descriptor finds a provider of the registry by name.
func Descriptor(name string) (provider.Descriptor, bool) {
	for _, d := range Registry() {
		if d.Name == name {
			return d, true
		}
	}
	return provider.Descriptor{}, false
}
