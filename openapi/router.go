package openapi

import (
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// router finds a request's operation by comparing its escaped path with the
// document's path templates segment by segment. It gives the answers of
// kin-openapi's gorillamux router, which the server used before, without
// its cost: that router tries one regular expression per path and builds
// its route per request, a tenth of a GET's time.
//
// Invariants, all of them gorillamux's:
//   - paths are tried in openapi3.Paths.InMatchingOrder, and the first whose
//     template matches decides: a method it does not declare is
//     ErrMethodNotAllowed even where a later path declares it;
//   - a parameter matches one non-empty segment, or the non-empty middle of
//     one between a literal prefix and suffix ("{id}.json");
//   - parameters are the escaped text of the path, as UseEncodedPath gives.
//
// A document whose templates fall outside these (two parameters in one
// segment, gorilla's own {name:pattern}) is routed by gorillamux itself.
//
// Templates are kept by their number of segments, each list in matching
// order: a template matches only a path of as many segments, so a request
// tries only those, and the first of them to match is still the first of
// all.
type router struct {
	bySegments map[int][]*template
	fallback   routers.Router
}

// template is one path of the document, compiled.
type template struct {
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
	r := &router{bySegments: map[int][]*template{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		t, ok := compileTemplate(path)
		if !ok {
			fallback, err := gorillamux.NewRouter(doc)
			if err != nil {
				return nil, err
			}
			return &router{fallback: fallback}, nil
		}
		item := doc.Paths.Value(path)
		t.ops = map[string]*Route{}
		for method, op := range item.Operations() {
			t.ops[method] = &Route{
				Route: &routers.Route{Spec: doc, Server: doc.Servers[0], Path: path, PathItem: item, Method: method, Operation: op},
				Key:   OperationKey(method, path),
			}
		}
		n := len(t.segments)
		r.bySegments[n] = append(r.bySegments[n], t)
	}
	return r, nil
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

func (r *router) find(req *http.Request) (*Route, error) {
	if r.fallback != nil {
		route, params, err := r.fallback.FindRoute(req)
		if err != nil {
			return nil, err
		}
		return &Route{Route: route, PathParams: params, Key: OperationKey(route.Method, route.Path)}, nil
	}
	path := req.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return nil, routers.ErrPathNotFound
	}
	path = path[1:]
	for _, t := range r.bySegments[strings.Count(path, "/")+1] {
		if !t.match(path, nil) {
			continue
		}
		shared := t.ops[req.Method]
		if shared == nil {
			return nil, routers.ErrMethodNotAllowed
		}
		route := *shared
		route.PathParams = make(map[string]string, t.params)
		t.match(path, route.PathParams)
		return &route, nil
	}
	return nil, routers.ErrPathNotFound
}

// match reports whether path (without its leading "/") fits the template,
// filling params, if not nil, with what the parameters matched.
func (t *template) match(path string, params map[string]string) bool {
	rest, done := path, false
	for _, seg := range t.segments {
		if done {
			return false // the template is longer than the path
		}
		part := rest
		if cut := strings.IndexByte(rest, '/'); cut >= 0 {
			part, rest = rest[:cut], rest[cut+1:]
		} else {
			done = true
		}
		if seg.param == "" {
			if part != seg.prefix {
				return false
			}
			continue
		}
		if len(part) <= len(seg.prefix)+len(seg.suffix) || !strings.HasPrefix(part, seg.prefix) || !strings.HasSuffix(part, seg.suffix) {
			return false
		}
		if params != nil {
			params[seg.param] = part[len(seg.prefix) : len(part)-len(seg.suffix)]
		}
	}
	return done
}
