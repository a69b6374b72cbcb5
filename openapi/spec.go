// Package openapi loads the OpenAPI documents agentmock serves and prepares,
// once per document, everything that serving them needs: the router, the
// order of each schema's properties, and the walks over schemas that turn a
// JSON document into a complete, ordered resource.
package openapi

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"gopkg.in/yaml.v3"
)

//go:embed diga.yaml itellico.yaml control.yaml
var documents embed.FS

// Embedded returns one of the documents compiled into the binary: "diga",
// "itellico", or "control" (agentmock's own control API).
func Embedded(name string) ([]byte, error) {
	data, err := documents.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("openapi: no embedded document %q: %w", name, err)
	}
	return data, nil
}

// Spec is a loaded document with its compiled router. It is read-only after
// Load, so one Spec serves any number of concurrent requests.
type Spec struct {
	Doc *openapi3.T
	// json is the document as JSON, for GET /_mock/openapi.json: encoded
	// on the first request, then kept.
	json func() ([]byte, error)
	// Warnings lists what kin-openapi's strict validation of the document
	// found. Vendor documents carry such defects, and refusing them would make
	// agentmock useless with the very documents users have.
	Warnings []string

	router *router
	order  map[uintptr][]string
	ops    []OperationInfo
	// members memoizes memberwiseOf: *openapi3.Schema to *memberwise (nil
	// for a schema that is not). What it holds is derived from the
	// read-only document, so it changes no answer.
	members sync.Map
	// validators memoizes compiledOf for 3.1 documents, likewise.
	validators sync.Map
}

// ErrNoRoute and ErrMethodNotAllowed tell why FindRoute found no operation.
var (
	ErrNoRoute          = errors.New("openapi: no operation matches the path")
	ErrMethodNotAllowed = errors.New("openapi: the path does not allow the method")
)

var registerFormats sync.Once

// errNotUUID is what validateUUID reports; the violation it becomes says
// "Input should be a valid UUID".
var errNotUUID = errors.New("string doesn't match the uuid format")

// validateUUID accepts any RFC 9562 layout in either case, as pydantic does:
// versions outside 1-8 and the nil UUID are still UUIDs to the vendors. It
// replaces a regexp that cost every request with a UUID in it a few per cent
// (see BenchmarkPatchHandler).
func validateUUID(s string) error {
	if len(s) != 36 {
		return errNotUUID
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return errNotUUID
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return errNotUUID
			}
		}
	}
	return nil
}

var errNotURI = errors.New("string doesn't match the uri format")

// validateURI accepts an absolute URL with a scheme and a host, as
// pydantic's URL types do: "not a url" and "http://" are refused.
func validateURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
		return errNotURI
	}
	return nil
}

// Load parses a document (YAML or JSON, OpenAPI 3.0 or 3.1) and compiles its
// router.
func Load(ctx context.Context, data []byte) (*Spec, error) { return load(ctx, data, false) }

// load is Load, or, for an embedded JSON copy, a faster one: strict
// validation finds nothing in the embedded documents, as their tests check,
// and would cost a twentieth of their load at every start, and they are
// decoded by decodeEmbedded.
func load(ctx context.Context, data []byte, embedded bool) (*Spec, error) {
	registerFormats.Do(func() {
		// kin-openapi keeps string formats in a process-wide registry and
		// enforces only the ones registered there.
		v := openapi3.NewCallbackValidator(validateUUID)
		openapi3.DefineStringFormatValidator("uuid", v)
		openapi3.DefineStringFormatValidator("uuid4", v)
		u := openapi3.NewCallbackValidator(validateURI)
		openapi3.DefineStringFormatValidator("uri", u)
		openapi3.DefineStringFormatValidator("url", u)
	})
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, root, err := parse(loader, data, embedded)
	if err != nil {
		return nil, err
	}
	if doc.OpenAPI == "" {
		return nil, errors.New("openapi: not an OpenAPI document: it has no openapi member (a Swagger 2.0 one has swagger: \"2.0\")")
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		return nil, errors.New("openapi: the document declares no paths")
	}
	s := &Spec{Doc: doc, json: sync.OnceValues(doc.MarshalJSON), order: map[uintptr][]string{}}
	if !embedded {
		if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
			s.Warnings = append(s.Warnings, err.Error())
		}
	}

	// Route on paths alone: the document's servers name the vendor's hosts,
	// and agentmock answers on whatever address it listens on.
	routed := *doc
	routed.Servers = openapi3.Servers{{URL: "/"}}
	if s.router, err = newRouter(&routed); err != nil {
		return nil, fmt.Errorf("openapi: build router: %w", err)
	}

	s.recordOrder(root, doc)
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			s.ops = append(s.ops, OperationInfo{Key: OperationKey(method, path), Method: method, Path: path, Operation: op})
		}
	}
	return s, nil
}

// parse decodes a document and reads the tree its order is walked in
// (recordOrder). A user's document is kin's to decode first, so that one
// that is no document at all is said to be that; an embedded copy is
// decoded from the same tree (decodeEmbedded).
func parse(loader *openapi3.Loader, data []byte, embedded bool) (*openapi3.T, *yaml.Node, error) {
	if embedded {
		root, err := jsonNode(data)
		if err != nil {
			return nil, nil, fmt.Errorf("openapi: parse: %w", err)
		}
		doc, err := decodeEmbedded(loader, data, root)
		if err != nil {
			return nil, nil, fmt.Errorf("openapi: parse: %w", err)
		}
		return doc, root, nil
	}
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, nil, fmt.Errorf("openapi: parse: %w", err)
	}
	root, err := orderTree(data)
	if err != nil {
		return nil, nil, fmt.Errorf("openapi: read property order: %w", err)
	}
	return doc, root, nil
}

// Is31 reports whether the document is OpenAPI 3.1 or later, which changes
// how nullability is written.
func (s *Spec) Is31() bool { return s.Doc.IsOpenAPI31OrLater() }

// Route is an operation matched by FindRoute.
type Route struct {
	*routers.Route
	PathParams map[string]string
	// Key identifies the operation independently of parameter names, e.g.
	// "GET /v1/voice/{}", so that behaviour binds to both our documents and the
	// vendors' own.
	Key string
	// schemas are the operation's, found when the router was made
	// (schemas.go). Every Route is a copy of one the router made.
	schemas *schemas
}

// FindRoute matches a request to an operation.
func (s *Spec) FindRoute(r *http.Request) (*Route, error) {
	route, err := s.router.find(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return nil, ErrMethodNotAllowed
	case err != nil:
		return nil, ErrNoRoute
	}
	return route, nil
}

var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

// OperationKey names an operation by method and path template with the
// parameter names erased.
func OperationKey(method, path string) string {
	return strings.ToUpper(method) + " " + paramPattern.ReplaceAllString(path, "{}")
}

// Operations lists every operation's key, method and path, in document order
// of paths.
func (s *Spec) Operations() []OperationInfo { return s.ops }

// OperationInfo describes one operation of the document.
type OperationInfo struct {
	Key       string
	Method    string
	Path      string
	Operation *openapi3.Operation
}

// Operation finds an operation by key, or nil.
func (s *Spec) Operation(key string) *OperationInfo {
	for i := range s.ops {
		if s.ops[i].Key == key {
			return &s.ops[i]
		}
	}
	return nil
}

// Schema returns a component schema by name, or nil.
func (s *Spec) Schema(name string) *openapi3.Schema {
	if s.Doc.Components == nil {
		return nil
	}
	if ref := s.Doc.Components.Schemas[name]; ref != nil {
		return ref.Value
	}
	return nil
}

// RequestSchema returns the JSON request body schema of an operation, or nil.
func RequestSchema(op *openapi3.Operation) *openapi3.Schema {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	return jsonSchema(op.RequestBody.Value.Content)
}

// ResponseSchema returns the JSON schema of an operation's response with the
// given status, or nil.
func ResponseSchema(op *openapi3.Operation, status int) *openapi3.Schema {
	if op == nil || op.Responses == nil {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil
	}
	return jsonSchema(ref.Value.Content)
}

// JSON is the document as served: loaded, and encoded as JSON.
func (s *Spec) JSON() ([]byte, error) { return s.json() }

// SuccessStatus returns the lowest 2xx status the operation declares, which is
// how the documents tell a 200 from a 201 or a 204.
func SuccessStatus(op *openapi3.Operation) int {
	best := 0
	if op == nil || op.Responses == nil {
		return http.StatusOK
	}
	for code := range op.Responses.Map() {
		n, err := strconv.Atoi(code)
		if err != nil || n < 200 || n > 299 {
			continue
		}
		if best == 0 || n < best {
			best = n
		}
	}
	if best == 0 {
		return http.StatusOK
	}
	return best
}

func jsonSchema(content openapi3.Content) *openapi3.Schema {
	for _, mt := range []string{"application/json", "application/merge-patch+json"} {
		if m := content.Get(mt); m != nil && m.Schema != nil {
			return m.Schema.Value
		}
	}
	for name, m := range content {
		if strings.Contains(name, "json") && m.Schema != nil {
			return m.Schema.Value
		}
	}
	return nil
}
