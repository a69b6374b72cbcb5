// Package mock serves a provider's API from its OpenAPI document: it routes,
// authenticates and validates every request against the document, keeps
// resources in the store, and checks every response it sends against the
// same document.
package mock

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Config tunes a Server.
type Config struct {
	// AllowUnknownFields accepts request members the document does not
	// declare, and drops them, as the real services do. By default they are
	// rejected, so that typos fail tests.
	AllowUnknownFields bool
	// ValidateResponses checks every response against the document and turns
	// a non-conforming one into a 500 that names the mismatch.
	ValidateResponses bool
	// StrictStatus also fails responses whose status the operation does not
	// declare. Right for our own documents; vendor documents declare too few.
	StrictStatus bool
	Logger       *slog.Logger
	// Clock is the time used for timestamps; nil means the real time.
	Clock *Clock
	// IDs makes resource ids; nil means random UUIDv4s.
	IDs *IDs
	// Seed loads the fixtures; the caller sets it when the database is new.
	Seed bool
	// NoControl turns the /_mock/ control API off.
	NoControl bool
	// ControlSpec is the control API's document, loaded once for every
	// server; nil loads the embedded one for this server.
	ControlSpec *openapi.Spec
	// JournalSize bounds the request journal; 0 means DefaultJournalSize.
	JournalSize int
	// GenerationSeed makes generated example data repeatable; 0: random.
	GenerationSeed uint64
	// Pages bounds the list pages built at once, shared by the servers of
	// one process; nil: no bound.
	Pages *Gate
	// Calls are the simulated calls' timings.
	Calls provider.CallTimings
	// Webhooks tune the delivery of events: zero members take
	// delivery.Config's defaults.
	Webhooks WebhookConfig
}

// WebhookConfig tunes webhook deliveries.
type WebhookConfig struct {
	Timeout time.Duration
	Backoff []time.Duration
}

// Server serves one provider on one document. It is an http.Handler.
type Server struct {
	spec     *openapi.Spec
	prov     provider.Provider
	store    *store.Store
	cfg      Config
	log      *slog.Logger
	echo     *echo.Echo
	handlers map[string]provider.Handler
	// model is the document's resources, as the rules derive them.
	model *resources.Model
	// rules are the provider's, read once: they build maps.
	rules resources.Rules
	// behaviours holds the keys of the operations the provider answers
	// with code of its own.
	behaviours map[string]bool
	// pages holds the keys of the operations that wait at cfg.Pages.
	pages map[string]bool
	// requestOptions and responseOptions are openapi3filter's, made once:
	// it only reads them.
	requestOptions, responseOptions *openapi3filter.Options
	// conformed remembers the answers checkResponse found to conform.
	conformed *conformed
	// buffers hold answers being encoded (buffers.go).
	buffers buffers
	// unsecured are copies of the operations whose security requirements
	// openapi3filter would always find met, with none: the credentials
	// were checked already, and its check, a fifth of a GET's validation,
	// reads the body and sorts the schemes' names to find them met.
	unsecured map[*openapi3.Operation]*openapi3.Operation
	// passed remembers requests whose parameters passed (params.go).
	passed *passed
	// refused remembers the bodies the check refused (refused.go).
	refused *refused
	// answers keeps the answers of reads by the store's generation
	// (answers.go); draws counts the clock's readings and the ids drawn,
	// which no kept answer may depend on.
	answers *answers
	draws   atomic.Uint64

	journal *journal
	faults  *faults
	// deliveries sends the events the provider emits; nil for the control
	// API and a document served on its own.
	deliveries   *delivery.Dispatcher
	wakeTimeline chan struct{}
	// stepsNext is when the timeline's next step is due, zero for none,
	// once stepsKnown (timeline.go).
	stepsMu    sync.Mutex
	stepsNext  time.Time
	stepsKnown bool
	control    *Server // nil when the control API is off, and for the control server itself
	gen        *lockedRand
	// violationsFit records, by declared error schema, whether the
	// provider's own violation body fits it: learned from the first
	// violation answered with that schema, as it depends on nothing else.
	violationsFit sync.Map // *openapi3.Schema → bool
	// links are what linksOf worked out, by operation and schema.
	links sync.Map // linksKey → []resources.Link
}

func newServer(ctx context.Context, spec *openapi.Spec, st *store.Store, p provider.Provider, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = NewClock(time.Time{})
	}
	if cfg.IDs == nil {
		cfg.IDs = NewIDs(0)
	}
	s := &Server{spec: spec, prov: p, store: st, cfg: cfg, log: cfg.Logger.With("provider", p.Name()), gen: newLockedRand(cfg.GenerationSeed)}
	s.rules = p.Rules()
	s.model = resources.Derive(spec, s.rules)
	s.handlers = p.Handlers(s)
	s.behaviours = map[string]bool{}
	served := 0
	for k := range s.handlers {
		s.behaviours[k] = true
		if spec.Operation(k) != nil {
			served++
		}
	}
	if len(s.handlers) > 0 && served == 0 {
		s.log.Warn("the document does not look like this provider's: none of the operations it has behaviour for are in it (a document given for another provider?)")
	}
	if _, isControl := p.(*control); !isControl {
		maps.Copy(s.handlers, s.engineHandlers(s.handlers))
	}
	s.requestOptions = &openapi3filter.Options{
		ExcludeRequestBody: true,
		MultiError:         true,
		// Credentials were checked against the fixtures already.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}
	s.responseOptions = &openapi3filter.Options{IncludeResponseStatus: cfg.StrictStatus, MultiError: true}
	s.conformed = newConformed()
	s.refused = newRefused()
	s.unsecured = unsecured(spec)
	s.passed = newPassed(spec, s.unsecured)
	if cfg.Pages != nil {
		s.pages = pageOperations(spec)
	}
	s.wakeTimeline = make(chan struct{}, 1)
	if s.rules.Webhooks != nil {
		s.deliveries = delivery.New(delivery.Config{Store: st, Collection: s.deliveriesCollection(), Now: s.Now,
			Secret: s.webhookSecret, Timeout: cfg.Webhooks.Timeout, Backoff: cfg.Webhooks.Backoff, Log: s.log})
	}
	if _, isControl := p.(*control); !isControl {
		// The control API's reads answer from the journal, the clock and
		// the rules, not from the store alone: its answers are not kept.
		s.journal, s.faults, s.answers = newJournal(cfg.JournalSize), &faults{}, newAnswers()
		if !cfg.NoControl {
			cspec := cfg.ControlSpec
			var err error
			if cspec == nil {
				if cspec, err = openapi.LoadEmbedded(ctx, "control"); err != nil {
					return nil, fmt.Errorf("mock: control document: %w", err)
				}
			}
			ccfg := cfg
			ccfg.Seed, ccfg.StrictStatus = false, true
			if s.control, err = newServer(ctx, cspec, st, &control{p: s}, ccfg); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Seed {
		if err := st.Write(ctx, func(tx *store.Tx) error { return p.Seed(tx, s) }); err != nil {
			return nil, fmt.Errorf("mock: %s fixtures: %w", p.Name(), err)
		}
	}
	s.routes()
	return s, nil
}

// collections lists every store collection the server keeps: the
// provider's own and the derived resources', each once.
func (s *Server) collections() []string {
	out := slices.Clone(s.prov.Collections())
	if s.timeline() != nil {
		out = append(out, s.timelineCollection())
	}
	if s.deliveries != nil {
		out = append(out, s.deliveriesCollection())
	}
	for _, c := range s.engineCollections() {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Spec is the document the server serves.
func (s *Server) Spec() *openapi.Spec { return s.spec }

// StrictStatus reports whether responses must use statuses the document
// declares (true for our own documents).
func (s *Server) StrictStatus() bool { return s.cfg.StrictStatus }

// ServeHTTP serves the provider's API, and the control API under /_mock/:
// the whole request path is in routes.go.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return openapi.UUIDv4(b)
}

// now is the server's clock in UTC, at the microsecond precision the vendors'
// Python backends store.
func (s *Server) Now() time.Time {
	s.draws.Add(1)
	return s.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
}

func (s *Server) NewID() string {
	s.draws.Add(1)
	return s.cfg.IDs.New()
}

// handle answers a documented API call that routed, faults and the page
// gate let through: it authenticates, validates and serves it (serve), then
// writes the answer, checked against the document.
func (s *Server) handle(c echo.Context) error {
	r := c.Request()
	tr := traceOf(r)
	if tr.routeErr != nil {
		return s.noRoute(c, tr.routeErr)
	}
	var scratch *store.Arena
	if s.pages[tr.route.Key] {
		scratch = s.buffers.arena()
		defer s.buffers.putArena(scratch) // after the answer is written
	}
	res, err := s.serve(r, tr.route, scratch)
	if err != nil {
		return s.writeError(c, tr.route, err)
	}
	return s.write(c, tr.route, res)
}

func (s *Server) serve(r *http.Request, route *openapi.Route, scratch *store.Arena) (provider.Response, error) {
	ctx := r.Context()
	who, ok := s.prov.Authenticate(r)
	if !ok {
		if who, ok = s.storedKey(ctx, s.prov.Credential(r)); !ok {
			return provider.Response{}, provider.Fail(http.StatusUnauthorized, "Invalid or missing API key")
		}
	}
	tenant, err := s.prov.Scope(ctx, who, route)
	if err != nil {
		return provider.Response{}, err
	}
	raw, body, err := s.readBody(r, route)
	var found []agentmock.Violation
	if e, ok := provider.AsError(err); ok && e.WithParams {
		// A missing body, or one refused before, is reported with the
		// parameters' violations, as FastAPI validates them together; a
		// malformed one stands alone.
		found, err = e.Violations, nil
	}
	if err != nil {
		return provider.Response{}, err
	}
	if s.prov.EmptyQueryIsNull() {
		r = withoutEmptyQuery(r)
	}
	if vs := append(s.validate(r, route, raw, body), found...); len(vs) > 0 {
		return provider.Response{}, provider.Invalid(vs...)
	}
	req := &provider.Request{Ctx: ctx, HTTP: r, Route: route, Tenant: tenant, Body: body, Raw: raw, Scratch: scratch}
	if pref, ok := preferOf(r); ok {
		// Prism's Prefer: an answer chosen by the caller, never a change of
		// state.
		return s.preferred(req, pref)
	}
	h := s.handlers[route.Key]
	if h == nil {
		return s.example(req, route.SuccessStatus(), "", false)
	}
	if r.Method == http.MethodGet {
		if res, ok := s.answered(req); ok {
			return res, nil
		}
	}
	return h(req)
}

// readBody enforces the size limit and content type, and decodes JSON once.
func (s *Server) readBody(r *http.Request, route *openapi.Route) ([]byte, any, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, nil, provider.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes", MaxBodyBytes))
	}
	var data []byte
	var err error
	switch {
	case r.Body == http.NoBody:
	case r.ContentLength > 0:
		// The length is known and within the limit: read that much, into a
		// slice of that size, where ReadAll grew one from 512 bytes.
		// net/http's body answers EOF with the last byte, so the
		// connection is left ready for the next request.
		data = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, data)
	default:
		data, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	}
	if err != nil {
		return nil, nil, provider.Fail(http.StatusBadRequest, "Could not read the request body")
	}
	if len(data) > MaxBodyBytes {
		return nil, nil, provider.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes", MaxBodyBytes))
	}
	rb := route.Operation.RequestBody
	if len(bytes.TrimSpace(data)) == 0 {
		if rb != nil && rb.Value != nil && rb.Value.Required {
			return nil, nil, missingBody()
		}
		return nil, nil, nil
	}
	boundary, form := isForm(r)
	if !form && rb != nil && route.FormSchema() != nil && route.RequestSchema() == nil {
		return nil, nil, provider.Fail(http.StatusUnsupportedMediaType, "Content-Type must be multipart/form-data")
	}
	if form && (rb == nil || route.FormSchema() != nil) {
		// A form (engine_multipart.go), also where a document forgot to
		// declare the one its upload takes.
		fields, _, err := readForm(data, boundary, route.FormSchema())
		return data, fields, err
	}
	if rb == nil || rb.Value == nil {
		return nil, nil, nil // a body the operation does not take is ignored, as FastAPI does
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, nil, provider.Fail(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	if found, ok := s.refused.get(route.Operation, data); ok {
		tr := traceOf(r)
		tr.warnings = append(tr.warnings, found.warnings...)
		tr.refusal = found
		e := provider.Invalid(found.violations...)
		e.WithParams = true
		return data, nil, e
	}
	v, err := provider.DecodeJSON(data)
	if err != nil {
		return nil, nil, s.prov.Malformed(err)
	}
	if v == nil && rb.Value.Required {
		return nil, nil, missingBody() // a JSON null is no body at all
	}
	return data, v, nil
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mediaType(contentType)
	return err == nil && (mt == echo.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"))
}

// mediaType is mime.ParseMediaType, with the common application/json
// answered without parsing: ParseMediaType makes a map of parameters each
// time, and a body's reading asks twice (isForm, isJSON).
func mediaType(contentType string) (string, map[string]string, error) {
	if contentType == echo.MIMEApplicationJSON {
		return contentType, nil, nil
	}
	return mime.ParseMediaType(contentType)
}

// missingBody is FastAPI's error for a required body that is absent.
func missingBody() *provider.Error {
	e := provider.Invalid(agentmock.Violation{In: agentmock.InBody, Kind: agentmock.KindMissing})
	e.WithParams = true
	return e
}

// validate checks parameters with openapi3filter and the body, raw as
// decoded, with the operation's schema, returning every violation at once.
// A body it refuses is remembered (refused.go).
func (s *Server) validate(r *http.Request, route *openapi.Route, raw []byte, body any) []agentmock.Violation {
	var vs []agentmock.Violation
	if err := s.checkParams(r, route); err != nil {
		vs = append(vs, s.spec.Violations(agentmock.InQuery, nil, nil, err)...)
	}
	if body == nil {
		return vs
	}
	found := s.checkBody(r, route, body)
	if len(found.warnings) > 0 {
		// Dropped, as the vendors do, and said in the journal, so that a
		// suite can still catch a typo (GET /_mock/requests?warnings=true).
		tr := traceOf(r)
		tr.warnings = append(tr.warnings, found.warnings...)
	}
	s.refused.add(route.Operation, raw, found)
	return append(vs, found.violations...)
}

// checkBody checks a decoded body with the operation's schema: a pure
// function of the operation, the server's options and the body.
func (s *Server) checkBody(r *http.Request, route *openapi.Route, body any) *refusal {
	found := &refusal{}
	sch := route.BodySchema()
	for _, m := range s.spec.Unknown(sch, body, s.cfg.AllowUnknownFields) {
		if s.cfg.AllowUnknownFields {
			found.warnings = append(found.warnings, extraMember(m))
		} else {
			found.violations = append(found.violations, extraMember(m))
		}
	}
	checked := body
	if r.Method == http.MethodPatch && nullMember(body) {
		// In a merge patch (RFC 7396) null removes a member, whatever the
		// member's nullability: the merged result is what must conform, and
		// it is validated before it is stored. A patch without a null
		// member is its own merge into nothing, and is checked as it is.
		checked = provider.MergePatch(nil, body)
	}
	for _, v := range s.spec.Check(agentmock.InBody, sch, checked, true) {
		if v.Kind == agentmock.KindExtraForbidden {
			continue // reported, or dropped, by the walk above
		}
		found.violations = append(found.violations, v)
	}
	return found
}

// nullMember reports whether an object has a member that is null, itself
// or in an object it holds: what a merge patch removes. Nulls in arrays are
// values, which a merge keeps.
func nullMember(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, m := range obj {
		if m == nil || nullMember(m) {
			return true
		}
	}
	return false
}

// checkParams is openapi3filter's check of a request's parameters (and of
// its security, where the provider does not check it), unless the same
// request passed it before (passed).
func (s *Server) checkParams(r *http.Request, route *openapi.Route) error {
	rt := route.Route
	k, keep := s.passed.key(rt.Operation, r.URL)
	if keep {
		if q, ok := s.passed.get(k); ok {
			r.URL.RawQuery = q
			return nil
		}
	}
	if op := s.unsecured[rt.Operation]; op != nil {
		copied := *rt
		copied.Operation = op
		rt = &copied
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: route.PathParams,
		Route:      rt,
		Options:    s.requestOptions,
	}
	err := openapi3filter.ValidateRequest(r.Context(), input)
	if err == nil && keep {
		s.passed.add(k, r.URL.RawQuery)
	}
	return err
}

// unsecured finds the operations whose security openapi3filter, with
// NoopAuthenticationFunc, always finds met: no requirements, or one whose
// schemes the document all defines. It copies them without requirements.
func unsecured(spec *openapi.Spec) map[*openapi3.Operation]*openapi3.Operation {
	var schemes openapi3.SecuritySchemes
	if spec.Doc.Components != nil {
		schemes = spec.Doc.Components.SecuritySchemes
	}
	met := func(srs openapi3.SecurityRequirements) bool {
		if len(srs) == 0 {
			return true
		}
		for _, sr := range srs {
			defined := true
			for name := range sr {
				if ref := schemes[name]; ref == nil || ref.Value == nil {
					defined = false
				}
			}
			if defined {
				return true
			}
		}
		return false
	}
	out := map[*openapi3.Operation]*openapi3.Operation{}
	for _, info := range spec.Operations() {
		op := info.Operation
		srs := spec.Doc.Security
		if op.Security != nil {
			srs = *op.Security
		}
		if met(srs) {
			copied := *op
			copied.Security = &openapi3.SecurityRequirements{}
			out[op] = &copied
		}
	}
	return out
}

// write encodes a handler's answer with the operation's response schema and
// checks it before it leaves.
func (s *Server) write(c echo.Context, route *openapi.Route, res provider.Response) error {
	var data []byte
	sch := route.ResponseSchema(res.Status)
	if res.Body != nil {
		buf := s.buffers.get()
		defer s.buffers.put(buf)
		var err error
		if data, err = s.spec.EncodeTo(buf, sch, res.Body); err != nil {
			return s.writeError(c, route, fmt.Errorf("encode response: %w", err))
		}
	}
	if res.Checked == nil || res.Checked != sch {
		if err := s.checkResponse(c.Request(), route, res.Status, data); err != nil {
			s.log.Error("response does not conform to the document", "operation", route.Key, "status", res.Status, "err", err)
			return s.send(c, route, http.StatusInternalServerError, s.errorBody(&provider.Error{
				Status:  http.StatusInternalServerError,
				Message: "agentmock bug: the response does not conform to the document: " + err.Error(),
			}), false)
		}
	}
	s.kept(c.Request(), res.Status, data)
	return s.raw(c, res.Status, data)
}

func (s *Server) raw(c echo.Context, status int, data []byte) error {
	if data == nil {
		return c.NoContent(status)
	}
	return Blob(c, status, echo.MIMEApplicationJSON, data)
}

// Blob answers data with its length. echo's Blob leaves the length out,
// and net/http sends what it has not buffered by 2 KB in chunks: a page of
// 100 agents (100 KB) went out as a chunk, its framing and a last empty
// chunk, in three writes, where the providers (FastAPI) send
// Content-Length. Below 2 KB net/http sets the length itself.
func Blob(c echo.Context, status int, contentType string, data []byte) error {
	if len(data) >= chunkingSize {
		c.Response().Header()["Content-Length"] = []string{strconv.Itoa(len(data))}
	}
	return c.Blob(status, contentType, data)
}

// chunkingSize is net/http's bufferBeforeChunkingSize: what a handler may
// write before net/http stops waiting to learn the length.
const chunkingSize = 2048

// checkResponse validates a response exactly as it will be sent, unless the
// same bytes were found to conform before (conformed.go).
func (s *Server) checkResponse(r *http.Request, route *openapi.Route, status int, data []byte) error {
	if !s.cfg.ValidateResponses || r.Method == http.MethodHead {
		// openapi3filter checks nothing of a HEAD's answer: none is kept
		// as found to conform.
		return nil
	}
	k := s.conformed.key(route.Operation, status, data)
	if s.conformed.has(k) {
		return nil
	}
	header := http.Header{}
	if data != nil {
		header.Set("Content-Type", echo.MIMEApplicationJSON)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: route.PathParams, Route: route.Route},
		Status:                 status,
		Header:                 header,
		Options:                s.responseOptions,
	}
	input.SetBodyBytes(data)
	if err := openapi3filter.ValidateResponse(r.Context(), input); err != nil {
		return err
	}
	s.conformed.add(k)
	return nil
}

// writeError sends err in the provider's shape. Anything that is not an
// provider.Error is an agentmock fault: it is logged and answered with a 500.
func (s *Server) writeError(c echo.Context, route *openapi.Route, err error) error {
	e, ok := provider.AsError(err)
	if !ok {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		e = provider.Fail(http.StatusInternalServerError, "Error: Internal Server Error")
		if errors.Is(err, store.ErrWrite) {
			// A full disk or a read-only file: say so, so that whoever runs
			// the container knows where to look. 500 is the status both
			// documents declare.
			msg := err.Error()
			if i := strings.Index(msg, "could not write"); i >= 0 {
				msg = msg[i:]
			}
			e.Message = "agentmock " + msg
		}
	}
	traceOf(c.Request()).violations = e.Violations
	if e.Forced && route.ResponseSchema(e.Status) == nil {
		// A status the caller asked for (Prefer, a fault) that the operation
		// does not declare still gets the provider's error body.
		route = nil
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			c.Response().Header().Add(k, v)
		}
	}
	if tr := traceOf(c.Request()); tr.refusal != nil && len(e.Violations) == len(tr.refusal.violations) && len(e.Header) == 0 {
		// A body refused before, and nothing else wrong: its answer.
		if a := tr.refusal.answer.Load(); a != nil {
			return Blob(c, a.status, a.mt, a.data)
		}
		tr.keepAnswer = true
	}
	return s.send(c, route, e.Status, s.declaredErrorBody(route, e), true)
}

func (s *Server) errorBody(e *provider.Error) map[string]any { return s.prov.Render(e) }

// declaredErrorBody renders e in the provider's shape for violations and,
// when the operation declares another shape for that status, in the shape
// it declares. Diga's own documents, for one, declare their 422 on lists as
// the custom error body although FastAPI sends a detail list: a client
// generated from the document expects the custom body, so it gets that, with
// every violation named in the message.
func (s *Server) declaredErrorBody(route *openapi.Route, e *provider.Error) map[string]any {
	body := s.errorBody(e)
	if d, ok := s.prov.(*document); ok {
		return d.fitError(s, route, e, body)
	}
	if len(e.Violations) == 0 || route == nil {
		return body
	}
	sch := route.ResponseSchema(e.Status)
	if sch == nil {
		return body
	}
	fits, known := s.violationsFit.Load(sch)
	if !known {
		fits, _ = s.violationsFit.LoadOrStore(sch, s.conforms(sch, body))
	}
	if fits.(bool) {
		return body
	}
	flat := *e
	flat.Violations = nil
	msgs := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		msgs[i] = v.Field() + ": " + s.prov.Describe(v)
	}
	flat.Message = strings.Join(msgs, "; ")
	return s.errorBody(&flat) // checked, like every answer, as it is sent
}

// conforms checks a body as it will be sent: encoded, then decoded.
func (s *Server) conforms(sch *openapi3.Schema, body map[string]any) bool {
	data, err := s.spec.Encode(sch, body)
	if err != nil {
		return false
	}
	v, err := provider.DecodeJSON(data)
	return err == nil && len(s.spec.Check(agentmock.InBody, sch, v, false)) == 0
}

// send encodes an error body, checks it (against the operation, or against
// the provider's error schema when no operation matched) and writes it.
func (s *Server) send(c echo.Context, route *openapi.Route, status int, body map[string]any, check bool) error {
	declared := route.ResponseSchema(status) // nil for no route
	sch := declared
	if sch == nil {
		sch = s.spec.Schema(s.prov.ErrorSchema())
	}
	buf := s.buffers.get()
	defer s.buffers.put(buf)
	data, err := s.spec.EncodeTo(buf, sch, body)
	if err != nil {
		return c.NoContent(http.StatusInternalServerError)
	}
	if check {
		var cerr error
		if route != nil {
			cerr = s.checkResponse(c.Request(), route, status, data)
		} else if s.cfg.ValidateResponses && sch != nil {
			if vs := s.spec.Check(agentmock.InBody, sch, body, false); len(vs) > 0 {
				cerr = fmt.Errorf("%s: %s", vs[0].Field(), s.prov.Describe(vs[0]))
			}
		}
		if cerr != nil {
			s.log.Error("error response does not conform to the document", "status", status, "err", cerr)
			return s.send(c, route, http.StatusInternalServerError, s.errorBody(&provider.Error{
				Status:  http.StatusInternalServerError,
				Message: "agentmock bug: the error response does not conform to the document: " + cerr.Error(),
			}), false)
		}
	}
	mt := echo.MIMEApplicationJSON
	if _, ok := s.prov.(*document); ok && declared == nil {
		mt = problemJSON // no shape of the document's own: RFC 7807
	}
	if tr := traceOf(c.Request()); check && tr.keepAnswer {
		tr.refusal.answer.Store(&answer{status: status, mt: mt, data: bytes.Clone(data)})
	}
	return Blob(c, status, mt, data)
}

// slashTwin returns the request's URL with the trailing slash added or
// removed, when that path is documented.
func (s *Server) slashTwin(r *http.Request) string {
	u := *r.URL
	if strings.HasSuffix(u.Path, "/") {
		u.Path = strings.TrimSuffix(u.Path, "/")
	} else {
		u.Path += "/"
	}
	u.RawPath = ""
	twin := r.Clone(r.Context())
	twin.URL = &u
	if _, err := s.spec.FindRoute(twin); err != nil {
		return ""
	}
	return u.RequestURI()
}

// noRoute answers a request no operation matches: 405 when the path exists
// with other methods, 404 otherwise.
func (s *Server) noRoute(c echo.Context, err error) error {
	r := c.Request()
	if errors.Is(err, openapi.ErrNoRoute) {
		traceOf(r).nearest = nearest(s.spec, r.Method, r.URL.Path)
	}
	if errors.Is(err, openapi.ErrNoRoute) && s.prov.RedirectSlashes() {
		if to := s.slashTwin(r); to != "" {
			return c.Redirect(http.StatusTemporaryRedirect, to)
		}
	}
	if errors.Is(err, openapi.ErrMethodNotAllowed) {
		// RFC 9110: a 405 names the methods the path does allow.
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, err := s.spec.FindRoute(probe); err == nil {
				allowed = append(allowed, m)
			}
		}
		c.Response().Header().Set("Allow", strings.Join(allowed, ", "))
		return s.send(c, nil, http.StatusMethodNotAllowed, s.errorBody(provider.Fail(http.StatusMethodNotAllowed, "Method Not Allowed")), true)
	}
	return s.send(c, nil, http.StatusNotFound, s.errorBody(provider.Fail(http.StatusNotFound, fmt.Sprintf("No operation matches %s %s", r.Method, r.URL.Path))), true)
}

// extraMember is the violation for a member the document does not declare,
// naming the union variant it does not belong to, if any.
func extraMember(m openapi.Member) agentmock.Violation {
	return agentmock.Violation{In: agentmock.InBody, Path: m.Path, Kind: agentmock.KindExtraForbidden, Variant: m.Variant}
}

// withoutEmptyQuery returns r without its empty query values, so that
// validation and handlers see them as absent.
func withoutEmptyQuery(r *http.Request) *http.Request {
	if !strings.Contains(r.URL.RawQuery, "=&") && !strings.HasSuffix(r.URL.RawQuery, "=") {
		return r
	}
	q := r.URL.Query()
	for k, vs := range q {
		kept := vs[:0]
		for _, v := range vs {
			if v != "" {
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			delete(q, k)
		} else {
			q[k] = kept
		}
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	r2 := r.Clone(r.Context())
	r2.URL = &u
	return r2
}
