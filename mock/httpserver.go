package mock

import (
	"log/slog"
	"net/http"
	"time"
)

// HTTPServer is the http.Server the command serves a provider with: its
// timeouts cut off clients that send headers or bodies too slowly (and
// connections left idle), so that they cannot hold goroutines for ever.
// scale divides every timeout, for tests that must not wait the real ones;
// 1 is the real thing. log may be nil.
func HTTPServer(h http.Handler, log *slog.Logger, scale time.Duration) *http.Server {
	if scale < 1 {
		scale = 1
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second / scale,
		ReadTimeout:       30 * time.Second / scale,
		WriteTimeout:      30 * time.Second / scale,
		IdleTimeout:       2 * time.Minute / scale,
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}
