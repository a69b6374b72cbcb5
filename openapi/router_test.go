package openapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routerDoc has the templates the router must get right: a literal beside a
// parameter at the same place, a trailing slash, a parameter inside a
// segment, two parameters, a path that has only one method, and templates
// that match the same paths from different branches of the router's tree.
const routerDoc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /v1/agent/:
    get: {responses: {"200": {description: ok}}}
    post: {responses: {"201": {description: ok}}}
  /v1/agent/{id}:
    get: {responses: {"200": {description: ok}}}
    patch: {responses: {"200": {description: ok}}}
  /v1/agent/drafts:
    get: {responses: {"200": {description: ok}}}
  /v1/{kind}/drafts:
    put: {responses: {"200": {description: ok}}}
  /v1/{kind}/{id}/versions/{version}:
    delete: {responses: {"204": {description: ok}}}
  /v1/agent/{id}/versions/{version}:
    get: {responses: {"200": {description: ok}}}
  /v1/files/{name}.json:
    get: {responses: {"200": {description: ok}}}
  /v1/files/x{name}:
    delete: {responses: {"204": {description: ok}}}
  /:
    get: {responses: {"200": {description: ok}}}
`

// routerRequests are paths that test each invariant of the router, for each
// document's templates.
func routerRequests(doc *openapi3.T) []string {
	paths := []string{"/", "", "//", "/v1", "/v1/", "/v1/agent", "/v1/agent/", "/v1/agent//", "/v1/agent/a/versions/", "/v1/files/.json", "/v1/files/x", "/v1/files/xa.json", "/nope", "/%2F", "/v1/agent/a%2Fb", "/v1/agent/%7Bid%7D"}
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		for _, value := range []string{"abc", "a%2Fb", "x.json", "", "a/b", "{id}"} {
			p := paramPattern.ReplaceAllString(tmpl, value)
			paths = append(paths, p, p+"/", strings.TrimSuffix(p, "/"), p+"/extra", strings.ToUpper(p))
		}
	}
	return paths
}

// TestRouterAnswersAsGorillamux compares every answer of the router with
// kin-openapi's gorillamux router's, for our documents and routerDoc.
func TestRouterAnswersAsGorillamux(t *testing.T) {
	docs := ourDocuments(t)
	docs["routerDoc"] = []byte(routerDoc)
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			spec, err := Load(context.Background(), data)
			require.NoError(t, err)
			require.Nil(t, spec.router.fallback, "these templates need no fallback")
			ref := gorillaFor(t, spec)
			n, matched := 0, 0
			for _, path := range routerRequests(spec.Doc) {
				for _, method := range []string{"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "get"} {
					req := httptest.NewRequest(http.MethodGet, "http://h/", nil)
					req.Method, req.URL.Path, req.URL.RawPath = method, pathOf(path), path
					if compareRoutes(t, spec, ref, req) {
						matched++
					}
					n++
				}
			}
			assert.Greater(t, n, 100)
			assert.Greater(t, matched, len(spec.Doc.Paths.Map()), "most templates must match some request")
		})
	}
}

// ourDocuments are the embedded documents, by name.
func ourDocuments(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	for _, name := range []string{"diga", "itellico", "control"} {
		data, err := Embedded(name)
		require.NoError(t, err)
		docs[name] = data
	}
	return docs
}

func TestRouterFallsBackForTemplatesItCannotExpress(t *testing.T) {
	doc := strings.Replace(routerDoc, "/v1/files/{name}.json:", "/v1/files/{name}.{ext}:", 1)
	spec, err := Load(context.Background(), []byte(doc))
	require.NoError(t, err)
	require.NotNil(t, spec.router.fallback)
	route, err := spec.FindRoute(httptest.NewRequest(http.MethodGet, "/v1/files/a.json", nil))
	require.NoError(t, err)
	assert.Equal(t, "GET /v1/files/{}.{}", route.Key)
	assert.Equal(t, map[string]string{"name": "a", "ext": "json"}, route.PathParams)
	assert.Equal(t, 200, route.SuccessStatus(), "a route gorillamux found has its operation's schemas")
}

func TestRouterSharesNoState(t *testing.T) {
	spec, err := Load(context.Background(), []byte(routerDoc))
	require.NoError(t, err)
	a, err := spec.FindRoute(httptest.NewRequest(http.MethodGet, "/v1/agent/a", nil))
	require.NoError(t, err)
	b, err := spec.FindRoute(httptest.NewRequest(http.MethodGet, "/v1/agent/b", nil))
	require.NoError(t, err)
	assert.Equal(t, "a", a.PathParams["id"], "a later request must not change an earlier one's parameters")
	assert.Equal(t, "b", b.PathParams["id"])
	assert.Same(t, a.Operation, b.Operation)
	assert.Equal(t, "GET /v1/agent/{}", a.Key)
}

// FuzzRouter: for any method and path, the router answers as gorillamux.
func FuzzRouter(f *testing.F) {
	spec, err := Load(context.Background(), []byte(routerDoc))
	require.NoError(f, err)
	ref := gorillaFor(f, spec)
	for _, p := range routerRequests(spec.Doc) {
		f.Add("GET", p)
	}
	f.Add("PATCH", "/v1/agent/%zz")
	f.Fuzz(func(t *testing.T, method, path string) {
		req := httptest.NewRequest(http.MethodGet, "http://h/", nil)
		req.Method, req.URL.Path, req.URL.RawPath = method, pathOf(path), path
		compareRoutes(t, spec, ref, req)
	})
}

func gorillaFor(t testing.TB, spec *Spec) routers.Router {
	routed := *spec.Doc
	routed.Servers = openapi3.Servers{{URL: "/"}}
	ref, err := gorillamux.NewRouter(&routed)
	require.NoError(t, err)
	return ref
}

// pathOf is the decoded form of an escaped path, or the path itself when it
// does not decode, as net/url leaves it.
func pathOf(escaped string) string {
	req, err := http.NewRequest(http.MethodGet, "http://h"+escaped, nil)
	if err != nil || !strings.HasPrefix(escaped, "/") {
		return escaped
	}
	return req.URL.Path
}

// compareRoutes checks the two routers agree on req, and reports whether
// they found an operation.
func compareRoutes(t *testing.T, spec *Spec, ref routers.Router, req *http.Request) bool {
	t.Helper()
	want, wantParams, wantErr := ref.FindRoute(req)
	got, gotErr := spec.router.find(req)
	what := req.Method + " " + req.URL.EscapedPath()
	if wantErr != nil {
		require.Error(t, gotErr, what)
		assert.Equal(t, errors.Is(wantErr, routers.ErrMethodNotAllowed), errors.Is(gotErr, routers.ErrMethodNotAllowed), "%s: %v, gorillamux %v", what, gotErr, wantErr)
		return false
	}
	require.NoError(t, gotErr, what)
	assert.Equal(t, want.Path, got.Path, what)
	assert.Equal(t, want.Method, got.Method, what)
	assert.Same(t, want.Operation, got.Operation, what)
	assert.Equal(t, wantParams, got.PathParams, what)
	return true
}

// BenchmarkFindRoute: a request's operation found in Diga's document, for
// a path with a parameter and for one of the longest.
func BenchmarkFindRoute(b *testing.B) {
	data, err := Embedded("diga")
	require.NoError(b, err)
	spec, err := Load(context.Background(), data)
	require.NoError(b, err)
	for name, path := range map[string]string{
		"agent": "/v1/agent/11111111-1111-4111-8111-111111111111",
		"tool":  "/v1/integration/i1/tool/t1",
	} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := spec.FindRoute(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
