package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/agentmock/agentmock/openapi/internal/yamljson"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// tokenNode is jsonNode written the obvious way, with encoding/json's
// tokenizer, for FuzzJSONNode to hold the fast one to.
func tokenNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	stack := []*yaml.Node{doc}
	for len(stack) > 1 || len(doc.Content) == 0 {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		var n *yaml.Node
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			case '[':
				n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
		case json.Number:
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: t.String()}
			if strings.ContainsAny(t.String(), ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
			if t {
				n.Value = "true"
			}
		case nil:
			n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		}
		top.Content = append(top.Content, n)
		if n.Kind != yaml.ScalarNode {
			stack = append(stack, n)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	return doc, nil
}

// FuzzJSONNode: jsonNode accepts exactly what json.Valid accepts, and makes
// of it the tree the tokenizer does: the same members in the same order,
// the same strings (escapes, surrogates and invalid UTF-8 decoded as
// encoding/json decodes them) and the same number literals.
func FuzzJSONNode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `-1.5e+10`, `1E400`, `"s"`, ` {"a" : [1, 2.0, "x"] } `,
		`{"b":1,"a":2,"b":3}`, `{"z":{"y":{"x":[]}},"w":null}`, `{"":""}`,
		`"a\"b\\c\/d\n\u00e9\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, "\"caf\xc3\xa9\"", "\"a\xffb\"", `"\u0000"`,
		`{"a":1}x`, `{"a":1} {"b":2}`, `{"a":}`, `{"a" 1}`, `[1,]`, `{,}`, `01`, `1.`, `.5`, `+1`, `tru`, `nul`,
		"\xef\xbb\xbf{}", "\u00a0{}", ``, ` `, `"`, `"\`, `"\u12"`, `[` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10001),
		strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := jsonNode(data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("jsonNode(%q): err %v, but json.Valid = %v", data, err, json.Valid(data))
		}
		if err != nil {
			return
		}
		want, err := tokenNode(data)
		if err != nil {
			t.Fatalf("the tokenizer refuses %q, which json.Valid accepts: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("jsonNode(%q) differs from the tokenizer's tree", data)
		}
	})
}

// orderDoc is one document written both ways in TestJSONAndYAMLAgreeOnOrder:
// properties and examples out of alphabetical order, at every place the
// order walk reads them.
const orderDoc = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {zz: {type: string}, aa: {type: integer}, mm: {type: object, properties: {q: {type: string}, b: {type: string}}}}
            examples:
              second: {value: {zz: a}}
              first: {value: {zz: b}}
      responses:
        "200": {$ref: '#/components/responses/Things'}
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              examples: {zeta: {value: {}}, alpha: {value: {}}, mu: {value: {}}}
  /things/{id}:
    put:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody: {$ref: '#/components/requestBodies/Patch'}
      responses:
        "204": {description: done}
components:
  schemas:
    Thing:
      type: object
      properties:
        zeta: {type: string}
        alpha: {type: integer}
        list: {type: array, items: {type: object, properties: {y: {type: string}, x: {type: string}}}}
        map: {type: object, additionalProperties: {type: object, properties: {k2: {type: string}, k1: {type: string}}}}
        union:
          oneOf:
            - {type: object, properties: {o2: {type: string}, o1: {type: string}}}
            - {$ref: '#/components/schemas/Other'}
    Other:
      allOf:
        - {type: object, properties: {d: {type: string}, c: {type: string}}}
      anyOf:
        - {type: object, properties: {n: {type: string}, m: {type: string}}}
  requestBodies:
    Patch:
      content:
        application/json:
          schema: {type: object, properties: {p2: {type: string}, p1: {type: string}}}
          examples: {later: {value: {}}, earlier: {value: {}}}
  responses:
    Things:
      description: things
      content:
        application/json:
          schema: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/Thing'}}, count: {type: integer}}}
          examples: {b: {value: {}}, a: {value: {}}}
`

func TestJSONAndYAMLAgreeOnOrder(t *testing.T) {
	inOrder, err := yamljson.Convert([]byte(orderDoc))
	require.NoError(t, err)
	var tree any
	require.NoError(t, yaml.Unmarshal([]byte(orderDoc), &tree))
	sortedKeys, err := json.Marshal(tree)
	require.NoError(t, err)

	fromYAML, err := Load(context.Background(), []byte(orderDoc))
	require.NoError(t, err)
	fromJSON, err := Load(context.Background(), inOrder)
	require.NoError(t, err)
	sorted, err := Load(context.Background(), sortedKeys)
	require.NoError(t, err)

	yamlOrder, jsonOrder := documentOrder(fromYAML), documentOrder(fromJSON)
	assert.Equal(t, yamlOrder, jsonOrder)
	assert.NotEqual(t, yamlOrder, documentOrder(sorted), "a JSON document in another order reads in its own")
	for where, want := range map[string][]string{
		"schemas Thing":                 {"zeta", "alpha", "list", "map", "union"},
		"schemas Thing list items":      {"y", "x"},
		"schemas Thing map additional":  {"k2", "k1"},
		"schemas Thing union oneOf 0":   {"o2", "o1"},
		"schemas Other allOf 0":         {"d", "c"},
		"schemas Other anyOf 0":         {"n", "m"},
		"POST /things request":          {"zz", "aa", "mm"},
		"POST /things request mm":       {"q", "b"},
		"POST /things request examples": {"second", "first"},
		"POST /things 201 examples":     {"zeta", "alpha", "mu"},
		"requestBodies Patch":           {"p2", "p1"},
		"requestBodies Patch examples":  {"later", "earlier"},
		"responses Things":              {"items", "count"},
		"responses Things examples":     {"b", "a"},
		"PUT /things/{id} request":      {"p2", "p1"},
		"POST /things 200":              {"items", "count"},
	} {
		assert.Equal(t, want, jsonOrder[where], where)
	}
}

// documentOrder lists, for every schema with properties and every media type
// with named examples that the order walk reads, the order Spec reports,
// named by where the document holds it.
func documentOrder(s *Spec) map[string][]string {
	out := map[string][]string{}
	// A $ref is listed where its component is, as the walk records it.
	var schema func(where string, ref *openapi3.SchemaRef)
	schema = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || ref.Ref != "" {
			return
		}
		sch := ref.Value
		if len(sch.Properties) > 0 {
			out[where] = s.Properties(sch)
			for _, name := range s.Properties(sch) {
				schema(where+" "+name, sch.Properties[name])
			}
		}
		schema(where+" items", sch.Items)
		schema(where+" additional", sch.AdditionalProperties.Schema)
		for kind, list := range map[string]openapi3.SchemaRefs{"allOf": sch.AllOf, "anyOf": sch.AnyOf, "oneOf": sch.OneOf} {
			for i, sub := range list {
				schema(where+" "+kind+" "+strconv.Itoa(i), sub)
			}
		}
	}
	content := func(where string, c openapi3.Content) {
		for _, name := range sortedKeys(c) {
			mt := c[name]
			schema(where, mt.Schema)
			if len(mt.Examples) > 0 {
				out[where+" examples"] = s.exampleNames(mt)
			}
		}
	}
	if comps := s.Doc.Components; comps != nil {
		for _, name := range sortedKeys(comps.Schemas) {
			schema("schemas "+name, comps.Schemas[name])
		}
		for _, name := range sortedKeys(comps.RequestBodies) {
			content("requestBodies "+name, comps.RequestBodies[name].Value.Content)
		}
		for _, name := range sortedKeys(comps.Responses) {
			content("responses "+name, comps.Responses[name].Value.Content)
		}
	}
	for _, op := range s.Operations() {
		where := op.Method + " " + op.Path
		if rb := op.Operation.RequestBody; rb != nil && rb.Value != nil {
			content(where+" request", rb.Value.Content)
		}
		if op.Operation.Responses != nil {
			for code, ref := range op.Operation.Responses.Map() {
				if ref.Value != nil {
					content(where+" "+code, ref.Value.Content)
				}
			}
		}
	}
	return out
}
