package mock

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// pagination names the query parameters that page a list rather than
// filter it.
var pagination = []string{"after", "before", "page", "limit", "offset", "order", "sort", "sort_by", "order_by", "cursor"}

func (s *Server) list(req *provider.Request, b *resources.Binding) (provider.Response, error) {
	pp, err := provider.ParsePage(req)
	if err != nil {
		return provider.Response{}, err
	}
	if env := openapi.View(req.Route.ResponseSchema(req.Route.SuccessStatus())); env != nil {
		for _, k := range []string{"count", "total", "total_count", "total_pages"} {
			if env.Properties[k] != nil && (k != "total_pages" || pp.Page > 0) {
				pp.Count = true
			}
		}
	}
	match, err := filterOf(req, b.Resource)
	if err != nil {
		return provider.Response{}, err
	}
	p := s.placeOf(req, b)
	var page store.Page
	err = s.store.View(req.Ctx, func(tx *store.Tx) error {
		if err := s.parents(tx, req, b, p); err != nil {
			return err
		}
		var err error
		page, err = tx.List(p.coll, p.tenant, pp.Query(match))
		return err
	})
	if errors.Is(err, store.ErrCursor) {
		return provider.Response{}, provider.ErrBadCursor
	}
	if err != nil {
		return provider.Response{}, err
	}
	return s.Envelope(req, pp, page, true)
}

// condition is one filter a list's query asks for.
type condition struct {
	member string
	op     string // "eq", "contains" (a name), or a range: "ge", "gt", "le", "lt"
	values []string
	at     time.Time
}

// filterOf derives a list's filter from its query: a parameter that names
// a member of the item matches it (strings ignoring case; a name, or a
// member ending in _name, by a part of it; an array member by holding
// every value given, comma-separated or repeated), <member>_ge/_gt/_le/_lt
// bound it, start_<x>_date/end_<x>_date bound <x>_date or <x>_at, as
// Diga names its date ranges, and <x>_after/<x>_before bound <x>, <x>_at,
// <x>_date or <x>_timestamp (created_* a record's start where it has no
// created member, updated_* its modified), as itellico names them. search
// or q matches a part of the name. Parameters that name nothing are let be.
// Nil when nothing filters, so that a total comes from the store's counts.
func filterOf(req *provider.Request, r *resources.Resource) (func([]byte) bool, error) {
	q := req.HTTP.URL.Query()
	var members map[string]*openapi3.Schema // the item's, read once a parameter may filter
	declared := func(m string) bool { return members[m] != nil }
	var conds []condition
	for _, name := range sortedQuery(q) {
		if slices.Contains(pagination, name) {
			continue
		}
		v := q.Get(name)
		if v == "" {
			continue
		}
		if members == nil {
			members = resources.Members(r.Item)
		}
		if declared(name) {
			c := condition{member: name, op: "eq", values: []string{v}}
			switch mv := openapi.View(members[name]); {
			case mv != nil && mv.Type.Is(openapi3.TypeArray):
				c.values = nil
				for _, raw := range q[name] {
					for _, part := range strings.Split(raw, ",") {
						if part = strings.TrimSpace(part); part != "" {
							c.values = append(c.values, part)
						}
					}
				}
			case name == "name" || strings.HasSuffix(name, "_name"):
				c.op = "contains"
			}
			conds = append(conds, c)
			continue
		}
		if (name == "search" || name == "q") && declared("name") {
			conds = append(conds, condition{member: "name", op: "contains", values: []string{v}})
			continue
		}
		member, op := rangeOf(name, declared)
		if member == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, provider.Invalid(agentmock.Violation{In: agentmock.InQuery, Path: []string{name}, Kind: agentmock.KindDateTime,
				Expected: []string{"datetime with a timezone"}})
		}
		conds = append(conds, condition{member: member, op: op, at: at})
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return func(doc []byte) bool {
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil {
			return false
		}
		for _, c := range conds {
			if !c.holds(m[c.member]) {
				return false
			}
		}
		return true
	}, nil
}

func sortedQuery(q url.Values) []string {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// rangeOf reads a range parameter's member and bound.
func rangeOf(name string, declared func(string) bool) (string, string) {
	for _, op := range []string{"ge", "gt", "le", "lt"} {
		if m, ok := strings.CutSuffix(name, "_"+op); ok && declared(m) {
			return m, op
		}
	}
	for suffix, op := range map[string]string{"_after": "gt", "_before": "lt"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		candidates := []string{base, base + "_at", base + "_date", base + "_timestamp"}
		switch base {
		case "created":
			// A record that starts (a conversation) is created when it starts.
			candidates = append(candidates, "start_timestamp", "started_at", "start_time")
		case "updated":
			candidates = append(candidates, "modified", "modified_at")
		}
		for _, m := range candidates {
			if declared(m) {
				return m, op
			}
		}
	}
	for prefix, op := range map[string]string{"start_": "ge", "end_": "le", "from_": "ge", "to_": "le"} {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(rest, "_date"), "_at")
		for _, m := range []string{rest, base + "_date", base + "_at", base} {
			if declared(m) {
				return m, op
			}
		}
	}
	return "", ""
}

func (c condition) holds(v any) bool {
	if c.op != "eq" && c.op != "contains" {
		s, _ := v.(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false
		}
		switch c.op {
		case "ge":
			return !at.Before(c.at)
		case "gt":
			return at.After(c.at)
		case "le":
			return !at.After(c.at)
		default:
			return at.Before(c.at)
		}
	}
	switch x := v.(type) {
	case []any:
		for _, want := range c.values {
			if !slices.ContainsFunc(x, func(e any) bool { return scalarEquals(e, want) }) {
				return false
			}
		}
		return true
	case string:
		if c.op == "contains" {
			return strings.Contains(strings.ToLower(x), strings.ToLower(c.values[0]))
		}
	}
	return scalarEquals(v, c.values[0])
}

func scalarEquals(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return strings.EqualFold(x, want)
	case bool:
		b, err := strconv.ParseBool(want)
		return err == nil && b == x
	case float64:
		f, err := strconv.ParseFloat(want, 64)
		return err == nil && f == x
	case nil:
		return want == "null"
	}
	return false
}
