package mock

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/agentmock/agentmock/fixtures"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// SeedRecords stores fixture records in the collections of the resources
// the document declares. A store name the document does not declare is
// skipped with a warning rather than refused: fixtures written for our
// documents must still start a vendor's, which may name fewer resources.
func (s *Server) SeedRecords(tx *store.Tx, recs fixtures.Records) error {
	for _, name := range slices.Sorted(maps.Keys(recs)) {
		r := s.resourceStored(name)
		if r == nil {
			s.log.Warn("fixtures name a resource the document does not declare; its records are skipped", "resource", name)
			continue
		}
		for _, owner := range slices.Sorted(maps.Keys(recs[name])) {
			tenant := owner
			switch {
			case owner == "*" && r.Shared:
				tenant = provider.GlobalTenant
			case owner == "*" || r.Shared:
				return fmt.Errorf("%s: %q: a shared catalogue's records are under \"*\", a tenant's under its id", name, owner)
			}
			for i, raw := range recs[name][owner] {
				id, err := fixtureID(raw, r.IDMember, i)
				if err != nil {
					return fmt.Errorf("%s[%s][%d]: %w", name, owner, i, err)
				}
				if _, err := tx.Create(s.collection(r), tenant, id, raw); err != nil {
					return fmt.Errorf("%s[%s][%d]: %w", name, owner, i, err)
				}
			}
		}
	}
	return nil
}

// resourceStored finds the resource stored under name, or nil.
func (s *Server) resourceStored(name string) *resources.Resource {
	for _, r := range s.model.Resources {
		if r.Store == name {
			return r
		}
	}
	return nil
}

// fixtureID is the id a fixture record is stored under: its id member's, or
// where its resource has none (a catalogue entry), its place in the list,
// so that a list answers in the order the fixtures give.
func fixtureID(raw json.RawMessage, member string, i int) (string, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("not a JSON object: %w", err)
	}
	if member == "" {
		return fmt.Sprintf("%06d", i+1), nil
	}
	id, _ := doc[member].(string)
	if id == "" {
		return "", fmt.Errorf("no %q", member)
	}
	return id, nil
}
