// Package resources derives, from an OpenAPI document alone, which
// operations act on which stored resources: the rules that let agentmock keep
// state for every resource a document declares without code per resource.
//
// The rules, in the order they are applied (README § "How state is derived"
// says the same for users):
//
//  1. A collection is a path that ends in a literal segment and either has
//     an item path (itself plus one {param}), a GET answering a list, or a
//     POST. Its item path makes get, merge-patch, replace and delete.
//  2. A collection under another collection's item path is nested: its
//     records live under the parent record and go with it.
//  3. A POST on a literal child of a collection that answers the
//     collection's item shape is another way to create an item (Diga's
//     /v1/phone/import, /v1/knowledge/item/text).
//  4. Any other operation below an item path is an action on the item:
//     duplicate and copy create a new item, rotate renews its secrets, a
//     PATCH or PUT merges into it, anything else answers the stored item.
//  5. A literal-ended path with a write and no item path is a singleton:
//     one document per tenant.
//  6. Everything else is generated from its schema, stably.
//
// Path parameters named in Rules.ScopeParams (itellico's account_id) name
// the tenant, not a parent record, and count as literal segments.
package resources

import (
	"maps"
	"slices"
	"strings"

	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// Rules are what a provider says where its document breaks, or cannot
// express, a rule. The zero value applies the rules as they are.
type Rules struct {
	// ScopeParams are path parameters that name the tenant.
	ScopeParams []string
	// Names gives the store collection name for a collection path (written
	// with {} for every parameter, scope ones included, and without a
	// trailing slash), where a stable name must outlive the document's path
	// (fixtures, snapshots).
	Names map[string]string
	// Shared lists collection paths whose records every tenant sees: a
	// catalogue such as Diga's voices.
	Shared []string
	// NotReferences lists member names that look like references and are
	// not (Diga's provider_voice_id is the voice vendor's id).
	NotReferences []string
	// TenantMembers are the members that hold the tenant's id (project_id,
	// account_id): set by the server, never a reference.
	TenantMembers []string
	// Credentials maps a collection path to the member of its records that
	// holds an API key: a record created there authenticates with that key,
	// with the permissions it holds, until it is deleted (Diga's
	// /v1/api_key and its value).
	Credentials map[string]string
	// Lookups are, by the collection path of the records they help create,
	// request members that name another collection's record by one of its
	// members rather than by its id (Diga's call from_number is one of the
	// project's numbers, or a phone's id).
	Lookups map[string][]Lookup
	// Webhooks names the collection whose records receive the events a
	// provider emits, and their members: where to send, which events, and
	// the signing secret.
	Webhooks *Webhooks
}

// Webhooks describes a webhook collection (Rules.Webhooks).
type Webhooks struct {
	Path, URL, Events, Secret string
}

// Lookup is one member a create resolves to another record: the first of
// the Target collection's records (of the tenant) whose By members hold
// the member's value. The new record takes the Copy members (its member:
// the found record's member) that the body does not give; a value that
// names no record is the operation's 404.
type Lookup struct {
	Member string
	Target string
	By     []string
	Copy   map[string]string
}

// Kind is what kind of thing a Resource is.
type Kind int

const (
	// Collection is a resource with many items, each under an id.
	Collection Kind = iota
	// Singleton is one document per tenant.
	Singleton
)

// Resource is a stored kind of record derived from the document.
type Resource struct {
	Kind Kind
	// Path is the collection path, with {} for parameters and no trailing
	// slash: "/v1/integration/{}/tool".
	Path string
	// Name is the singular name references use: "knowledge_base", "tool".
	Name string
	// Store is the store collection name, without the provider prefix.
	Store string
	// Parent is the collection whose item this one lives under, or nil.
	Parent *Resource
	// Shared resources are one catalogue for every tenant.
	Shared bool
	// Item is the shape of one stored record: what the item GET answers
	// (else what its create answers).
	Item *openapi3.Schema
	// IDMember names the member holding the record's id, "" if none.
	IDMember string
	// Children are the resources nested under this one's items.
	Children []*Resource
	// Writable members are those some request body of the resource sets;
	// the rest are the server's to manage.
	Writable map[string]bool
	// Credential names the member holding an API key, for a resource
	// whose records are keys (Rules.Credentials); "" otherwise.
	Credential string
	// Links are the item's members computed from other records on read.
	Links []Link
	// Aliases map a member requests write to the item's member that holds
	// it (name → friendly_name).
	Aliases map[string]string
}

// Action is what an operation does to its resource.
type Action string

const (
	List      Action = "list"
	Create    Action = "create"
	Get       Action = "get"
	Update    Action = "update"  // RFC 7396 merge patch
	Replace   Action = "replace" // PUT
	Delete    Action = "delete"
	Duplicate Action = "duplicate" // a new item from a stored one
	Rotate    Action = "rotate"    // renews the item's secrets
	Merge     Action = "merge"     // a PATCH or PUT below the item
	Act       Action = "act"       // any other action: answers the item
	Read      Action = "read"      // singleton GET
	Write     Action = "write"     // singleton POST, PUT or PATCH
	View      Action = "view"      // generated, for a record that must exist
	Excerpt   Action = "excerpt"   // some members of a record that must exist
	Generated Action = "generated"
)

// Binding is how one operation is answered.
type Binding struct {
	// Key is the operation key, "GET /v1/agent/{}".
	Key    string
	Method string
	// Path is the operation's own path template.
	Path     string
	Resource *Resource
	Action   Action
	// Name is an action's own path segment ("rotate"), or why an operation
	// is generated.
	Name string
	// Params are the operation's path parameters that name records, in
	// path order: the parents' ids, then the item's.
	Params []string
	// Batch names the answer's member that holds the records a batch
	// create stores (Diga's successful_items), "" for any other create.
	Batch string
	// Each is, for a merge into each of a record's nested records (Diga's
	// tool-approval), the body's member that lists them; Child is their
	// resource.
	Each  string
	Child *Resource
}

// Model is what a document derives to.
type Model struct {
	Resources []*Resource
	bindings  map[string]*Binding
	order     []string
}

// Binding returns the binding of an operation key, or nil.
func (m *Model) Binding(key string) *Binding { return m.bindings[key] }

// Bindings lists every operation's binding in document order.
func (m *Model) Bindings() []*Binding {
	out := make([]*Binding, len(m.order))
	for i, k := range m.order {
		out[i] = m.bindings[k]
	}
	return out
}

// Resource returns the resource of a collection path ("/v1/phone"), or nil.
func (m *Model) Resource(path string) *Resource {
	for _, r := range m.Resources {
		if r.Path == path {
			return r
		}
	}
	return nil
}

// op is one operation as the derivation sees it.
type op struct {
	info openapi.OperationInfo
	// norm is the path with {} for record parameters, the scope marker for
	// scope parameters, and no trailing slash.
	norm   string
	params []string
}

const scopeMarker = "{~}"

// Derive applies the rules to a document.
func Derive(spec *openapi.Spec, rules Rules) *Model {
	m := &Model{bindings: map[string]*Binding{}}
	var ops []op
	byPath := map[string][]op{}
	for _, info := range spec.Operations() {
		o := op{info: info}
		o.norm, o.params = normalize(info.Path, rules.ScopeParams)
		ops = append(ops, o)
		byPath[o.norm] = append(byPath[o.norm], o)
	}
	// Candidates: every path with operations, and every path whose item
	// path has them (Diga's /v1/recording has only /v1/recording/{call_id}).
	seen := map[string]bool{}
	var paths []string
	for p := range byPath {
		for _, c := range []string{p, strings.TrimSuffix(p, "/{}")} {
			if !seen[c] {
				seen[c] = true
				paths = append(paths, c)
			}
		}
	}
	// Shorter paths first, so that a parent exists before its children.
	slices.SortFunc(paths, func(a, b string) int {
		if d := strings.Count(a, "/") - strings.Count(b, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})

	// Rule 1 and 2: collections, and their parents.
	for _, p := range paths {
		if !literalEnd(p) {
			continue
		}
		item := byPath[p+"/{}"]
		list := find(byPath[p], "GET")
		create := find(byPath[p], "POST")
		isList := list != nil && isListResponse(list.info.Operation)
		if len(item) == 0 && !isList && create == nil {
			continue
		}
		if len(item) == 0 && !isList {
			// A POST alone may be another way to create a parent's item
			// (rule 3), or a singleton (rule 5): decided below.
			continue
		}
		r := &Resource{Kind: Collection, Path: p}
		r.Parent = parentOf(m, p)
		r.Item = itemSchema(item, create, list)
		if r.Parent != nil && !isList && openapi.View(r.Item) == openapi.View(r.Parent.Item) {
			// Its operations answer the parent record and it lists nothing:
			// they are actions on the parent (Diga's
			// /v1/workflow/{flow_id}/action), not records.
			continue
		}
		if g := find(item, "GET"); g != nil && isListResponse(g.info.Operation) {
			// An "item" that answers a list is a list about another record
			// (/v1/log/call/{call_id}): a view, bound below.
			continue
		}
		if r.Parent == nil && len(item) == 0 && create == nil && under(m, p) {
			// A list beside a collection's items with neither create nor
			// item path is a view of that collection
			// (/v1/agent/versions-dropdown/dashboard).
			continue
		}
		m.Resources = append(m.Resources, r)
		if r.Parent != nil {
			r.Parent.Children = append(r.Parent.Children, r)
		}
	}
	for _, r := range m.Resources {
		r.Name = nameOf(r.Path, r.Parent, true)
		r.Store = r.Name
		written := strings.ReplaceAll(r.Path, scopeMarker, "{}")
		if n, ok := rules.Names[written]; ok {
			r.Store = n
		} else if r.Parent != nil {
			r.Store = r.Parent.Store + "." + r.Name
		}
		r.Shared = slices.Contains(rules.Shared, written)
		r.Credential = rules.Credentials[written]
		r.IDMember = idMember(r, byPath[r.Path+"/{}"])
		r.Writable = map[string]bool{}
	}

	// A collection with neither list nor create whose item parameter names
	// another collection's records (/v1/recording/{call_id}) holds nothing
	// of its own: it is a view of those records, bound below.
	kept := m.Resources[:0]
	for _, r := range m.Resources {
		if r.Parent == nil && viewOfOther(m, r, byPath) {
			continue
		}
		kept = append(kept, r)
	}
	m.Resources = kept

	// Bind every operation.
	for _, o := range ops {
		b := bind(m, o, byPath)
		m.bindings[b.Key] = b
		m.order = append(m.order, b.Key)
		if b.Resource != nil && b.Resource.Kind == Collection {
			if sch := openapi.BodySchema(o.info.Operation); sch != nil {
				for _, name := range memberNames(sch) {
					b.Resource.Writable[name] = true
				}
			}
		}
	}
	m.links(rules)
	m.aliases()
	return m
}

func find(ops []op, method string) *op {
	for i := range ops {
		if strings.EqualFold(ops[i].info.Method, method) {
			return &ops[i]
		}
	}
	return nil
}

// normalize erases parameter names, marks scope parameters and drops a
// trailing slash; it returns the record parameters' names in order.
func normalize(path string, scope []string) (string, []string) {
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	var params []string
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			continue
		}
		name := s[1 : len(s)-1]
		if slices.Contains(scope, name) {
			segs[i] = scopeMarker
			continue
		}
		segs[i] = "{}"
		params = append(params, name)
	}
	return strings.Join(segs, "/"), params
}

// viewOfOther reports whether r has no list and no create, and its item
// path's parameter names another collection's records.
func viewOfOther(m *Model, r *Resource, byPath map[string][]op) bool {
	if find(byPath[r.Path], "GET") != nil || find(byPath[r.Path], "POST") != nil {
		return false
	}
	for _, o := range byPath[r.Path+"/{}"] {
		if n := len(o.params); n > 0 {
			if t := m.Target(o.params[n-1], Rules{}); t != nil && t != r {
				return true
			}
		}
	}
	return false
}

// under reports whether p lies below a known collection's own path.
func under(m *Model, p string) bool {
	for _, r := range m.Resources {
		if strings.HasPrefix(p, r.Path+"/") {
			return true
		}
	}
	return false
}

func literalEnd(p string) bool {
	last := p[strings.LastIndex(p, "/")+1:]
	return last != "" && last != "{}"
}

// parentOf finds the collection whose item path p lies directly below.
func parentOf(m *Model, p string) *Resource {
	var best *Resource
	for _, r := range m.Resources {
		prefix := r.Path + "/{}/"
		if strings.HasPrefix(p, prefix) && !strings.Contains(p[len(prefix):], "{}") {
			if best == nil || len(r.Path) > len(best.Path) {
				best = r
			}
		}
	}
	return best
}

func isListResponse(o *openapi3.Operation) bool {
	sch := openapi.ResponseSchema(o, openapi.SuccessStatus(o))
	return ListItems(sch) != nil
}

// ListItems returns the schema of a list response's items: the response's
// own items, or those of its one array member (the envelope's data or
// items). Nil when the response is not a list.
func ListItems(sch *openapi3.Schema) *openapi3.Schema {
	v := openapi.View(sch)
	if v == nil {
		return nil
	}
	if v.Items != nil {
		return v.Items.Value
	}
	_, items := ListMember(v)
	return items
}

// pageNames name a list envelope's array; pageMarkers are members only a
// page has.
var (
	pageNames   = []string{"data", "items", "results"}
	pageMarkers = []string{"has_more", "count", "total", "total_pages", "total_count", "next", "next_cursor", "offset"}
)

// ListMember finds the array member of a list envelope: one named as a
// page's items are, or the only array beside a member only a page has. A
// record with an array member (knowledge_item_ids) is not a page.
func ListMember(envelope *openapi3.Schema) (string, *openapi3.Schema) {
	v := openapi.View(envelope)
	if v == nil {
		return "", nil
	}
	var arrays []string
	for k, p := range v.Properties {
		if pv := openapi.View(p.Value); pv != nil && pv.Items != nil {
			arrays = append(arrays, k)
		}
	}
	slices.Sort(arrays)
	items := func(k string) *openapi3.Schema { return openapi.View(v.Properties[k].Value).Items.Value }
	for _, k := range pageNames {
		if slices.Contains(arrays, k) {
			return k, items(k)
		}
	}
	if len(arrays) != 1 {
		return "", nil
	}
	for _, k := range pageMarkers {
		if v.Properties[k] != nil {
			return arrays[0], items(arrays[0])
		}
	}
	return "", nil
}

// itemSchema picks a record's stored shape.
func itemSchema(item []op, create, list *op) *openapi3.Schema {
	for _, method := range []string{"GET", "PATCH", "PUT"} {
		if o := find(item, method); o != nil {
			if sch := openapi.ResponseSchema(o.info.Operation, openapi.SuccessStatus(o.info.Operation)); sch != nil {
				return sch
			}
		}
	}
	if create != nil {
		if sch := openapi.ResponseSchema(create.info.Operation, openapi.SuccessStatus(create.info.Operation)); sch != nil {
			return sch
		}
	}
	if list != nil {
		return ListItems(openapi.ResponseSchema(list.info.Operation, openapi.SuccessStatus(list.info.Operation)))
	}
	return nil
}

// idMember names the member that holds a record's id: the item path's own
// parameter name where the item declares it ({agent_id} and agent_id),
// else "id".
func idMember(r *Resource, item []op) string {
	props := properties(r.Item)
	for _, o := range item {
		if n := len(o.params); n > 0 {
			if name := o.params[n-1]; name != "id" && props[name] {
				return name
			}
		}
	}
	if props["id"] {
		return "id"
	}
	return ""
}

// properties lists the members an object schema declares, through nullable
// wrappers and across union branches.
func properties(sch *openapi3.Schema) map[string]bool {
	out := map[string]bool{}
	for n := range Members(sch) {
		out[n] = true
	}
	return out
}

func memberNames(sch *openapi3.Schema) []string {
	out := slices.Collect(maps.Keys(Members(sch)))
	slices.Sort(out)
	return out
}

// Members maps the members an object schema declares to their schemas,
// through nullable wrappers and across the branches of a union (the first
// branch that declares a member wins): what a record of that schema may
// hold, whichever variant it is.
func Members(sch *openapi3.Schema) map[string]*openapi3.Schema {
	out := map[string]*openapi3.Schema{}
	var walk func(*openapi3.Schema, int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 4 {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
			if _, ok := out[k]; !ok && s.Properties[k] != nil {
				out[k] = s.Properties[k].Value
			}
		}
		for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range refs {
				walk(r.Value, depth+1)
			}
		}
	}
	walk(sch, 0)
	return out
}

// sameShape reports whether a response answers the resource's records: the
// item schema itself, one of its union branches, or an object that declares
// every member the item requires (Diga's WebhookCreatedResponse adds the
// secret to WebhookResponse).
func sameShape(resp, item *openapi3.Schema) bool {
	if resp == nil || item == nil {
		return false
	}
	rv, iv := openapi.View(resp), openapi.View(item)
	if rv == iv {
		return true
	}
	for _, refs := range []openapi3.SchemaRefs{iv.OneOf, iv.AnyOf} {
		for _, r := range refs {
			if r.Value == rv {
				return true
			}
		}
	}
	if len(iv.Required) == 0 || len(rv.Properties) == 0 {
		return false
	}
	for _, name := range iv.Required {
		if rv.Properties[name] == nil {
			return false
		}
	}
	return true
}

// bind decides one operation's binding.
func bind(m *Model, o op, byPath map[string][]op) *Binding {
	b := &Binding{Key: o.info.Key, Method: strings.ToUpper(o.info.Method), Path: o.info.Path, Params: o.params, Action: Generated}
	success := openapi.ResponseSchema(o.info.Operation, openapi.SuccessStatus(o.info.Operation))
	// The deepest collection this path is, or lies under.
	var owner *Resource
	var rest string
	for _, r := range m.Resources {
		if r.Kind != Collection {
			continue
		}
		if o.norm == r.Path || strings.HasPrefix(o.norm, r.Path+"/") {
			if owner == nil || len(r.Path) > len(owner.Path) {
				owner, rest = r, strings.TrimPrefix(o.norm, r.Path)
			}
		}
	}
	if owner != nil {
		switch {
		case rest == "":
			switch b.Method {
			case "GET":
				b.Resource, b.Action = owner, List
			case "POST":
				b.Resource, b.Action = owner, Create
			}
		case rest == "/{}":
			b.Resource = owner
			switch b.Method {
			case "GET":
				b.Action = Get
			case "PATCH":
				b.Action = Update
			case "PUT":
				b.Action = Replace
			case "DELETE":
				b.Action = Delete
			case "POST":
				b.Action = Act
			}
		case strings.HasPrefix(rest, "/{}/") && !strings.Contains(rest[4:], "{}"):
			b.Resource, b.Name = owner, rest[4:]
			last := b.Name[strings.LastIndex(b.Name, "/")+1:]
			switch {
			case b.Method == "POST" && (b.Name == "duplicate" || b.Name == "copy") && sameShape(success, owner.Item):
				b.Action = Duplicate
			case b.Method == "POST" && b.Name == last && strings.HasPrefix(last, "rotate"):
				b.Action = Rotate
			case b.Method == "PATCH" || b.Method == "PUT":
				b.Action = Merge
				b.Each, b.Child = eachChild(o.info.Operation, owner)
			default:
				b.Action = Act
			}
		case !strings.Contains(rest, "{}") && b.Method == "POST" && sameShape(success, owner.Item):
			b.Resource, b.Action, b.Name = owner, Create, strings.TrimPrefix(rest, "/")
		case !strings.Contains(rest, "{}") && b.Method == "POST" && batchMember(success, owner.Item) != "":
			b.Resource, b.Action, b.Name = owner, Create, strings.TrimPrefix(rest, "/")
			b.Batch = batchMember(success, owner.Item)
		}
		if b.Action != Generated {
			return b
		}
		b.Resource = nil
	}
	// Rule 5: a singleton.
	if literalEnd(o.norm) && len(byPath[o.norm+"/{}"]) == 0 && !strings.Contains(o.norm, "{}") {
		// A document to read and write: a GET beside a write, or a PUT or
		// PATCH alone. A POST alone is a command, not a document.
		here := byPath[o.norm]
		replaces := find(here, "PUT") != nil || find(here, "PATCH") != nil
		writes := replaces || (find(here, "POST") != nil && find(here, "GET") != nil)
		if writes && success != nil && ListItems(success) == nil && len(properties(success)) > 0 {
			r := m.Resource(o.norm)
			if r == nil {
				r = &Resource{Kind: Singleton, Path: o.norm, Item: success, Writable: map[string]bool{}}
				r.Name = nameOf(o.norm, nil, false)
				r.Store = r.Name
				m.Resources = append(m.Resources, r)
			}
			b.Resource = r
			b.Action = Write
			if b.Method == "GET" {
				b.Action = Read
			}
			return b
		}
	}
	// A path ending in {<name>_id} that names no collection of its own is
	// about that record, which must exist: a GET views it (Diga's
	// /v1/recording/{call_id}), a PATCH or PUT merges into it, anything
	// else acts on it (/v1/invitation/join-company/{invitation_id}).
	if n := len(o.params); n == 1 && strings.HasSuffix(o.norm, "/{}") {
		if t := m.Target(o.params[0], Rules{}); t != nil && t.Parent == nil {
			b.Resource, b.Action = t, Act
			switch b.Method {
			case "GET":
				b.Action = View
				if excerpt(success, t.Item) {
					b.Action = Excerpt
				}
			case "PATCH", "PUT":
				b.Action = Merge
			}
			return b
		}
	}
	b.Name = generatedWhy(o, success)
	return b
}

func generatedWhy(o op, success *openapi3.Schema) string {
	switch {
	case success == nil:
		return "no JSON success response"
	case strings.Contains(o.norm, "{}"):
		return "its path names no stored resource"
	case ListItems(success) != nil:
		return "a list with no item path"
	default:
		return "no rule derives state for it (a report, a stream or a view)"
	}
}
