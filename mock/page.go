package mock

import (
	"embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// pageFiles holds the page GET /_mock/ serves: plain HTML with a little
// JavaScript that reads this port's control API, embedded so that nothing
// is built or fetched from outside.
//
//go:embed page/index.html
var pageFiles embed.FS

// page serves the journal, fault rules and clock of this port, live.
func (s *Server) page(c echo.Context) error {
	data, err := pageFiles.ReadFile("page/index.html")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return Blob(c, http.StatusOK, "text/html; charset=utf-8", data)
}
