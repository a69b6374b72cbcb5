package resources

import (
	"cmp"
	"maps"
	"slices"

	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// LinkKind says how a linked member is computed.
type LinkKind string

const (
	// Embed shows the record a reference names, in the member's shape: a
	// phone number written with inbound_agent_id answers inbound_agent
	// {id, name}.
	Embed LinkKind = "embed"
	// Backref lists the records of another resource that reference this
	// one: a SIP trunk's phone_numbers are those whose sip_trunk_id names it.
	Backref LinkKind = "backref"
)

// A Link is a member of a resource's item computed from other records on
// every read, never stored, so that it cannot go stale: renaming an agent
// renames it on every number that embeds it.
//
// Invariant: Target is a top-level, unshared collection or a shared
// catalogue; Shape is an object schema with an id member.
type Link struct {
	Kind LinkKind
	// Member is the item's member the link fills.
	Member string
	// Via is the reference member: of this resource's stored records
	// (Embed), or of Target's (Backref).
	Via string
	// ID is the member holding the id of this resource's records, which a
	// Backref's Via names.
	ID     string
	Target *Resource
	// Shape is the schema of one linked record: the member's (Embed) or
	// its items' (Backref).
	Shape *openapi3.Schema
}

// links derives each resource's links from the document:
//   - an item member M holding an object with an id, where the item
//     declares no M_id but a request body of the resource writes M_id, a
//     reference, embeds the record M_id names;
//   - an item member no request writes, holding an array of objects with an
//     id, named for another resource ("phone_numbers" for phone_number)
//     whose request bodies write a reference to this resource, lists those
//     of its records that name this one.
func (m *Model) links(rules Rules) {
	for _, r := range m.Resources {
		if r.Kind != Collection {
			continue
		}
		members := Members(r.Item)
		for _, name := range slices.Sorted(maps.Keys(members)) {
			v := openapi.View(members[name])
			if v == nil {
				continue
			}
			if via := name + "_id"; hasID(v) && members[via] == nil && r.Writable[via] {
				if t := m.Target(via, rules); t != nil && t.Parent == nil {
					r.Links = append(r.Links, Link{Kind: Embed, Member: name, Via: via, Target: t, Shape: v})
				}
				continue
			}
			if r.Writable[name] || v.Items == nil || !hasID(openapi.View(v.Items.Value)) {
				continue
			}
			for _, t := range m.Resources {
				via := r.Name + "_id"
				if t == r || t.Kind != Collection || t.Parent != nil || plural(t.Name) != name || !t.Writable[via] || m.Target(via, rules) != r {
					continue
				}
				r.Links = append(r.Links, Link{Kind: Backref, Member: name, Via: via, ID: cmp.Or(r.IDMember, "id"), Target: t, Shape: openapi.View(v.Items.Value)})
			}
		}
	}
}

func hasID(v *openapi3.Schema) bool {
	return v != nil && v.Type != nil && v.Type.Is(openapi3.TypeObject) && v.Properties["id"] != nil
}

// plural is the English plural the documents name lists by.
func plural(name string) string {
	switch {
	case len(name) > 1 && name[len(name)-1] == 'y' && !slices.Contains([]byte("aeiou"), name[len(name)-2]):
		return name[:len(name)-1] + "ies"
	case len(name) > 0 && (name[len(name)-1] == 's' || name[len(name)-1] == 'x'):
		return name + "es"
	}
	return name + "s"
}
