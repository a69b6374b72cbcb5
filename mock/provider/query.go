package provider

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock/openapi"
)

// Values is what the query readers below need of a query: url.Values, or
// a Query.
type Values interface{ Get(name string) string }

// Query is a raw query (a URL's RawQuery) read without parsing the whole of
// it into a map: a GET reads one or two parameters of a query that the
// validation has filled with the document's defaults, and the map was a
// tenth of agentmock's own work on a Diga GET.
type Query string

// Get is url.ParseQuery(q).Get(name). Pairs ParseQuery refuses (a ';', a
// bad escape) are skipped as it skips them.
func (q Query) Get(name string) string {
	raw := string(q)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err != nil || k != name {
			continue
		}
		if v, err := url.QueryUnescape(value); err == nil {
			return v
		}
	}
	return ""
}

// QueryInt reads an integer query parameter that the request validation has
// already checked, falling back to the document's default.
func QueryInt(route *openapi.Route, q Values, name string, fallback int) int {
	if v := q.Get(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	if p := route.Operation.Parameters.GetByInAndName("query", name); p != nil && p.Schema != nil {
		if d, ok := openapi.Default(p.Schema.Value); ok {
			if f, ok := d.(float64); ok {
				return int(f)
			}
		}
	}
	return fallback
}

// QueryBool reads a boolean query parameter that the request validation has
// already checked: every spelling it accepts (true, 1, True, t, ...) counts.
func QueryBool(q Values, name string) bool {
	b, _ := strconv.ParseBool(q.Get(name))
	return b
}

// QueryString reads a string query parameter with the document's default.
func QueryString(route *openapi.Route, q Values, name, fallback string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	if p := route.Operation.Parameters.GetByInAndName("query", name); p != nil && p.Schema != nil {
		if d, ok := openapi.Default(p.Schema.Value); ok {
			if s, ok := d.(string); ok {
				return s
			}
		}
	}
	return fallback
}

// Capitalized names a resource in prose, first letter up: "Knowledge base".
func Capitalized(resource string) string {
	w := strings.ReplaceAll(resource, "_", " ")
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// PathParam names the operation's last path parameter, whatever the document
// calls it ({id} or {voice_id}).
func PathParam(route *openapi.Route) string {
	path := route.Path
	i := strings.LastIndex(path, "{")
	j := strings.LastIndex(path, "}")
	if i < 0 || j < i {
		return ""
	}
	return path[i+1 : j]
}

func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

// Deleted answers a successful delete with the document's status: 204, or
// the seed era's 200 with FastAPI's serialised None.
func Deleted(route *openapi.Route) Response {
	status := route.SuccessStatus()
	if status == http.StatusNoContent {
		return Response{Status: status}
	}
	return Response{Status: status, Body: json.RawMessage("null")}
}
