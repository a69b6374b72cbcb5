// Package yamljson converts agentmock's YAML documents to JSON that keeps
// their key order, for the JSON copies the binary loads (see go generate
// ./openapi). The value of every node is what kin-openapi's own YAML path
// (oasdiff/yaml: a yaml.v3 decode into any, then json.Marshal, timestamps
// left as strings) makes of it, so both load to the same document; what that
// path would read differently from a plain decode (aliases, merge keys,
// explicit tags, duplicate keys) is refused rather than guessed at.
package yamljson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// lineDepth is how many levels of members start lines of their own: down to
// each operation of a path and each component, so that a diff of a copy
// points at what changed. Below, the copy is compact: kin-openapi rescans a
// value's bytes once for every level above it, and the whitespace of a fully
// indented copy cost 6% of its load.
const lineDepth = 3

// Convert returns the JSON form of a single YAML document, members in
// document order.
func Convert(data []byte) ([]byte, error) { return convert(data, false) }

// Lean is Convert without the prose: every description and summary that
// is a string, except where a key names data rather than a field of the
// document (examples, defaults, enums, extensions, a discriminator's
// mapping, OAuth scopes). The binary loads these copies: a third of a
// document's bytes are prose, which nothing answers from, and kin-openapi
// reads every byte once for each level above it.
func Lean(data []byte) ([]byte, error) { return convert(data, true) }

func convert(data []byte, lean bool) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("yamljson: not a single YAML document")
	}
	if lean {
		dropProse(doc.Content[0])
	}
	var buf bytes.Buffer
	if err := write(&buf, doc.Content[0], "\n", lineDepth); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// dropProse removes the description and summary members of node and of
// the nodes it holds, down to any value that is data (see Lean).
func dropProse(node *yaml.Node) {
	switch node.Kind {
	case yaml.SequenceNode:
		for _, item := range node.Content {
			dropProse(item)
		}
	case yaml.MappingNode:
		kept := node.Content[:0]
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Kind == yaml.ScalarNode && ProseKey(k.Value) && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
				continue
			}
			if !HoldsData(k.Value) {
				dropProse(v)
			}
			kept = append(kept, k, v)
		}
		node.Content = kept
	}
}

// ProseKey reports whether a member, where its value is a string, is prose
// that Lean leaves out.
func ProseKey(key string) bool { return key == "description" || key == "summary" }

// HoldsData reports whether a member's value is data, whose descriptions
// are the data's own and stay.
func HoldsData(key string) bool {
	switch key {
	case "example", "examples", "default", "enum", "const", "mapping", "scopes":
		return true
	}
	return strings.HasPrefix(key, "x-")
}

// write emits node, and for lines more levels its members on lines of their
// own, indented one space deeper than newline.
func write(buf *bytes.Buffer, node *yaml.Node, newline string, lines int) error {
	if node.Style&yaml.TaggedStyle != 0 {
		return errorAt(node, "an explicit tag %s", node.Tag)
	}
	inner, colon := "", ":"
	if lines > 0 {
		inner, colon = newline+" ", ": "
	} else {
		newline = ""
	}
	switch node.Kind {
	case yaml.MappingNode:
		if len(node.Content) == 0 {
			buf.WriteString("{}")
			return nil
		}
		buf.WriteByte('{')
		seen := make(map[string]bool, len(node.Content)/2)
		for i := 0; i+1 < len(node.Content); i += 2 {
			key, err := keyString(node.Content[i])
			if err != nil {
				return err
			}
			if seen[key] {
				return errorAt(node.Content[i], "the key %q twice", key)
			}
			seen[key] = true
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(inner)
			if err := scalar(buf, key); err != nil {
				return err
			}
			buf.WriteString(colon)
			if err := write(buf, node.Content[i+1], inner, lines-1); err != nil {
				return err
			}
		}
		buf.WriteString(newline)
		buf.WriteByte('}')
	case yaml.SequenceNode:
		if len(node.Content) == 0 {
			buf.WriteString("[]")
			return nil
		}
		buf.WriteByte('[')
		for i, item := range node.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(inner)
			if err := write(buf, item, inner, lines-1); err != nil {
				return err
			}
		}
		buf.WriteString(newline)
		buf.WriteByte(']')
	case yaml.ScalarNode:
		if node.ShortTag() == "!!merge" {
			return errorAt(node, "a merge key")
		}
		v, err := value(node)
		if err != nil {
			return err
		}
		if err := scalar(buf, v); err != nil {
			return errorAt(node, "%v", err)
		}
	case yaml.AliasNode:
		return errorAt(node, "an alias")
	default:
		return errorAt(node, "a node of kind %d", node.Kind)
	}
	return nil
}

// keyString spells a mapping key as oasdiff/yaml does when it turns a YAML
// mapping into a JSON object.
func keyString(node *yaml.Node) (string, error) {
	if node.Kind != yaml.ScalarNode {
		return "", errorAt(node, "a key that is not a scalar")
	}
	if node.Style&yaml.TaggedStyle != 0 || node.ShortTag() == "!!merge" {
		return "", errorAt(node, "a key with the tag %s", node.ShortTag())
	}
	k, err := value(node)
	if err != nil {
		return "", err
	}
	switch k := k.(type) {
	case string:
		return k, nil
	case int:
		return strconv.Itoa(k), nil
	case float64:
		return strconv.FormatFloat(k, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(k), nil
	}
	return "", errorAt(node, "a key of type %T", k)
}

// value is what a scalar decodes to. kin-openapi's YAML path leaves a
// date-shaped scalar the string it is (oasdiff/yaml's DisableTimestamps),
// where yaml.v3 would make it a time.Time.
func value(node *yaml.Node) (any, error) {
	if node.ShortTag() == "!!timestamp" {
		return node.Value, nil
	}
	var v any
	if err := node.Decode(&v); err != nil {
		return nil, errorAt(node, "%v", err)
	}
	return v, nil
}

// scalar writes v as json.Marshal does, less the HTML escaping, which
// changes no value and only makes the copies harder to read.
func scalar(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

func errorAt(node *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("yamljson: line %d: %s", node.Line, fmt.Sprintf(format, args...))
}
