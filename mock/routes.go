package mock

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes wires the whole request path. The control API has a server of
// its own under /_mock/, and /_mock/ itself is the page that shows it.
// Every other call goes through, in order:
//
//	journal  the call, its answer and its violations are recorded
//	recover  a panic is the provider's 500, logged with its stack
//	route    the document itself names the operation (openapi's router, compiled from its paths)
//	faults   a fault rule may delay, break or answer the call instead
//	gate     list pages wait for one of a few slots
//	handle   authenticate, scope, validate, serve, write, check
//
// echo.Context stops at this edge: serve and the handlers see a
// provider.Request.
func (s *Server) routes() {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.echoError
	recovered := middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic while serving", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	})
	if s.control != nil {
		e.GET("/_mock/", chain(s.page, recovered))
		e.GET("/_mock", chain(func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/_mock/") }, recovered))
		e.Any("/_mock/*", chain(echo.WrapHandler(s.control), recovered))
	}
	var steps []echo.MiddlewareFunc
	if s.journal != nil {
		steps = append(steps, s.journaled)
	}
	// Inside the journal, so that a panic's 500 is journaled like any answer.
	steps = append(steps, recovered, s.routed)
	if s.faults != nil {
		steps = append(steps, s.faulted)
	}
	if s.cfg.Pages != nil {
		steps = append(steps, s.gated)
	}
	api := chain(s.handle, steps...)
	e.Any("/*", api)
	e.Any("/", api)
	s.echo = e
}

// chain wraps h in the middleware, the first outermost. The chains are made
// once, here: echo's Use and Group.Use apply their middleware on every
// request, making each step's closure anew, five allocations a request.
func chain(h echo.HandlerFunc, middleware ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}

// journaled records every call with its answer. It writes an error the
// chain returns itself, so that the entry holds the answer as sent.
func (s *Server) journaled(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		// One allocation for the three, which live as long as each other.
		x := &struct {
			trace
			recorder
			cappedBody
		}{recorder: recorder{ResponseWriter: c.Response().Writer}, cappedBody: cappedBody{r: r.Body, c: r.Body}}
		tr, rec, body := &x.trace, &x.recorder, &x.cappedBody
		if r.Body != http.NoBody {
			// net/http gives a request without a body NoBody, which
			// readBody then need not read.
			r.Body = body
		}
		r = r.WithContext(context.WithValue(r.Context(), traceKey{}, tr))
		c.SetRequest(r)
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		e := entry{
			at:           start,
			Method:       r.Method,
			Path:         r.URL.Path,
			Query:        r.URL.RawQuery,
			Status:       rec.status,
			LatencyMS:    float64(time.Since(start).Microseconds()) / 1000,
			Valid:        len(tr.violations) == 0,
			Violations:   []violationOut{},
			header:       r.Header,
			RequestBody:  string(body.kept),
			ResponseBody: rec.text(),
			Truncated:    body.more || rec.truncated,
			Fault:        tr.fault,
			Nearest:      tr.nearest,
			Probe:        r.Header.Get(ProbeHeader) != "",
		}
		if tr.route != nil {
			e.OperationID, e.PathTemplate = tr.route.Operation.OperationID, tr.route.Path
		}
		for _, v := range tr.violations {
			e.Violations = append(e.Violations, violationOut{Field: v.Field(), Message: s.prov.Describe(v), Type: v.Kind})
		}
		e.Warnings = []violationOut{}
		for _, v := range tr.warnings {
			e.Warnings = append(e.Warnings, violationOut{Field: v.Field(), Message: s.prov.Describe(v) + "; dropped", Type: v.Kind})
		}
		s.journal.add(e)
		return nil
	}
}

// routed finds the operation by the document, or says why there is none.
func (s *Server) routed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		tr, ok := r.Context().Value(traceKey{}).(*trace)
		if !ok {
			tr = &trace{}
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), traceKey{}, tr)))
		}
		tr.route, tr.routeErr = s.spec.FindRoute(r)
		return next(c)
	}
}

// faulted lets a matching fault rule delay the call, break its connection
// or answer it instead.
func (s *Server) faulted(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		tr := traceOf(r)
		fi := s.faults.fire(r, tr.route)
		if fi == nil {
			return next(c)
		}
		tr.fault = fi.rule
		// Say so, for whoever wonders where an error came from.
		c.Response().Header().Set("X-Agentmock-Fault", fi.rule)
		wait(r.Context(), fi.delay)
		if fi.fault != "" {
			return breakConnection(c.Response().Writer, fi.fault)
		}
		if fi.err != nil {
			fi.err.Forced = true
			return s.writeError(c, tr.route, fi.err)
		}
		return next(c)
	}
}

// gated holds a list page until one of the gate's slots is free.
func (s *Server) gated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tr := traceOf(c.Request())
		if tr.route == nil || !s.pages[tr.route.Key] {
			return next(c)
		}
		if !s.cfg.Pages.enter(c.Request().Context()) {
			return nil // the client has gone; the journal records status 0
		}
		defer s.cfg.Pages.leave()
		return next(c)
	}
}

// echoError renders errors that escape the pipeline (a recovered panic, an
// echo-level failure) as the provider's 500, never as echo's own body.
func (s *Server) echoError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	if he, ok := err.(*echo.HTTPError); ok && he.Code < 500 {
		status = he.Code
	}
	s.log.Error("request failed outside the pipeline", "err", err)
	_ = s.send(c, nil, status, s.errorBody(provider.Fail(status, fmt.Sprint(http.StatusText(status)))), true)
}
