// Package contracttests checks an HTTP service against an OpenAPI document:
// the black-box suite in its tests, and Run, a generator that reads the
// document and, for every request-body and query constraint, sends the edge
// value (which must be accepted) and the value just past it (which must be
// rejected with an error naming the member). It runs against agentmock or
// against any base URL, the real vendor included.
package contracttests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/agentmock/agentmock/mock"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// Target is what Run checks.
type Target struct {
	BaseURL string
	// Header and Value authenticate: "Authorization" and "Bearer sk-…", or
	// "X-API-Key" and the key.
	Header, Value string
	// Write allows requests that change state (POST, PUT, PATCH). Without
	// it only GET operations are probed, which is what a real service
	// should get unless its owner asks otherwise.
	Write bool
	// PathParams gives values for path parameters, and required query
	// parameters, by name (an agent that
	// exists, "me"); others are generated.
	PathParams map[string]string
	// BaseBodies gives, by operation key ("POST /v1/agent/{}"), a body that
	// the service accepts, for probes to vary one member of.
	BaseBodies map[string]map[string]any
	Client     *http.Client
}

// Check is one probe and its outcome.
type Check struct {
	Operation string // "PATCH /v1/agent/{agent_id}"
	Field     string // "body.max_reminder_count", "query.limit"
	Rule      string // "maximum", "enum", "type", …
	Value     string // the JSON sent
	Accept    bool   // whether the service must accept it
	Status    int
	Passed    bool
	// Inconclusive marks an allowed value refused for a reason the
	// document does not state: a cursor or id that names nothing stored.
	// Neither passed nor failed.
	Inconclusive bool
	Detail       string
}

// Report is what Run found.
type Report struct {
	Checks []Check
}

// Passed, Failed and Inconclusive count the checks.
func (r Report) Passed() int { return r.count(func(c Check) bool { return c.Passed }) }

func (r Report) Failed() int { return len(r.Checks) - r.Passed() - r.Inconclusive() }

// Inconclusive counts the checks that neither passed nor failed.
func (r Report) Inconclusive() int { return r.count(func(c Check) bool { return c.Inconclusive }) }

func (r Report) count(is func(Check) bool) int {
	n := 0
	for _, c := range r.Checks {
		if is(c) {
			n++
		}
	}
	return n
}

// Summary is the one line a run ends with.
func (r Report) Summary() string {
	return fmt.Sprintf("contract checks: %d run, %d passed, %d failed, %d inconclusive", len(r.Checks), r.Passed(), r.Failed(), r.Inconclusive())
}

// probe is a value for one place in a request, and what must happen to it.
type probe struct {
	path []string // the member the probe is about, below body or query
	// set is where value goes, when not path: an array member of the body,
	// for a probe about one of its items.
	set    []string
	rule   string
	value  any
	omit   bool // send the body without this member (required)
	accept bool
	// containers gives, by path ("a.b"), the object to start from where
	// the base body lacks one on the way to path: its required members,
	// so that only the probed member is off.
	containers map[string]map[string]any
}

// Run generates the probes from the document and sends them.
func Run(ctx context.Context, spec *openapi.Spec, t Target) (Report, error) {
	if t.Client == nil {
		t.Client = http.DefaultClient
	}
	var rep Report
	for _, op := range spec.Operations() {
		if op.Method != http.MethodGet && !t.Write {
			continue
		}
		if op.Method == http.MethodDelete {
			continue // a probe must never destroy what it checks against
		}
		path := fillPath(spec, op, t.PathParams)
		for _, p := range spec.Parameters(op) {
			if p.In != "query" || p.Schema == nil {
				continue
			}
			for _, pr := range queryProbes(p.Schema.Value) {
				if pr.omit || pr.value == nil {
					continue
				}
				q := requiredQuery(spec, op, t.PathParams, p.Name)
				q[p.Name] = queryValues(pr.value)
				c, err := t.send(ctx, op, path+"?"+q.Encode(), nil)
				if err != nil {
					return rep, err
				}
				rep.Checks = append(rep.Checks, c.judge("query."+p.Name, pr))
			}
		}
		sch := openapi.RequestSchema(op.Operation)
		if sch == nil || op.Method == http.MethodGet {
			continue
		}
		patch := op.Method == http.MethodPatch
		base := t.BaseBodies[op.Key]
		if base == nil {
			base = requiredBody(sch)
		}
		for _, pr := range probes(sch, nil, patch, true) {
			body := withValue(base, pr)
			c, err := t.send(ctx, op, path, body)
			if err != nil {
				return rep, err
			}
			rep.Checks = append(rep.Checks, c.judge("body."+strings.Join(pr.path, "."), pr))
		}
	}
	return rep, nil
}

// fillPath puts known or generated values into an operation's path.
func fillPath(spec *openapi.Spec, op openapi.OperationInfo, known map[string]string) string {
	path, _, _ := openapi.SampleRequest(spec, op, known)
	return path
}

type outcome struct {
	op       string
	status   int
	named    []string // members the error blames for breaking the document
	semantic []string // members it blames for something else (value_error)
	body     string
}

func (t Target) send(ctx context.Context, op openapi.OperationInfo, path string, body any) (outcome, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return outcome{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, strings.TrimSuffix(t.BaseURL, "/")+path, rd)
	if err != nil {
		return outcome{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.Header != "" {
		req.Header.Set(t.Header, t.Value)
	}
	// Against agentmock, the journal marks these as probes, so that their
	// deliberate violations stay out of a suite's invalid count.
	req.Header.Set(mock.ProbeHeader, "contract")
	res, err := t.Client.Do(req)
	if err != nil {
		return outcome{}, fmt.Errorf("%s %s: %w", op.Method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	named, semantic := namedFields(data)
	return outcome{op: op.Method + " " + op.Path, status: res.StatusCode, named: named, semantic: semantic, body: string(data)}, nil
}

// namedFields reads the members an error body blames, in either vendor's
// shape: FastAPI's detail[].loc, or itellico's errors[].field. pydantic's
// value_error (checks beyond the schema, such as a reference to nothing) is
// returned apart, in semantic.
func namedFields(data []byte) (named, semantic []string) {
	var body struct {
		Detail []struct {
			Loc  []any  `json:"loc"`
			Type string `json:"type"`
		} `json:"detail"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) != nil {
		return nil, nil
	}
	var out []string
	for _, d := range body.Detail {
		if d.Type == "value_error" {
			semantic = append(semantic, locPath(d.Loc))
			continue
		}
		out = append(out, locPath(d.Loc))
	}
	for _, e := range body.Errors {
		out = append(out, e.Field)
	}
	// Where a document declares Diga's custom body for a 422, agentmock
	// names each field in the message: "query.limit: ...; body.name: ...".
	if body.Code == "VALIDATION_ERROR" {
		for _, part := range strings.Split(body.Message, "; ") {
			if field, _, ok := strings.Cut(part, ": "); ok {
				out = append(out, field)
			}
		}
	}
	return out, semantic
}

// locPath joins a FastAPI loc, ["body","items",0], as "body.items.0".
func locPath(loc []any) string {
	parts := make([]string, len(loc))
	for i, p := range loc {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

func (o outcome) judge(field string, pr probe) Check {
	value := "(absent)"
	if !pr.omit {
		data, _ := json.Marshal(pr.value)
		value = string(data)
	}
	c := Check{Operation: o.op, Field: field, Rule: pr.rule, Value: value, Accept: pr.accept, Status: o.status}
	names := func(list []string) bool {
		return slices.ContainsFunc(list, func(n string) bool { return n == field || strings.HasPrefix(n, field+".") })
	}
	blamed := names(o.named)
	switch {
	case o.status >= 500:
		c.Detail = "server error: " + truncate(o.body)
	case pr.accept && blamed:
		c.Detail = "rejected a value the document allows: " + truncate(o.body)
	case pr.accept && (o.status < 300 || names(o.semantic)):
		// Accepted; or the document's checks passed and the value itself
		// was refused for naming nothing that exists (a reference's id).
		c.Passed = true
	case pr.accept && len(o.named) == 0 && o.status < 500:
		c.Inconclusive = true
		c.Detail = fmt.Sprintf("refused with no violation of the document (a cursor or id naming nothing?): %d %s", o.status, truncate(o.body))
	case pr.accept:
		c.Detail = fmt.Sprintf("refused for other members than %s: %d %s", field, o.status, truncate(o.body))
	case (o.status == 400 || o.status == 422) && blamed:
		c.Passed = true
	default:
		c.Detail = fmt.Sprintf("accepted, or rejected without naming %s: %d %s", field, o.status, truncate(o.body))
	}
	return c
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// probes lists the edge values of a schema and the values just past them,
// recursing into objects and array items. In a merge patch (patch) null
// removes a member, so nullability is not probed there.
func probes(sch *openapi3.Schema, path []string, patch, body bool) []probe {
	return probesIn(sch, path, patch, body, map[*openapi3.Schema]bool{})
}

// probesIn keeps the schemas being walked in open, because vendor documents
// hold recursive schemas (a tool whose parameters hold tools) and a
// recursive schema's edges are already probed at its first level.
func probesIn(sch *openapi3.Schema, path []string, patch, body bool, open map[*openapi3.Schema]bool) []probe {
	if sch == nil || open[sch] {
		return nil
	}
	open[sch] = true
	defer delete(open, sch)
	nullable := openapi.Nullable(sch)
	v := openapi.View(sch)
	if v == nil || (v.Type == nil && len(v.Properties) == 0) {
		return nil // free-form, or a union: its variants have their own tests
	}
	at := func(rule string, value any, accept bool) probe {
		return probe{path: path, rule: rule, value: value, accept: accept}
	}
	var out []probe
	typ := ""
	for _, t := range *typesOf(v) {
		if t != "null" {
			typ = t
			break
		}
	}
	if len(path) > 0 {
		out = append(out, at("type", wrongType(typ), false))
		if body && !patch {
			out = append(out, at("nullable", nil, nullable))
		}
	}
	for i, e := range v.Enum {
		if e != nil && (i == 0 || i == len(v.Enum)-1) {
			out = append(out, at("enum", e, true))
		}
	}
	if len(v.Enum) > 0 && typ == "string" {
		out = append(out, at("enum", "not-one-of-the-values", false))
	}
	step := 1.0
	if typ == "number" {
		step = 0.001
	}
	if v.Min != nil {
		edge := *v.Min
		if v.ExclusiveMin.IsTrue() {
			out = append(out, at("exclusiveMinimum", num(edge, typ), false), at("exclusiveMinimum", num(edge+step, typ), true))
		} else {
			out = append(out, at("minimum", num(edge, typ), true), at("minimum", num(edge-step, typ), false))
		}
	}
	if v.Max != nil {
		edge := *v.Max
		if v.ExclusiveMax.IsTrue() {
			out = append(out, at("exclusiveMaximum", num(edge, typ), false), at("exclusiveMaximum", num(edge-step, typ), true))
		} else {
			out = append(out, at("maximum", num(edge, typ), true), at("maximum", num(edge+step, typ), false))
		}
	}
	if v.ExclusiveMin.Value != nil {
		out = append(out, at("exclusiveMinimum", num(*v.ExclusiveMin.Value, typ), false), at("exclusiveMinimum", num(*v.ExclusiveMin.Value+step, typ), true))
	}
	if v.ExclusiveMax.Value != nil {
		out = append(out, at("exclusiveMaximum", num(*v.ExclusiveMax.Value, typ), false), at("exclusiveMaximum", num(*v.ExclusiveMax.Value-step, typ), true))
	}
	if typ == "string" && len(v.Enum) == 0 {
		// A length's edge is a run of letters, which a formatted string
		// (a URL, a UUID) is not: its length goes unprobed, its format not.
		lengths := v.Format == "" || v.Format == "password" || v.Format == "byte"
		if v.MaxLength != nil && lengths {
			n := int(*v.MaxLength)
			out = append(out, at("maxLength", strings.Repeat("a", n), true), at("maxLength", strings.Repeat("a", n+1), false))
		}
		if v.MinLength > 0 && lengths {
			n := int(v.MinLength)
			out = append(out, at("minLength", strings.Repeat("a", n), true), at("minLength", strings.Repeat("a", n-1), false))
		}
		switch v.Format {
		case "uuid", "uuid4":
			out = append(out, at("format", "3c90c3cc-0d44-4b50-8888-8dd25736052a", true), at("format", "not-a-uuid", false))
		case "date-time":
			out = append(out, at("format", "2025-01-01T00:00:00Z", true), at("format", "2025-13-01 25:00", false))
		case "uri", "url":
			out = append(out, at("format", "https://hooks.example.com/agentmock", true), at("format", "not a url", false))
		}
	}
	if typ == "array" && v.Items != nil {
		itemSchema := v.Items.Value
		item := openapi.Generate(itemSchema, rand.New(rand.NewPCG(3, 4)))
		if v.MaxItems != nil {
			n := int(*v.MaxItems)
			out = append(out, at("maxItems", repeat(item, n), true), at("maxItems", repeat(item, n+1), false))
		}
		if v.MinItems > 0 {
			n := int(v.MinItems)
			out = append(out, at("minItems", repeat(item, n), true), at("minItems", repeat(item, n-1), false))
		}
		// Probe the first item: the array holds one valid item with one
		// member changed.
		for _, ip := range probesIn(itemSchema, nil, patch, body, open) {
			if ip.rule == "nullable" {
				continue
			}
			var value any
			if len(ip.path) == 0 {
				value = ip.value
			} else {
				base, _ := item.(map[string]any)
				value = withValue(base, ip)
			}
			out = append(out, probe{
				path:   append(append(slices.Clip(path), "0"), ip.path...),
				set:    path,
				rule:   ip.rule,
				value:  []any{value},
				accept: ip.accept,
			})
		}
	}
	if typ == "object" || len(v.Properties) > 0 {
		for _, name := range sortedNames(v.Properties) {
			child := append(slices.Clip(path), name)
			if body && !patch && slices.Contains(v.Required, name) {
				out = append(out, probe{path: child, rule: "required", omit: true, accept: false})
			}
			nested := probesIn(v.Properties[name].Value, child, patch, body, open)
			if cv := openapi.View(v.Properties[name].Value); cv != nil && len(cv.Properties) > 0 {
				container := requiredBody(cv)
				for i := range nested {
					if len(nested[i].path) > len(child) {
						if nested[i].containers == nil {
							nested[i].containers = map[string]map[string]any{}
						}
						nested[i].containers[strings.Join(child, ".")] = container
					}
				}
			}
			out = append(out, nested...)
		}
	}
	return out
}

// requiredQuery gives the operation's required query parameters but one
// (the probed one) the value params names, so that a probe of another
// parameter is judged on that parameter alone.
func requiredQuery(spec *openapi.Spec, op openapi.OperationInfo, params map[string]string, except string) url.Values {
	q := url.Values{}
	for _, p := range spec.Parameters(op) {
		if p.In == "query" && p.Required && p.Name != except {
			if v, ok := params[p.Name]; ok {
				q.Set(p.Name, v)
			}
		}
	}
	return q
}

// queryProbes are a query parameter's probes: its schema's, and a value of
// the wrong type where text can be one (any text is a string).
func queryProbes(sch *openapi3.Schema) []probe {
	out := probes(sch, nil, false, false)
	if v := openapi.View(sch); v != nil {
		for _, t := range *typesOf(v) {
			if t == "integer" || t == "number" || t == "boolean" {
				out = append(out, probe{rule: "type", value: wrongType(t), accept: false})
				break
			}
		}
	}
	return out
}

func typesOf(s *openapi3.Schema) *openapi3.Types {
	if s.Type == nil {
		if len(s.Properties) > 0 {
			return &openapi3.Types{"object"}
		}
		return &openapi3.Types{}
	}
	return s.Type
}

func wrongType(typ string) any {
	if typ == "string" {
		return 12345
	}
	return "not-a-" + typ
}

func num(f float64, typ string) any {
	if typ == "integer" {
		return int64(math.Round(f))
	}
	return f
}

func repeat(v any, n int) []any {
	out := make([]any, max(n, 0))
	for i := range out {
		out[i] = v
	}
	return out
}

// queryValues encodes a value the way OpenAPI's default query style (form,
// exploded) does: an array is the parameter repeated.
func queryValues(v any) []string {
	if items, ok := v.([]any); ok {
		out := make([]string, 0, len(items))
		for _, item := range items {
			out = append(out, queryValues(item)...)
		}
		return out
	}
	if s, ok := v.(string); ok {
		return []string{s}
	}
	data, _ := json.Marshal(v)
	return []string{string(data)}
}

func sortedNames(m openapi3.Schemas) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// requiredBody generates a body with only the members the schema requires.
func requiredBody(sch *openapi3.Schema) map[string]any {
	full, _ := openapi.Generate(sch, rand.New(rand.NewPCG(5, 6))).(map[string]any)
	v := openapi.View(sch)
	out := map[string]any{}
	if v == nil {
		return out
	}
	for _, name := range v.Required {
		if val, ok := full[name]; ok {
			out[name] = val
		}
	}
	return out
}

// withValue copies base and sets (or, for omit, deletes) the probe's member.
func withValue(base map[string]any, pr probe) map[string]any {
	body, _ := openapi.Clone(base).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	at := pr.path
	if pr.set != nil {
		at = pr.set
	}
	cur := body
	for i, key := range at {
		if i < len(at)-1 {
			next, ok := cur[key].(map[string]any)
			if !ok {
				next, _ = openapi.Clone(pr.containers[strings.Join(at[:i+1], ".")]).(map[string]any)
				if next == nil {
					next = map[string]any{}
				}
				cur[key] = next
			}
			cur = next
			continue
		}
		if pr.omit {
			delete(cur, key)
		} else {
			cur[key] = pr.value
		}
	}
	return body
}
