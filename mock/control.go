package mock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock"
	"github.com/agentmock/agentmock/mock/delivery"
	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/mock/provider/pydantic"
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

func (c *control) Name() string                          { return "control" }
func (c *control) ErrorSchema() string                   { return "Error" }
func (c *control) RedirectSlashes() bool                 { return false }
func (c *control) EmptyQueryIsNull() bool                { return false }
func (c *control) Collections() []string                 { return nil }
func (c *control) Seed(*store.Tx, provider.Engine) error { return nil }
func (c *control) Authenticate(*http.Request) (provider.Principal, bool) {
	return provider.Principal{}, true
}
func (c *control) Rules() resources.Rules          { return resources.Rules{} }
func (c *control) Credential(*http.Request) string { return "" }

func (c *control) Describe(v agentmock.Violation) string { return pydantic.Message(v) }
func (c *control) Missing(_, id string) *provider.Error {
	return provider.NotFound("", id+" not found")
}
func (c *control) Scope(context.Context, provider.Principal, *openapi.Route) (string, error) {
	return "", nil
}

func (c *control) Render(e *provider.Error) map[string]any {
	code := e.Code
	if code == "" {
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(e.Status), " ", "_"))
	}
	if len(e.Violations) > 0 {
		code = "validation_error"
	}
	return provider.CodeMessageBody(code, e)
}

func (c *control) Malformed(err error) *provider.Error {
	return &provider.Error{Status: http.StatusBadRequest, Message: "Malformed JSON body: " + err.Error()}
}

func (c *control) Handlers(provider.Engine) map[string]provider.Handler {
	return map[string]provider.Handler{
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

		"POST /_mock/calls/inbound":           c.inbound,
		"POST /_mock/calls/{}":                c.steer,
		"GET /_mock/deliveries":               c.deliveries,
		"POST /_mock/deliveries/{}/redeliver": c.redeliver,
		"POST /_mock/webhooks/{}/rotate":      c.rotate,
	}
}

func (c *control) inbound(req *provider.Request) (provider.Response, error) {
	var call struct {
		To   string `json:"to_number"`
		From string `json:"from_number"`
	}
	if err := json.Unmarshal(req.Raw, &call); err != nil {
		return provider.Response{}, c.Malformed(err)
	}
	tenant, id, err := c.p.inbound(req.Ctx, call.To, call.From)
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusCreated, Body: c.callBody(req, tenant, id)}, nil
}

func (c *control) steer(req *provider.Request) (provider.Response, error) {
	var change struct {
		Status  string `json:"status"`
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(req.Raw, &change); err != nil {
		return provider.Response{}, c.Malformed(err)
	}
	if change.Status == "" && change.Outcome == "" {
		return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: "give the call's next status or its outcome"}
	}
	id := req.Route.PathParams["id"]
	tenant, err := c.p.steer(req.Ctx, id, change.Status, change.Outcome)
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: c.callBody(req, tenant, id)}, nil
}

// callBody is a simulated call as the control API shows it.
func (c *control) callBody(req *provider.Request, tenant, id string) map[string]any {
	status := ""
	_ = c.p.store.View(req.Ctx, func(tx *store.Tx) error {
		for _, coll := range c.p.collections() {
			if rec, err := tx.Get(coll, tenant, id); err == nil {
				if doc, err := record(rec.Doc); err == nil {
					status, _ = doc["status"].(string)
				}
				return nil
			}
		}
		return nil
	})
	return map[string]any{"id": id, "tenant": tenant, "status": status}
}

func (c *control) deliveries(req *provider.Request) (provider.Response, error) {
	items := []any{}
	if d := c.p.deliveries; d != nil {
		q := req.HTTP.URL.Query()
		list, err := d.List(req.Ctx, delivery.Filter{State: delivery.State(q.Get("state")), Event: q.Get("event"),
			Webhook: q.Get("webhook_id"), Subject: q.Get("subject")})
		if err != nil {
			return provider.Response{}, err
		}
		for _, del := range list {
			items = append(items, plain(del))
		}
	}
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"items": items}}, nil
}

func (c *control) redeliver(req *provider.Request) (provider.Response, error) {
	id := req.Route.PathParams["id"]
	if c.p.deliveries == nil {
		return provider.Response{}, &provider.Error{Status: http.StatusNotFound, Message: "no delivery " + id}
	}
	del, err := c.p.deliveries.Redeliver(req.Ctx, id)
	if errors.Is(err, delivery.ErrNotFound) {
		return provider.Response{}, &provider.Error{Status: http.StatusNotFound, Message: "no delivery " + id}
	}
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: plain(del)}, nil
}

func (c *control) rotate(req *provider.Request) (provider.Response, error) {
	id := req.Route.PathParams["id"]
	secret, err := c.p.rotateSecret(req.Ctx, id)
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"id": id, "secret": secret}}, nil
}

func (c *control) health(req *provider.Request) (provider.Response, error) {
	// A Server exists only once its document is loaded; the database is
	// checked here.
	if err := c.p.store.View(req.Ctx, func(*store.Tx) error { return nil }); err != nil {
		return provider.Response{}, &provider.Error{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: err.Error()}
	}
	info := c.p.spec.Doc.Info
	return provider.Response{Status: http.StatusOK, Body: map[string]any{
		"status": "ready", "provider": c.p.prov.Name(),
		"document": map[string]any{"title": info.Title, "version": info.Version, "openapi": c.p.spec.Doc.OpenAPI},
	}}, nil
}

func (c *control) operations(*provider.Request) (provider.Response, error) {
	ops := c.p.Operations()
	return provider.Response{Status: http.StatusOK, Body: map[string]any{
		"provider": c.p.prov.Name(), "operations": ops, "stateful": Stateful(ops), "total": len(ops),
	}}, nil
}

func (c *control) document(*provider.Request) (provider.Response, error) {
	data, err := c.p.spec.JSON()
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: json.RawMessage(data)}, nil
}

// Reset puts the provider's collections back to the fixtures in one
// transaction, and forgets the journal and the fault rules.
func (c *control) reset(req *provider.Request) (provider.Response, error) {
	start := time.Now()
	if err := c.p.resetData(req.Ctx); err != nil {
		return provider.Response{}, err
	}
	c.p.journal.clear()
	c.p.faults.clear()
	c.p.cfg.Clock.Restore()
	took := float64(time.Since(start).Microseconds()) / 1000
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"status": "reset", "took_ms": took}}, nil
}

// resetData puts the provider's collections back to the fixtures, in one
// transaction.
func (s *Server) resetData(ctx context.Context) error {
	defer s.setNextDue(time.Time{}, true) // the steps changed: list them again
	return s.store.Write(ctx, func(tx *store.Tx) error {
		for _, coll := range s.collections() {
			if err := tx.DeleteCollection(coll); err != nil {
				return err
			}
		}
		return s.prov.Seed(tx, s)
	})
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

func (c *control) state(req *provider.Request) (provider.Response, error) {
	snap := map[string]any{}
	err := c.p.store.View(req.Ctx, func(tx *store.Tx) error {
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
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"provider": c.p.prov.Name(), "collections": snap}}, nil
}

// restore replaces the provider's data with a snapshot from state. The raw
// bytes are decoded again so that stored documents keep their key order.
func (c *control) restore(req *provider.Request) (provider.Response, error) {
	defer c.p.setNextDue(time.Time{}, true) // the steps changed: list them again
	defer c.p.wake()
	var snap snapshot
	if err := json.Unmarshal(req.Raw, &snap); err != nil {
		return provider.Response{}, c.Malformed(err)
	}
	if snap.Provider != c.p.prov.Name() {
		return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("This is the %s port; the snapshot is of %s", c.p.prov.Name(), snap.Provider)}
	}
	known := map[string]bool{}
	for _, coll := range c.p.collections() {
		known[coll] = true
	}
	for coll := range snap.Collections {
		if !known[coll] {
			return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("Unknown collection %q", coll)}
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
	err := c.p.store.Write(req.Ctx, func(tx *store.Tx) error {
		for _, coll := range c.p.collections() {
			if err := tx.Load(coll, loads[coll]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return provider.Response{}, err
	}
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"status": "restored", "records": n}}, nil
}

func journalFilter(req *provider.Request) filter {
	q := req.HTTP.URL.Query()
	f := filter{method: q.Get("method"), path: q.Get("path"), operation: q.Get("operation")}
	f.status, _ = strconv.Atoi(q.Get("status"))
	if v := q.Get("invalid"); v != "" {
		b := provider.QueryBool(q, "invalid")
		f.invalid = &b
	}
	f.probes = provider.QueryBool(q, "probes")
	if v := q.Get("warnings"); v != "" {
		b := provider.QueryBool(q, "warnings")
		f.warned = &b
	}
	return f
}

func (c *control) requests(req *provider.Request) (provider.Response, error) {
	count, items := c.p.journal.query(journalFilter(req), provider.QueryInt(req.Route, req.HTTP.URL.Query(), "limit", 100))
	if req.HTTP.URL.Query().Get("order") == "asc" {
		slices.Reverse(items)
	}
	out := make([]any, len(items))
	for i := range items {
		out[i] = items[i]
	}
	return provider.Response{Status: http.StatusOK, Body: plain(map[string]any{"count": count, "items": out})}, nil
}

func (c *control) count(req *provider.Request) (provider.Response, error) {
	count, _ := c.p.journal.query(journalFilter(req), 1)
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"count": count}}, nil
}

func (c *control) clearRequests(*provider.Request) (provider.Response, error) {
	c.p.journal.clear()
	return provider.Response{Status: http.StatusNoContent}, nil
}

func (c *control) addFault(req *provider.Request) (provider.Response, error) {
	var fr faultRule
	if err := json.Unmarshal(req.Raw, &fr); err != nil {
		return provider.Response{}, c.Malformed(err)
	}
	if fr.Status == 0 && fr.RetryAfterSeconds == nil && fr.DelayMS == 0 && fr.DelayMaxMS == 0 && fr.Fault == "" {
		return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: "A fault rule must do something: set status, retry_after_seconds, delay_ms or fault"}
	}
	if fr.DelayMaxMS > 0 && fr.DelayMaxMS < fr.DelayMS {
		return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: "delay_max_ms must not be below delay_ms"}
	}
	return provider.Response{Status: http.StatusCreated, Body: plain(c.p.faults.add(fr))}, nil
}

func (c *control) listFaults(*provider.Request) (provider.Response, error) {
	rules := c.p.faults.list()
	items := make([]any, len(rules))
	for i, r := range rules {
		items[i] = plain(r)
	}
	return provider.Response{Status: http.StatusOK, Body: map[string]any{"items": items}}, nil
}

func (c *control) clearFaults(*provider.Request) (provider.Response, error) {
	c.p.faults.clear()
	return provider.Response{Status: http.StatusNoContent}, nil
}

func (c *control) clock(*provider.Request) (provider.Response, error) {
	return provider.Response{Status: http.StatusOK, Body: c.clockBody()}, nil
}

func (c *control) clockBody() map[string]any {
	at, fixed := c.p.cfg.Clock.Fixed()
	if !fixed {
		at = time.Now()
	}
	return map[string]any{"time": provider.Timestamp(at), "fixed": fixed}
}

func (c *control) setClock(req *provider.Request) (provider.Response, error) {
	var change struct {
		Time    *time.Time `json:"time"`
		Advance string     `json:"advance"`
		Real    bool       `json:"real"`
	}
	if err := json.Unmarshal(req.Raw, &change); err != nil {
		return provider.Response{}, c.Malformed(err)
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
			return provider.Response{}, &provider.Error{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("advance must be a non-negative Go duration such as 90s or 24h, not %q", change.Advance)}
		}
		clock.Advance(d)
	}
	// What the clock made due happens before the answer, so that a test
	// that advances it reads the records moved.
	if _, err := c.p.sweep(req.Ctx); err != nil {
		return provider.Response{}, err
	}
	c.p.wake()
	return provider.Response{Status: http.StatusOK, Body: c.clockBody()}, nil
}

// plain turns a Go value into the decoded-JSON form the encoder walks.
func plain(v any) any {
	data, _ := json.Marshal(v)
	out, _ := provider.DecodeJSON(data)
	return out
}
