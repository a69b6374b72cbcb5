package resources

import (
	"maps"
	"slices"

	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// batchMember names the one array member of a create's answer whose items
// are the collection's records (Diga's successful_items of an upload),
// "" when there is none or more than one: a batch create stores one
// record per element the request gives and answers them there.
func batchMember(answer, item *openapi3.Schema) string {
	v := openapi.View(answer)
	if v == nil || item == nil || ListItems(answer) != nil && isPage(v) {
		return ""
	}
	var found []string
	for name, p := range v.Properties {
		if pv := openapi.View(p.Value); pv != nil && pv.Items != nil && sameShape(pv.Items.Value, item) {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// isPage reports whether an envelope carries a member only a page has.
func isPage(v *openapi3.Schema) bool {
	return slices.ContainsFunc(pageMarkers, func(k string) bool { return v.Properties[k] != nil })
}

// eachChild finds, for a merge below a record, the body's array member
// whose objects each name one of the record's nested records by
// <child>_id (Diga's tools[].tool_id of tool-approval): the merge then
// applies each object to the record it names, not to the parent.
func eachChild(op *openapi3.Operation, owner *Resource) (string, *Resource) {
	v := openapi.View(openapi.BodySchema(op))
	if v == nil {
		return "", nil
	}
	for _, name := range slices.Sorted(maps.Keys(v.Properties)) {
		pv := openapi.View(v.Properties[name].Value)
		if pv == nil || pv.Items == nil {
			continue
		}
		members := Members(pv.Items.Value)
		for _, c := range owner.Children {
			if members[c.Name+"_id"] != nil {
				return name, c
			}
		}
	}
	return "", nil
}

// excerpt reports whether a GET about a record answers only members the
// record has (Diga's recording_url of a call): it is answered from the
// record, not generated.
func excerpt(answer, item *openapi3.Schema) bool {
	v := openapi.View(answer)
	if v == nil || item == nil || len(v.Properties) == 0 || ListItems(answer) != nil {
		return false
	}
	members := Members(item)
	for name := range v.Properties {
		if members[name] == nil {
			return false
		}
	}
	return true
}
