package mock

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// lookups resolves, in the caller's transaction, the members of a create's
// body that name another record by one of its members (Rules.Lookups),
// and copies into the new record what that record gives it.
func (s *Server) lookups(tx *store.Tx, req *provider.Request, r *resources.Resource, doc, body map[string]any) error {
	for _, l := range s.rules.Lookups[r.Path] {
		value, ok := body[l.Member].(string)
		target := s.model.Resource(l.Target)
		if !ok || target == nil {
			continue
		}
		tenant := req.Tenant
		if target.Shared {
			tenant = provider.GlobalTenant
		}
		page, err := tx.List(s.collection(target), tenant, store.Query{})
		if err != nil {
			return fmt.Errorf("look %s up: %w", l.Member, err)
		}
		var found map[string]any
		for _, rec := range page.Records {
			if found != nil {
				break
			}
			cand, err := record(rec.Doc)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(l.By, func(m string) bool { v, _ := cand[m].(string); return v == value }) {
				found = cand
			}
		}
		if found == nil {
			e := provider.NotFound(provider.DeclaredCode(req.Route.Operation, http.StatusNotFound),
				fmt.Sprintf("%s %s not found", provider.Capitalized(words(target)), value))
			if e.Code == "" {
				e = s.prov.Missing(target.Name, value)
			}
			return e
		}
		for to, from := range l.Copy {
			if _, given := body[to]; !given {
				doc[to] = found[from]
			}
		}
	}
	return nil
}

// resolveRef checks a reference to a nested record whose parent no sibling
// names, where the provider keeps that resource itself (provider.Resolver):
// a dangling one is a 422; a found one sets its parent's id in the member
// that names it beside the reference, where the record has one
// (outbound_version_id sets outbound_agent_id, agent_version_id agent_id).
func (s *Server) resolveRef(tx *store.Tx, tenant string, path []string, name, id string, t *resources.Resource, siblings map[string]any, vs *[]agentmock.Violation) error {
	res, ok := s.prov.(provider.Resolver)
	if !ok || !res.Keeps(t.Name) {
		return nil // the reference cannot be resolved, and is let be
	}
	parent, found, err := res.Resolve(tx, tenant, t.Name, id)
	if err != nil {
		return err
	}
	if !found {
		*vs = append(*vs, agentmock.Violation{In: agentmock.InBody, Path: slices.Clone(path), Kind: agentmock.KindValue,
			Message: fmt.Sprintf("Value error, %s %s does not exist", words(t), id)})
		return nil
	}
	if m := parentMember(name, t); m != "" {
		if _, declared := siblings[m]; declared {
			siblings[m] = parent
		}
	}
	return nil
}

// unresolve clears what resolveRef set beside a reference the request
// cleared: a phone whose outbound_version_id is null has no
// outbound_agent_id either.
func (s *Server) unresolve(name string, siblings map[string]any) {
	t := s.model.Target(name, s.rules)
	res, ok := s.prov.(provider.Resolver)
	if t == nil || t.Parent == nil || !ok || !res.Keeps(t.Name) {
		return
	}
	if m := parentMember(name, t); m != "" {
		if _, declared := siblings[m]; declared {
			siblings[m] = nil
		}
	}
}

// parentMember names the member beside a reference that holds the
// referenced record's parent: <prefix>_<parent>_id for <prefix>_<name>_id.
func parentMember(ref string, t *resources.Resource) string {
	stem, ok := strings.CutSuffix(ref, "_id")
	if !ok {
		return ""
	}
	prefix := strings.TrimSuffix(strings.TrimSuffix(stem, t.Name), "_")
	switch {
	case prefix == "":
		return t.Parent.Name + "_id"
	case prefix == t.Parent.Name || strings.HasSuffix(prefix, "_"+t.Parent.Name):
		return prefix + "_id"
	}
	return prefix + "_" + t.Parent.Name + "_id"
}
