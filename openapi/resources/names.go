package resources

import (
	"regexp"
	"slices"
	"strings"
)

var versionSegment = regexp.MustCompile(`^v[0-9]+$`)

// nameOf derives a resource's singular name from its collection path: the
// literal segments after its parent's item (or after the API version), with
// the tenant's own segment and "-" dropped, and the last word made singular
// when one names a record: "/v1/knowledge/base" is knowledge_base,
// "/v1/accounts/{account_id}/phone-numbers" is phone_number. A singleton
// keeps its word: "/v1/settings" is settings.
func nameOf(path string, parent *Resource, one bool) string {
	if parent != nil {
		path = strings.TrimPrefix(path, parent.Path+"/{}")
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var words []string
	for i, s := range segs {
		switch {
		case s == "" || s == "{}" || versionSegment.MatchString(s):
			continue
		case s == scopeMarker:
			if len(words) > 0 {
				words = words[:len(words)-1] // the tenant's collection
			}
			continue
		case i+1 < len(segs) && segs[i+1] == scopeMarker:
			words = append(words, s) // dropped when the marker is reached
			continue
		}
		words = append(words, strings.ReplaceAll(s, "-", "_"))
	}
	if len(words) == 0 {
		return "resource"
	}
	if one {
		words[len(words)-1] = singular(words[len(words)-1])
	}
	return strings.Join(words, "_")
}

// singular undoes English plurals the vendors use in paths.
func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies"):
		return strings.TrimSuffix(w, "ies") + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"):
		return w
	case strings.HasSuffix(w, "s"):
		return strings.TrimSuffix(w, "s")
	}
	return w
}

// The rule for references: a member named <name>_id or <name>_ids, or
// <prefix>_<name>_id (conversational_path_id names a path, inbound_agent_id
// an agent), holds the id or ids of that resource's records. A nested
// target is checked only where a sibling member names its parent.

// Target returns the resource a member name refers to, or nil. The longest
// resource name that the member's stem is, or ends with after "_", wins.
func (m *Model) Target(member string, rules Rules) *Resource {
	if slices.Contains(rules.NotReferences, member) || slices.Contains(rules.TenantMembers, member) {
		return nil
	}
	stem, ok := strings.CutSuffix(member, "_ids")
	if !ok {
		if stem, ok = strings.CutSuffix(member, "_id"); !ok {
			return nil
		}
	}
	var best *Resource
	for _, r := range m.Resources {
		if r.Kind != Collection {
			continue
		}
		if stem == r.Name || strings.HasSuffix(stem, "_"+r.Name) {
			if best == nil || len(r.Name) > len(best.Name) || (len(r.Name) == len(best.Name) && r.Parent == nil) {
				best = r
			}
		}
	}
	return best
}
