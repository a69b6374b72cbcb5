package mock

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// references checks, in the caller's transaction, that every member of doc
// the request set and whose name says it holds the id of another
// resource's record (resources.Model.Target) names one the tenant has.
// Values are read from doc, the record after the change, since a merge
// may differ from the body.
func (s *Server) references(tx *store.Tx, req *request, doc, body map[string]any) error {
	vs, err := s.referenceViolations(tx, req.tenant, doc, body)
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		return invalid(vs...)
	}
	return nil
}

// referenceViolations is references' check for a tenant, for behaviours
// that report what they find together with violations of their own.
func (s *Server) referenceViolations(tx *store.Tx, tenant string, doc, body map[string]any) ([]agentmock.Violation, error) {
	var vs []agentmock.Violation
	for _, k := range slices.Sorted(maps.Keys(body)) {
		if err := s.refWalk(tx, tenant, []string{k}, k, doc[k], doc, &vs); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

func (s *Server) refWalk(tx *store.Tx, tenant string, path []string, name string, v any, siblings map[string]any, vs *[]agentmock.Violation) error {
	switch x := v.(type) {
	case string:
		return s.refCheck(tx, tenant, path, name, x, siblings, vs)
	case []any:
		for i, item := range x {
			p := append(slices.Clip(path), fmt.Sprint(i))
			switch it := item.(type) {
			case string:
				if err := s.refCheck(tx, tenant, p, name, it, siblings, vs); err != nil {
					return err
				}
			case map[string]any:
				if err := s.refObject(tx, tenant, p, it, vs); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		return s.refObject(tx, tenant, path, x, vs)
	}
	return nil
}

func (s *Server) refObject(tx *store.Tx, tenant string, path []string, obj map[string]any, vs *[]agentmock.Violation) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if err := s.refWalk(tx, tenant, append(slices.Clip(path), k), k, obj[k], obj, vs); err != nil {
			return err
		}
	}
	return nil
}

// refCheck looks one referenced id up. A record nested under a parent is
// looked up under the parent its siblings name; with no such sibling the
// reference cannot be resolved, and is let be.
func (s *Server) refCheck(tx *store.Tx, tenant string, path []string, name, id string, siblings map[string]any, vs *[]agentmock.Violation) error {
	t := s.model.Target(name, s.prov.Rules())
	if t == nil {
		return nil
	}
	switch {
	case t.Shared:
		tenant = globalTenant
	case t.Parent != nil:
		parent, ok := siblings[t.Parent.Name+"_id"].(string)
		if !ok {
			return nil
		}
		tenant = parent
	}
	_, err := tx.Get(s.collection(t), tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		*vs = append(*vs, agentmock.Violation{In: agentmock.InBody, Path: path, Kind: agentmock.KindValue,
			Message: fmt.Sprintf("Value error, %s %s does not exist", words(t), id)})
		return nil
	}
	return err
}

// words names a resource in prose: "knowledge base".
func words(r *resources.Resource) string { return strings.ReplaceAll(r.Name, "_", " ") }
