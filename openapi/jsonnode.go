package openapi

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// orderTree reads data into the tree recordOrder walks. JSON, as the
// embedded documents and most vendors' are, is read by jsonNode, in a sixth
// of the time yaml.v3 takes over the same bytes (2 ms against 13 for
// Diga's). Whatever is not JSON is YAML to kin-openapi, and so to us.
func orderTree(data []byte) (*yaml.Node, error) {
	if root, err := jsonNode(data); err == nil {
		return root, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	return &root, nil
}

// jsonNode reads one JSON value into the tree yaml.Unmarshal would make of
// it, less positions and styles: a document node holding mappings,
// sequences and scalars, each scalar with its value and resolved tag. It
// keeps every member of a mapping, duplicates included, in document order,
// which is what the order walk reads. Strings and numbers are what
// encoding/json decodes them to.
//
// json.Valid checks the bytes first, so the scan itself meets only
// well-formed JSON no deeper than encoding/json allows. It costs a quarter
// of encoding/json's tokenizer (json.Decoder.Token, which FuzzJSONNode
// holds it to), which decodes every string through reflection.
var errNotJSON = errors.New("openapi: not JSON")

func jsonNode(data []byte) (*yaml.Node, error) {
	if !json.Valid(data) {
		return nil, errNotJSON // YAML, for orderTree's other reader
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	// The stack is explicit so that nesting costs memory, not goroutine
	// stack.
	stack := []*yaml.Node{doc}
	// slab hands out nodes a block at a time: a document holds tens of
	// thousands.
	var slab []yaml.Node
	node := func(kind yaml.Kind, tag, value string) *yaml.Node {
		if len(slab) == 0 {
			slab = make([]yaml.Node, 256)
		}
		n := &slab[0]
		slab = slab[1:]
		n.Kind, n.Tag, n.Value = kind, tag, value
		return n
	}
	for p := 0; len(stack) > 1 || len(doc.Content) == 0; {
		top := stack[len(stack)-1]
		var n *yaml.Node
		switch c := data[p]; c {
		case ' ', '\t', '\n', '\r', ',', ':':
			p++
			continue
		case '}', ']':
			p++
			stack = stack[:len(stack)-1]
			continue
		case '{':
			p++
			n = node(yaml.MappingNode, "!!map", "")
			stack = append(stack, n)
		case '[':
			p++
			n = node(yaml.SequenceNode, "!!seq", "")
			stack = append(stack, n)
		case '"':
			var s string
			s, p = jsonString(data, p)
			n = node(yaml.ScalarNode, "!!str", s)
		case 't':
			p += len("true")
			n = node(yaml.ScalarNode, "!!bool", "true")
		case 'f':
			p += len("false")
			n = node(yaml.ScalarNode, "!!bool", "false")
		case 'n':
			p += len("null")
			n = node(yaml.ScalarNode, "!!null", "null")
		default:
			start, tag := p, "!!int"
			for ; p < len(data) && strings.IndexByte("+-.0123456789eE", data[p]) >= 0; p++ {
				if c := data[p]; c == '.' || c == 'e' || c == 'E' {
					tag = "!!float"
				}
			}
			n = node(yaml.ScalarNode, tag, string(data[start:p]))
		}
		top.Content = append(top.Content, n)
	}
	return doc, nil
}

// jsonString decodes the well-formed JSON string starting at data[p] and
// returns it with the offset just past it. Strings that escape nothing
// and are valid UTF-8, nearly all of them, are copied as they are; the
// rest go to encoding/json, which alone knows how it treats surrogates
// and invalid bytes.
func jsonString(data []byte, p int) (string, int) {
	plain := true
	end := p + 1
	for ; data[end] != '"'; end++ {
		if data[end] == '\\' {
			plain = false
			end++
		}
	}
	raw := data[p+1 : end]
	if plain && utf8.Valid(raw) {
		return string(raw), end + 1
	}
	var s string
	_ = json.Unmarshal(data[p:end+1], &s) // cannot fail: json.Valid accepted it
	return s, end + 1
}
