package mock

import (
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes wires the HTTP layer. Every documented call goes through handle,
// which routes by the document itself; echo only adds panic recovery and
// turns its own errors into the provider's shape.
func (s *Server) routes() {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.echoError
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic while serving", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Any("/*", s.handle)
	e.Any("/", s.handle)
	s.echo = e
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
