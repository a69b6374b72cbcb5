package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/agentmock/agentmock/store"
)

// control is agentmock's own API under /_mock/ on a provider's port. It is
// a provider of the same engine, so its calls are validated against its own
// document (openapi/control.yaml) and its responses checked like any other.
type control struct {
	p *Server // the provider it controls
}

func (c *control) Name() string                                    { return "control" }
func (c *control) ErrorSchema() string                             { return "Error" }
func (c *control) RedirectSlashes() bool                           { return false }
func (c *control) EmptyQueryIsNull() bool                          { return false }
func (c *control) Collections() []string                           { return nil }
func (c *control) Seed(*store.Tx, *Server) error                   { return nil }
func (c *control) Authenticate(*http.Request) (principal, bool)    { return principal{}, true }
func (c *control) Rules() resources.Rules                          { return resources.Rules{} }
func (c *control) Credential(*http.Request) string                 { return "" }
func (c *control) Missing(_, id string) *apiError                  { return notFound("", id+" not found") }
func (c *control) Scope(principal, *openapi.Route) (string, error) { return "", nil }

func (c *control) Render(e *apiError) map[string]any {
	code := e.Code
	if code == "" {
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(e.Status), " ", "_"))
	}
	if len(e.Violations) > 0 {
		code = "validation_error"
	}
	return codeMessageBody(code, e)
}

func (c *control) Malformed(err error) *apiError {
	return &apiError{Status: http.StatusBadRequest, Message: "Malformed JSON body: " + err.Error()}
}

func (c *control) Handlers(*Server) map[string]handlerFunc {
	return map[string]handlerFunc{
		"GET /_mock/health":         c.health,
		"GET /_mock/operations":     c.operations,
		"GET /_mock/openapi.json":   c.document,
		"POST /_mock/reset":         c.reset,
		"GET /_mock/state":          c.state,
		"PUT /_mock/state":          c.restore,
		"GET /_mock/requests":       c.requests,
		"GET /_mock/requests/count": c.count,
		"DELETE /_mock/requests":    c.clearRequests,
		"POST /_mock/faults":        c.addFault,
		"GET /_mock/faults":         c.listFaults,
		"DELETE /_mock/faults":      c.clearFaults,
		"GET /_mock/clock":          c.clock,
		"POST /_mock/clock":         c.setClock,
	}
}

func (c *control) health(req *request) (response, error) {
	// A Server exists only once its document is loaded; the database is
	// checked here.
	if err := c.p.store.View(req.ctx, func(*store.Tx) error { return nil }); err != nil {
		return response{}, &apiError{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: err.Error()}
	}
	info := c.p.spec.Doc.Info
	return response{status: http.StatusOK, body: map[string]any{
		"status": "ready", "provider": c.p.prov.Name(),
		"document": map[string]any{"title": info.Title, "version": info.Version, "openapi": c.p.spec.Doc.OpenAPI},
	}}, nil
}

func (c *control) operations(*request) (response, error) {
	ops := c.p.Operations()
	return response{status: http.StatusOK, body: map[string]any{
		"provider": c.p.prov.Name(), "operations": ops, "stateful": Stateful(ops), "total": len(ops),
	}}, nil
}

func (c *control) document(*request) (response, error) {
	data, err := c.p.spec.JSON()
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: json.RawMessage(data)}, nil
}

// Reset puts the provider's collections back to the fixtures in one
// transaction, and forgets the journal and the fault rules.
func (c *control) reset(req *request) (response, error) {
	start := time.Now()
	err := c.p.store.Write(req.ctx, func(tx *store.Tx) error {
		for _, coll := range c.p.collections() {
			if err := tx.DeleteCollection(coll); err != nil {
				return err
			}
		}
		return c.p.prov.Seed(tx, c.p)
	})
	if err != nil {
		return response{}, err
	}
	c.p.journal.clear()
	c.p.faults.clear()
	took := float64(time.Since(start).Microseconds()) / 1000
	return response{status: http.StatusOK, body: map[string]any{"status": "reset", "took_ms": took}}, nil
}

type snapshotRecord struct {
	ID       string          `json:"id"`
	Archived bool            `json:"archived,omitempty"`
	Doc      json.RawMessage `json:"doc"`
}

type snapshot struct {
	Provider    string                                 `json:"provider"`
	Collections map[string]map[string][]snapshotRecord `json:"collections"`
}

func (c *control) state(req *request) (response, error) {
	snap := map[string]any{}
	err := c.p.store.View(req.ctx, func(tx *store.Tx) error {
		for _, coll := range c.p.collections() {
			dump, err := tx.Dump(coll)
			if err != nil {
				return err
			}
			tenants := map[string]any{}
			for tenant, recs := range dump {
				out := make([]any, len(recs))
				for i, r := range recs {
					rec := map[string]any{"id": r.ID, "doc": json.RawMessage(r.Doc)}
					if r.Archived {
						rec["archived"] = true
					}
					out[i] = rec
				}
				tenants[tenant] = out
			}
			snap[coll] = tenants
		}
		return nil
	})
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]any{"provider": c.p.prov.Name(), "collections": snap}}, nil
}

// restore replaces the provider's data with a snapshot from state. The raw
// bytes are decoded again so that stored documents keep their key order.
func (c *control) restore(req *request) (response, error) {
	var snap snapshot
	if err := json.Unmarshal(req.raw, &snap); err != nil {
		return response{}, c.Malformed(err)
	}
	if snap.Provider != c.p.prov.Name() {
		return response{}, &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("This is the %s port; the snapshot is of %s", c.p.prov.Name(), snap.Provider)}
	}
	known := map[string]bool{}
	for _, coll := range c.p.collections() {
		known[coll] = true
	}
	for coll := range snap.Collections {
		if !known[coll] {
			return response{}, &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("Unknown collection %q", coll)}
		}
	}
	// Built before the write: a write function may run more than once.
	n, loads := 0, map[string]map[string][]store.Record{}
	for _, coll := range c.p.collections() {
		tenants := map[string][]store.Record{}
		for tenant, recs := range snap.Collections[coll] {
			for _, r := range recs {
				tenants[tenant] = append(tenants[tenant], store.Record{ID: r.ID, Meta: store.Meta{Archived: r.Archived}, Doc: r.Doc})
				n++
			}
		}
		loads[coll] = tenants
	}
	err := c.p.store.Write(req.ctx, func(tx *store.Tx) error {
		for _, coll := range c.p.collections() {
			if err := tx.Load(coll, loads[coll]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]any{"status": "restored", "records": n}}, nil
}

func journalFilter(req *request) filter {
	q := req.http.URL.Query()
	f := filter{method: q.Get("method"), path: q.Get("path"), operation: q.Get("operation")}
	f.status, _ = strconv.Atoi(q.Get("status"))
	if v := q.Get("invalid"); v != "" {
		b := queryBool(q, "invalid")
		f.invalid = &b
	}
	return f
}

func (c *control) requests(req *request) (response, error) {
	count, items := c.p.journal.query(journalFilter(req), queryInt(req.route, req.http.URL.Query(), "limit", 100))
	out := make([]any, len(items))
	for i := range items {
		out[i] = items[i]
	}
	return response{status: http.StatusOK, body: plain(map[string]any{"count": count, "items": out})}, nil
}

func (c *control) count(req *request) (response, error) {
	count, _ := c.p.journal.query(journalFilter(req), 1)
	return response{status: http.StatusOK, body: map[string]any{"count": count}}, nil
}

func (c *control) clearRequests(*request) (response, error) {
	c.p.journal.clear()
	return response{status: http.StatusNoContent}, nil
}

func (c *control) addFault(req *request) (response, error) {
	var fr faultRule
	if err := json.Unmarshal(req.raw, &fr); err != nil {
		return response{}, c.Malformed(err)
	}
	if fr.Status == 0 && fr.RetryAfterSeconds == nil && fr.DelayMS == 0 && fr.DelayMaxMS == 0 && fr.Fault == "" {
		return response{}, &apiError{Status: http.StatusUnprocessableEntity, Message: "A fault rule must do something: set status, retry_after_seconds, delay_ms or fault"}
	}
	if fr.DelayMaxMS > 0 && fr.DelayMaxMS < fr.DelayMS {
		return response{}, &apiError{Status: http.StatusUnprocessableEntity, Message: "delay_max_ms must not be below delay_ms"}
	}
	return response{status: http.StatusCreated, body: plain(c.p.faults.add(fr))}, nil
}

func (c *control) listFaults(*request) (response, error) {
	rules := c.p.faults.list()
	items := make([]any, len(rules))
	for i, r := range rules {
		items[i] = plain(r)
	}
	return response{status: http.StatusOK, body: map[string]any{"items": items}}, nil
}

func (c *control) clearFaults(*request) (response, error) {
	c.p.faults.clear()
	return response{status: http.StatusNoContent}, nil
}

func (c *control) clock(*request) (response, error) {
	return response{status: http.StatusOK, body: c.clockBody()}, nil
}

func (c *control) clockBody() map[string]any {
	at, fixed := c.p.cfg.Clock.Fixed()
	if !fixed {
		at = time.Now()
	}
	return map[string]any{"time": timestamp(at), "fixed": fixed}
}

func (c *control) setClock(req *request) (response, error) {
	var change struct {
		Time    *time.Time `json:"time"`
		Advance string     `json:"advance"`
		Real    bool       `json:"real"`
	}
	if err := json.Unmarshal(req.raw, &change); err != nil {
		return response{}, c.Malformed(err)
	}
	clock := c.p.cfg.Clock
	switch {
	case change.Real:
		clock.Release()
	case change.Time != nil:
		clock.Set(change.Time.UTC())
	}
	if change.Advance != "" {
		d, err := time.ParseDuration(change.Advance)
		if err != nil || d < 0 {
			return response{}, &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("advance must be a non-negative Go duration such as 90s or 24h, not %q", change.Advance)}
		}
		clock.Advance(d)
	}
	return response{status: http.StatusOK, body: c.clockBody()}, nil
}

// plain turns a Go value into the decoded-JSON form the encoder walks.
func plain(v any) any {
	data, _ := json.Marshal(v)
	out, _ := decodeJSON(data)
	return out
}
