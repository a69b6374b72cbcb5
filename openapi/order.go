package openapi

import (
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// recordOrder remembers the order in which the document lists each schema's
// properties. kin-openapi keeps properties in a map, and records no origins
// at all for JSON input, so the order is read from a yaml.Node tree of the
// same bytes (see orderTree) walked alongside the loaded document.
func (s *Spec) recordOrder(root *yaml.Node, doc *openapi3.T) {
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if comps := child(root, "components"); comps != nil && doc.Components != nil {
		for name, ref := range doc.Components.Schemas {
			s.walkSchema(child(child(comps, "schemas"), name), ref)
		}
		for name, ref := range doc.Components.RequestBodies {
			if ref.Value != nil {
				s.walkContent(child(child(child(comps, "requestBodies"), name), "content"), ref.Value.Content)
			}
		}
		for name, ref := range doc.Components.Responses {
			if ref.Value != nil {
				s.walkContent(child(child(child(comps, "responses"), name), "content"), ref.Value.Content)
			}
		}
	}
	paths := child(root, "paths")
	for _, path := range doc.Paths.InMatchingOrder() {
		item := child(paths, path)
		for method, op := range doc.Paths.Value(path).Operations() {
			opNode := child(item, lower(method))
			if op.RequestBody != nil && op.RequestBody.Ref == "" && op.RequestBody.Value != nil {
				s.walkContent(child(child(opNode, "requestBody"), "content"), op.RequestBody.Value.Content)
			}
			if op.Responses == nil {
				continue
			}
			for code, ref := range op.Responses.Map() {
				if ref.Ref == "" && ref.Value != nil {
					s.walkContent(child(child(child(opNode, "responses"), code), "content"), ref.Value.Content)
				}
			}
		}
	}
}

func (s *Spec) walkContent(node *yaml.Node, content openapi3.Content) {
	for name, mt := range content {
		if mt == nil {
			continue
		}
		s.walkSchema(child(child(node, name), "schema"), mt.Schema)
		// Named examples in document order too: the first is the default
		// answer, as in Prism.
		if exs := child(child(node, name), "examples"); exs != nil && exs.Kind == yaml.MappingNode && len(mt.Examples) > 0 {
			names := make([]string, 0, len(exs.Content)/2)
			for i := 0; i+1 < len(exs.Content); i += 2 {
				names = append(names, exs.Content[i].Value)
			}
			s.order[reflect.ValueOf(mt.Examples).Pointer()] = names
		}
	}
}

// exampleNames returns a media type's named examples in document order.
func (s *Spec) exampleNames(mt *openapi3.MediaType) []string {
	if names, ok := s.order[reflect.ValueOf(mt.Examples).Pointer()]; ok && len(names) == len(mt.Examples) {
		return names
	}
	return sortedKeys(mt.Examples)
}

// walkSchema records the property order of an inline schema and descends into
// its inline subschemas. A $ref is recorded where its component is walked.
func (s *Spec) walkSchema(node *yaml.Node, ref *openapi3.SchemaRef) {
	if node == nil || ref == nil || ref.Ref != "" || ref.Value == nil {
		return
	}
	sch := ref.Value
	if _, seen := s.order[propsID(sch)]; seen && len(sch.Properties) > 0 {
		return
	}
	if props := child(node, "properties"); props != nil && props.Kind == yaml.MappingNode {
		names := make([]string, 0, len(props.Content)/2)
		for i := 0; i+1 < len(props.Content); i += 2 {
			name := props.Content[i].Value
			names = append(names, name)
			s.walkSchema(props.Content[i+1], sch.Properties[name])
		}
		s.order[propsID(sch)] = names
	}
	s.walkSchema(child(node, "items"), sch.Items)
	if sch.AdditionalProperties.Schema != nil {
		s.walkSchema(child(node, "additionalProperties"), sch.AdditionalProperties.Schema)
	}
	for key, list := range map[string]openapi3.SchemaRefs{"allOf": sch.AllOf, "anyOf": sch.AnyOf, "oneOf": sch.OneOf} {
		seq := child(node, key)
		for i, sub := range list {
			if seq != nil && i < len(seq.Content) {
				s.walkSchema(seq.Content[i], sub)
			}
		}
	}
}

// Properties returns a schema's property names in document order. Properties
// the order walk did not see (a schema built in code) follow, sorted.
func (s *Spec) Properties(sch *openapi3.Schema) []string {
	if names, ok := s.order[propsID(sch)]; ok && len(names) == len(sch.Properties) {
		return names
	}
	return sortedKeys(sch.Properties)
}

// propsID identifies a schema by its properties map. kin-openapi copies a
// 3.1 schema that has members beside its $ref, but the copy shares the
// original's map, so the order recorded for one serves both.
func propsID(sch *openapi3.Schema) uintptr {
	if len(sch.Properties) == 0 {
		return 0
	}
	return reflect.ValueOf(sch.Properties).Pointer()
}

func child(node *yaml.Node, key string) *yaml.Node {
	if node == nil || node.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

func lower(method string) string {
	b := []byte(method)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
