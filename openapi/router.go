package openapi

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// router finds a request's operation by walking the document's path
// templates as a tree of segments. It gives the answers of kin-openapi's
// gorillamux router, which the server used before, without its cost: that
// router tries one regular expression per path and builds its route per
// request, a tenth of a GET's time.
//
// Invariants, all of them gorillamux's:
//   - of the templates that match a path, the first in
//     openapi3.Paths.InMatchingOrder decides: a method it does not declare
//     is ErrMethodNotAllowed even where a later path declares it;
//   - a parameter matches one non-empty segment, or the non-empty middle of
//     one between a literal prefix and suffix ("{id}.json");
//   - parameters are the escaped text of the path, as UseEncodedPath gives.
//
// A document whose templates fall outside these (two parameters in one
// segment, gorilla's own {name:pattern}) is routed by gorillamux itself.
//
// The tree has one level per segment. A path follows the literal equal to
// each of its segments and every parameter that fits it, so it visits only
// the templates that share its segments so far, and of those that end with
// it the one first in matching order wins.
type router struct {
	root     *node
	fallback routers.Router
	// routes are every operation's route, made once with its key and
	// schemas; both routers answer with copies of them.
	routes map[*openapi3.Operation]*Route
}

// node is the place, in the tree, of the templates that share the segments
// before it.
type node struct {
	literals map[string]*node
	params   []*paramEdge
	// end is the template, first in matching order, whose last segment is
	// the one before this node.
	end *template
}

// paramEdge is a parameter segment, with the templates that share it.
type paramEdge struct {
	prefix, suffix string
	next           *node
}

// fits reports whether a path segment has a non-empty middle between the
// edge's prefix and suffix.
func (p *paramEdge) fits(part string) bool {
	return len(part) > len(p.prefix)+len(p.suffix) && strings.HasPrefix(part, p.prefix) && strings.HasSuffix(part, p.suffix)
}

// template is one path of the document, compiled.
type template struct {
	order    int // its place in matching order
	segments []segment
	params   int
	// ops are the path's operations by method, each made once with its
	// operation key; requests share them and never write to them.
	ops map[string]*Route
}

// segment is one "/"-separated part of a path template: a literal, or a
// parameter between a literal prefix and suffix.
type segment struct {
	param          string // "" for a literal
	prefix, suffix string // the literal itself when param is ""
}

func newRouter(doc *openapi3.T) (*router, error) {
	r := &router{root: &node{}, routes: map[*openapi3.Operation]*Route{}}
	expressed := true
	for order, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		ops := map[string]*Route{}
		for method, op := range item.Operations() {
			route := &Route{
				Route:   &routers.Route{Spec: doc, Server: doc.Servers[0], Path: path, PathItem: item, Method: method, Operation: op},
				Key:     OperationKey(method, path),
				schemas: schemasOf(op),
			}
			ops[method], r.routes[op] = route, route
		}
		t, ok := compileTemplate(path)
		if !ok {
			expressed = false
			continue
		}
		t.order, t.ops = order, ops
		r.root.add(t)
	}
	if !expressed {
		fallback, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, err
		}
		r.root, r.fallback = nil, fallback
	}
	return r, nil
}

// add puts a template in the tree below n; templates come in matching
// order, so one that ends where another already does is never chosen.
func (n *node) add(t *template) {
	for _, seg := range t.segments {
		n = n.child(seg)
	}
	if n.end == nil {
		n.end = t
	}
}

func (n *node) child(seg segment) *node {
	if seg.param == "" {
		if n.literals == nil {
			n.literals = map[string]*node{}
		}
		next := n.literals[seg.prefix]
		if next == nil {
			next = &node{}
			n.literals[seg.prefix] = next
		}
		return next
	}
	for _, p := range n.params {
		if p.prefix == seg.prefix && p.suffix == seg.suffix {
			return p.next
		}
	}
	p := &paramEdge{prefix: seg.prefix, suffix: seg.suffix, next: &node{}}
	n.params = append(n.params, p)
	return p.next
}

// first is the template, first in matching order, that matches the path's
// segments below n, or best if it comes earlier.
func (n *node) first(parts []string, best *template) *template {
	if len(parts) == 0 {
		if n.end != nil && (best == nil || n.end.order < best.order) {
			return n.end
		}
		return best
	}
	if next := n.literals[parts[0]]; next != nil {
		best = next.first(parts[1:], best)
	}
	for _, p := range n.params {
		if p.fits(parts[0]) {
			best = p.next.first(parts[1:], best)
		}
	}
	return best
}

// compileTemplate splits a path template into segments; ok is false for a
// template this router does not express exactly as gorillamux would.
func compileTemplate(path string) (*template, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	t := &template{}
	for _, part := range strings.Split(path[1:], "/") {
		open := strings.IndexByte(part, '{')
		if open < 0 {
			if strings.ContainsRune(part, '}') {
				return nil, false
			}
			t.segments = append(t.segments, segment{prefix: part})
			continue
		}
		end := strings.IndexByte(part[open:], '}')
		if end < 0 {
			return nil, false
		}
		end += open
		name, suffix := part[open+1:end], part[end+1:]
		if name == "" || strings.ContainsAny(name, ":{") || strings.ContainsAny(suffix, "{}") {
			return nil, false
		}
		t.segments = append(t.segments, segment{param: name, prefix: part[:open], suffix: suffix})
		t.params++
	}
	return t, true
}

// maxSplit is how many segments a path is split into without allocating;
// our documents' longest has five.
const maxSplit = 16

func (r *router) find(req *http.Request) (*Route, error) {
	if r.fallback != nil {
		found, params, err := r.fallback.FindRoute(req)
		if err != nil {
			return nil, err
		}
		route := *r.routes[found.Operation] // gorillamux routes the same paths
		route.Route, route.PathParams = found, params
		return &route, nil
	}
	path := req.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return nil, routers.ErrPathNotFound
	}
	var split [maxSplit]string
	parts := split[:0]
	for rest := path[1:]; ; {
		cut := strings.IndexByte(rest, '/')
		if cut < 0 {
			parts = append(parts, rest)
			break
		}
		parts, rest = append(parts, rest[:cut]), rest[cut+1:]
	}
	t := r.root.first(parts, nil)
	if t == nil {
		return nil, routers.ErrPathNotFound
	}
	shared := t.ops[req.Method]
	if shared == nil {
		return nil, routers.ErrMethodNotAllowed
	}
	route := *shared
	route.PathParams = make(map[string]string, t.params)
	for i, seg := range t.segments {
		if seg.param != "" {
			route.PathParams[seg.param] = parts[i][len(seg.prefix) : len(parts[i])-len(seg.suffix)]
		}
	}
	return &route, nil
}
