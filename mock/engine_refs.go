package mock

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// references checks, in the caller's transaction, that every member of doc
// the request set and whose name says it holds the id of another
// resource's record (resources.Model.Target) names one the tenant has.
// Values are read from doc, the record after the change, since a merge
// may differ from the body.
func (s *Server) references(tx *store.Tx, req *provider.Request, doc, body map[string]any) error {
	vs, err := s.References(tx, req.Tenant, doc, body)
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		return provider.Invalid(vs...)
	}
	return nil
}

// References is references' check for a tenant, for behaviours that
// report what it finds together with violations of their own. It runs on
// every agent PATCH, so it walks with one path stack, skips strings whose
// member name names no reference, and sorts only what it reports.
func (s *Server) References(tx *store.Tx, tenant string, doc, body map[string]any) ([]agentmock.Violation, error) {
	w := refWalker{s: s, tx: tx, tenant: tenant, path: make([]string, 0, 8)}
	for k := range body {
		if err := w.walk(k, doc[k], doc); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(w.vs, func(a, b agentmock.Violation) int { return strings.Compare(a.Field(), b.Field()) })
	return w.vs, nil
}

// refWalker walks a record for references, keeping the path it stands at.
type refWalker struct {
	s      *Server
	tx     *store.Tx
	tenant string
	path   []string
	vs     []agentmock.Violation
}

// refLike reports whether a member name may name a reference at all.
func refLike(name string) bool {
	return strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids")
}

func (w *refWalker) walk(name string, v any, siblings map[string]any) error {
	w.path = append(w.path, name)
	defer func() { w.path = w.path[:len(w.path)-1] }()
	switch x := v.(type) {
	case nil:
		if refLike(name) {
			w.s.unresolve(name, siblings) // engine_lookup.go
		}
	case string:
		if refLike(name) {
			return w.s.refCheck(w.tx, w.tenant, w.path, name, x, siblings, &w.vs)
		}
	case []any:
		for i, item := range x {
			switch it := item.(type) {
			case string:
				if !refLike(name) {
					continue
				}
				w.path = append(w.path, strconv.Itoa(i))
				err := w.s.refCheck(w.tx, w.tenant, w.path, name, it, siblings, &w.vs)
				w.path = w.path[:len(w.path)-1]
				if err != nil {
					return err
				}
			case map[string]any:
				w.path = append(w.path, strconv.Itoa(i))
				err := w.object(it)
				w.path = w.path[:len(w.path)-1]
				if err != nil {
					return err
				}
			}
		}
	case map[string]any:
		return w.object(x)
	}
	return nil
}

func (w *refWalker) object(obj map[string]any) error {
	for k, v := range obj {
		if err := w.walk(k, v, obj); err != nil {
			return err
		}
	}
	return nil
}

// refCheck looks one referenced id up. A record nested under a parent is
// looked up under the parent its siblings name; with no such sibling the
// reference cannot be resolved, and is let be.
func (s *Server) refCheck(tx *store.Tx, tenant string, path []string, name, id string, siblings map[string]any, vs *[]agentmock.Violation) error {
	t := s.model.Target(name, s.rules)
	if t == nil {
		return nil
	}
	switch {
	case t.Shared:
		tenant = provider.GlobalTenant
	case t.Parent != nil:
		parent, ok := siblings[t.Parent.Name+"_id"].(string)
		if !ok {
			return s.resolveRef(tx, tenant, path, name, id, t, siblings, vs) // engine_lookup.go
		}
		tenant = parent
	}
	_, err := tx.Get(s.collection(t), tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		*vs = append(*vs, agentmock.Violation{In: agentmock.InBody, Path: slices.Clone(path), Kind: agentmock.KindValue,
			Message: fmt.Sprintf("Value error, %s %s does not exist", words(t), id)})
		return nil
	}
	return err
}

// words names a resource in prose: "knowledge base".
func words(r *resources.Resource) string { return strings.ReplaceAll(r.Name, "_", " ") }
