package mock

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// preference is what a caller asked for with Prism's Prefer header or its
// __code, __example and __dynamic query parameters.
type preference struct {
	code    int
	example string
	dynamic bool
}

// preferOf reads the Prefer header ("code=404, example=named, dynamic=true")
// and the query parameters, which win.
func preferOf(r *http.Request) (preference, bool) {
	var p preference
	set := false
	for part := range strings.SplitSeq(r.Header.Get("Prefer"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		set = p.apply(strings.ToLower(strings.TrimSpace(k)), strings.Trim(strings.TrimSpace(v), `"`)) || set
	}
	if !strings.Contains(r.URL.RawQuery, "__") {
		return p, set // no preference in the query: spare parsing it
	}
	q := r.URL.Query()
	for _, k := range []string{"code", "example", "dynamic"} {
		if v := q.Get("__" + k); v != "" {
			set = p.apply(k, v) || set
		}
	}
	return p, set
}

func (p *preference) apply(k, v string) bool {
	switch k {
	case "code":
		if n, err := strconv.Atoi(v); err == nil && n >= 100 && n <= 599 {
			p.code = n
			return true
		}
	case "example":
		p.example = v
		return v != ""
	case "dynamic":
		p.dynamic = v == "true"
		return p.dynamic
	}
	return false
}

// preferred answers as the caller asked: an error status gets the
// provider's error body, any other status the documented example (or a
// named one) or a value generated from the schema.
func (s *Server) preferred(req *provider.Request, p preference) (provider.Response, error) {
	status := p.code
	if status == 0 {
		status = req.Route.SuccessStatus()
	}
	if status >= 400 {
		// The document's own example for that status (Diga's
		// CALL_NOT_FOUND), as Prism answers; else the provider's body.
		if ex, ok := s.spec.Example(req.Route.Operation, status, p.example); ok {
			return provider.Response{Status: status, Body: ex}, nil
		}
		return provider.Response{}, &provider.Error{Status: status, Message: "Forced by Prefer: code=" + strconv.Itoa(status), Forced: true}
	}
	return s.example(req, status, p.example, p.dynamic)
}

// example answers an operation with its documented example, or a value
// generated from its schema: how agentmock serves operations it has no
// stateful behaviour for, and Prism's example/dynamic preferences.
func (s *Server) example(req *provider.Request, status int, name string, dynamic bool) (provider.Response, error) {
	sch := req.Route.ResponseSchema(status)
	if sch == nil {
		if req.Route.Operation.Responses.Status(status) == nil {
			return provider.Response{}, &provider.Error{Status: http.StatusNotFound, Code: "", Message: "The operation declares no response with status " + strconv.Itoa(status), Forced: true}
		}
		return provider.Response{Status: status}, nil // declared without a body, like a 204
	}
	if !dynamic {
		if v, ok := s.spec.Example(req.Route.Operation, status, name); ok {
			return provider.Response{Status: status, Body: v}, nil
		}
		if name != "" {
			return provider.Response{}, &provider.Error{Status: http.StatusNotFound, Message: "The operation has no example named " + strconv.Quote(name), Forced: true}
		}
	}
	return provider.Response{Status: status, Body: s.gen.generate(sch)}, nil
}

// lockedRand is a seeded source shared by concurrent requests.
type lockedRand struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newLockedRand(seed uint64) *lockedRand {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &lockedRand{rng: rand.New(rand.NewPCG(seed, seed>>1|1))}
}

func (l *lockedRand) generate(sch *openapi3.Schema) any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return openapi.Generate(sch, l.rng)
}
