package resources

import (
	"maps"
	"slices"
	"strings"
)

// aliases derives, for each collection, the request members its records
// hold under another name: a member a request body writes that the item
// does not declare, where the item declares exactly one member that the
// written name ends (friendly_name for name: itellico's phone numbers) or
// that ends the written name (number for phone_number: Diga's phone
// import), and no request writes that member under its own name. A
// reference (_id, _ids) is never an alias: it is kept or linked.
func (m *Model) aliases() {
	for _, r := range m.Resources {
		if r.Kind != Collection {
			continue
		}
		items := Members(r.Item)
		for _, w := range slices.Sorted(maps.Keys(r.Writable)) {
			if items[w] != nil || strings.HasSuffix(w, "_id") || strings.HasSuffix(w, "_ids") || embedsVia(r, w) {
				continue
			}
			var found []string
			for n := range items {
				if r.Writable[n] || n == r.IDMember {
					continue
				}
				if strings.HasSuffix(n, "_"+w) || strings.HasSuffix(w, "_"+n) {
					found = append(found, n)
				}
			}
			if len(found) == 1 {
				if r.Aliases == nil {
					r.Aliases = map[string]string{}
				}
				r.Aliases[w] = found[0]
			}
		}
	}
}

func embedsVia(r *Resource, member string) bool {
	for _, l := range r.Links {
		if l.Kind == Embed && l.Via == member {
			return true
		}
	}
	return false
}
