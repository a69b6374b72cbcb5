package mock

import (
	"strings"

	"github.com/agentmock/agentmock/openapi/resources"
)

// Operation says how one operation of the served document is answered.
type Operation struct {
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	// Behaviour is "resource" (the engine, from state), "provider" (the
	// vendor's own behaviour, from state) or "generated".
	Behaviour string `json:"behaviour"`
	// Resource, Action and Collection name what the rules bound it to.
	Resource   *string `json:"resource"`
	Action     *string `json:"action"`
	Collection *string `json:"collection"`
	// Detail says which behaviour, or why an operation is generated.
	Detail string `json:"detail"`
}

// Operations lists every operation of the served document in document
// order, with how it is answered.
func (s *Server) Operations() []Operation {
	var out []Operation
	for _, op := range s.spec.Operations() {
		o := Operation{OperationID: op.Operation.OperationID, Method: strings.ToUpper(op.Method), Path: op.Path}
		b := s.model.Binding(op.Key)
		if b != nil && b.Resource != nil {
			name, action, coll := b.Resource.Name, string(b.Action), s.collection(b.Resource)
			o.Resource, o.Action, o.Collection = &name, &action, &coll
		}
		switch {
		case s.behaviours[op.Key]:
			o.Behaviour, o.Detail = "provider", s.prov.Name()+"'s own behaviour"
		case b != nil && b.Resource != nil && b.Action != resources.View:
			o.Behaviour, o.Detail = "resource", describe(b)
		case b != nil && b.Action == resources.View:
			o.Behaviour, o.Detail = "generated", "stable, for a "+b.Resource.Name+" that must exist"
		default:
			o.Behaviour, o.Detail = "generated", "stable: "
			if b != nil {
				o.Detail += b.Name
			}
		}
		out = append(out, o)
	}
	return out
}

func describe(b *resources.Binding) string {
	r := b.Resource.Name
	an := article(r) + " " + r
	named := ""
	if b.Name != "" {
		named = " (" + b.Name + ")"
	}
	switch b.Action {
	case resources.List:
		return "lists the " + r + " records"
	case resources.Create:
		return "creates " + an + named
	case resources.Get:
		return "reads " + an
	case resources.Update:
		return "merge-patches " + an + " (RFC 7396)"
	case resources.Replace:
		return "replaces " + an
	case resources.Delete:
		return "deletes " + an + " and what is nested under it"
	case resources.Duplicate:
		return "stores a copy of " + an
	case resources.Rotate:
		return "renews the secrets of " + an
	case resources.Merge:
		return "merges into " + an + named
	case resources.Act:
		return "acts on " + an + " that must exist" + named
	case resources.Read:
		return "reads the tenant's " + r
	case resources.Write:
		return "writes the tenant's " + r
	}
	return string(b.Action)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// Stateful counts the operations answered from state.
func Stateful(ops []Operation) int {
	n := 0
	for _, o := range ops {
		if o.Behaviour != "generated" {
			n++
		}
	}
	return n
}
