package diga

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
	"github.com/getkin/kin-openapi/openapi3"
)

// A Diga call moves through the statuses of the document served, on the
// server's clock. The seed-era documents have dialing → in_progress →
// completed | failed | no_answer | transferred; 2026-07-22 has dialing →
// in_queue → in_progress → completed, with the outcome in end_reason.
// Every change is a status_changed event to the project's webhooks.

const (
	collDigaCalls    = "diga/calls"
	collDigaMessages = "diga/call_messages"
	collDigaPhones   = "diga/phones"
	eventStatus      = "status_changed"
	// changesMember counts a stored call's status changes, so that each
	// event about it has its own number. No answer declares it: it is
	// dropped from every answer.
	changesMember = "_agentmock_changes"
)

// Outcomes a call ends with.
const (
	outcomeCompleted   = "completed"
	outcomeFailed      = "failed"
	outcomeNoAnswer    = "no_answer"
	outcomeBusy        = "busy"
	outcomeTransferred = "transferred"
)

// magicNumbers are to_numbers that steer a call, as Twilio's test numbers
// do: README lists them.
var magicNumbers = map[string]string{
	"+34600000001": outcomeNoAnswer,
	"+34600000002": outcomeBusy,
	"+34600000003": outcomeFailed,
	"+34600000004": outcomeTransferred,
}

// callStatuses are the statuses the served document declares for a call.
func callStatuses(spec *openapi.Spec) []string {
	op := spec.Operation("GET /v1/call/{}")
	if op == nil {
		return nil
	}
	return openapi.MemberValues(openapi.ResponseSchema(op.Operation, 200), "status")
}

// Started makes a new call dial, and schedules what follows.
func (d *diga) Started(tx *store.Tx, e provider.Engine, resource, tenant string, doc, body map[string]any) ([]provider.Step, error) {
	if resource != "call" {
		return nil, nil
	}
	id, _ := doc["id"].(string)
	to, _ := body["to_number"].(string) // a document's call need not answer it
	if err := d.callable(tx, e, tenant, to, doc); err != nil {
		return nil, err
	}
	doc["status"], doc["type"] = "dialing", "outbound"
	raw, err := d.putCall(tx, tenant, id, doc)
	if err != nil {
		return nil, err
	}
	at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(doc["created_date"]))
	if at.IsZero() {
		at = e.Now()
	}
	if err := d.emit(tx, e, tenant, id, doc, raw); err != nil {
		return nil, err
	}
	return d.plan(e, tenant, id, at, magicNumbers[to], "p"), nil
}

// plan is a call's steps from dialing, at, ending with outcome ("" for an
// answered call that completes); their ids start with prefix.
func (d *diga) plan(e provider.Engine, tenant, id string, at time.Time, outcome, prefix string) []provider.Step {
	t := e.Calls()
	statuses := callStatuses(e.Spec())
	seq := 0
	step := func(after time.Duration, to, outcome string) provider.Step {
		seq++
		return provider.Step{ID: id + "." + prefix + strconv.Itoa(seq), Tenant: tenant, Record: id, At: at.Add(after), Seq: seq, To: to, Outcome: outcome}
	}
	var out []provider.Step
	switch outcome {
	case outcomeNoAnswer, outcomeBusy, outcomeFailed:
		// Never answered: it ends when the ringing would have.
		return append(out, step(t.Ring, d.terminal(statuses, outcome), outcome))
	}
	if slices.Contains(statuses, "in_queue") {
		out = append(out, step(t.Ring/2, "in_queue", ""))
	}
	out = append(out, step(t.Ring, "in_progress", ""))
	if outcome == "" {
		outcome = outcomeCompleted
	}
	return append(out, step(t.Ring+t.Talk, d.terminal(statuses, outcome), outcome))
}

// terminal is the status a call ends in for an outcome, in the statuses
// the document has: its own where it has one, else completed (2026-07-22
// keeps the outcome in end_reason).
func (d *diga) terminal(statuses []string, outcome string) string {
	if outcome == outcomeBusy {
		outcome = outcomeFailed
	}
	if slices.Contains(statuses, outcome) {
		return outcome
	}
	return outcomeCompleted
}

// Apply moves a call to a step's status, stamping its times and, when it
// ends, its recording and transcript.
func (d *diga) Apply(tx *store.Tx, e provider.Engine, s provider.Step) ([]provider.Step, error) {
	rec, err := tx.Get(collDigaCalls, s.Tenant, s.Record)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	doc, err := provider.DecodeObject(rec.Doc)
	if err != nil {
		return nil, err
	}
	return nil, d.move(tx, e, s.Tenant, s.Record, doc, s.To, s.Outcome, s.At)
}

func (d *diga) move(tx *store.Tx, e provider.Engine, tenant, id string, doc map[string]any, to, outcome string, at time.Time) error {
	doc["status"] = to
	ts := provider.Timestamp(at)
	if to == "in_progress" {
		doc["start_time"] = ts
	}
	if outcome != "" {
		doc["end_time"] = ts
		if start, err := time.Parse(time.RFC3339Nano, fmt.Sprint(doc["start_time"])); err == nil {
			doc["duration"] = int(at.Sub(start).Round(time.Second).Seconds())
			doc["recording_url"] = "https://recordings.agentmock.local/" + id + ".wav"
			if err := d.transcript(tx, e, tenant, id, doc, start, at); err != nil {
				return err
			}
		} else {
			doc["duration"] = 0
		}
		doc["end_reason"] = outcome
	}
	raw, err := d.putCall(tx, tenant, id, doc)
	if err != nil {
		return err
	}
	return d.emit(tx, e, tenant, id, doc, raw)
}

// putCall stores a changed call, counting the change, and returns what it
// stored.
func (d *diga) putCall(tx *store.Tx, tenant, id string, doc map[string]any) ([]byte, error) {
	raw, err := counted(doc)
	if err != nil {
		return nil, err
	}
	return raw, tx.Replace(collDigaCalls, tenant, id, raw)
}

// counted counts a change of a call and encodes it for the store.
func counted(doc map[string]any) ([]byte, error) {
	doc[changesMember] = changes(doc) + 1
	return json.Marshal(doc)
}

// emit sends the call as GET /v1/call/{id} answers it, numbered by its
// changes; raw is doc as stored, where it was marshalled once already.
func (d *diga) emit(tx *store.Tx, e provider.Engine, tenant, id string, doc map[string]any, raw []byte) error {
	seq := changes(doc)
	data := any(doc)
	if sch := d.callSchema(e); sch != nil {
		var err error
		if data, err = e.Project(sch, raw); err != nil {
			return err
		}
	}
	return e.Emit(tx, tenant, eventStatus, id, seq, data)
}

func (d *diga) callSchema(e provider.Engine) *openapi3.Schema {
	if op := e.Spec().Operation("GET /v1/call/{}"); op != nil {
		return openapi.ResponseSchema(op.Operation, 200)
	}
	return nil
}

// transcript writes an answered call's messages, from the agent version it
// used: the greeting, the caller, and the agent's answer by its prompt, so
// that a test can tell which version took the call.
func (d *diga) transcript(tx *store.Tx, e provider.Engine, tenant, id string, call map[string]any, start, end time.Time) error {
	agent, _ := call["agent_id"].(string)
	version, _ := call["agent_version_id"].(string)
	greeting, prompt := "Hola, ¿en qué puedo ayudarle?", ""
	if agent != "" && version != "" {
		if rec, err := tx.Get(collDigaVersions, versionsOf(tenant, agent), version); err == nil {
			if v, err := provider.DecodeObject(rec.Doc); err == nil {
				if g, _ := v["greeting"].(string); g != "" {
					greeting = g
				}
				prompt, _ = v["prompt"].(string)
			}
		}
	}
	reply := "De acuerdo, le ayudo con eso."
	if prompt != "" {
		reply = "De acuerdo. (" + firstSentence(prompt) + ")"
	}
	lines := []struct{ role, content string }{
		{"assistant", greeting},
		{"user", "Hola, quería información, por favor."},
		{"assistant", reply},
	}
	if err := tx.DeleteTenant(collDigaMessages, id); err != nil {
		return err
	}
	step := end.Sub(start) / time.Duration(len(lines)+1)
	for i, l := range lines {
		msg := map[string]any{"message_id": derivedID(id, i), "created_date": provider.Timestamp(start.Add(step * time.Duration(i))),
			"role": l.role, "content": l.content, "tool_call": nil}
		raw, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		if _, err := tx.Create(collDigaMessages, id, msg["message_id"].(string), raw); err != nil {
			return err
		}
	}
	return nil
}

func firstSentence(s string) string {
	if i := strings.IndexAny(s, ".!?"); i >= 0 {
		return s[:i+1]
	}
	return s
}

// derivedID is a UUIDv4-shaped id made from a record's id and an index:
// the same every time a step is applied.
func derivedID(id string, i int) string {
	sum := sha256.Sum256([]byte(id + "#" + strconv.Itoa(i)))
	var b [16]byte
	copy(b[:], sum[:16])
	return openapi.UUIDv4(b)
}

// Steer moves a call now: to a status, or to its end with an outcome.
func (d *diga) Steer(tx *store.Tx, e provider.Engine, id, to, outcome string) (string, []provider.Step, bool, error) {
	tenant, doc, ok, err := provider.FindRecord(tx, collDigaCalls, id)
	if err != nil || !ok {
		return "", nil, false, err
	}
	statuses := callStatuses(e.Spec())
	if outcome == "" && slices.Contains([]string{outcomeCompleted, outcomeFailed, outcomeNoAnswer, outcomeTransferred}, to) {
		outcome = to
	}
	if outcome != "" {
		to = d.terminal(statuses, outcome)
	}
	if !slices.Contains(statuses, to) {
		return "", nil, true, &provider.Error{Status: 422, Message: fmt.Sprintf("%q is not a call status of the document served (%s)", to, strings.Join(statuses, ", "))}
	}
	now := e.Now()
	if err := d.move(tx, e, tenant, id, doc, to, outcome, now); err != nil {
		return "", nil, true, err
	}
	if outcome != "" {
		return tenant, nil, true, nil
	}
	// What follows a steered status: the rest of an answered call, from a
	// start placed so that the status it was steered to is reached now
	// (dialing, which is not a step, is the start itself).
	prefix := "s" + strconv.Itoa(changes(doc)) + "."
	start := now
	for _, s := range d.plan(e, tenant, id, now, "", prefix) {
		if s.To == to {
			start = now.Add(-s.At.Sub(now))
			break
		}
	}
	var next []provider.Step
	for _, s := range d.plan(e, tenant, id, start, "", prefix) {
		if s.At.After(now) && s.To != to {
			next = append(next, s)
		}
	}
	return tenant, next, true, nil
}

// Inbound places a caller's call to one of a project's numbers: the call
// reaches the number's inbound agent version.
func (d *diga) Inbound(tx *store.Tx, e provider.Engine, to, from, id string) (string, []provider.Step, bool, error) {
	tenant, phoneID, phone, ok := provider.FindByMember(tx, collDigaPhones, "number", to)
	if !ok {
		return "", nil, false, nil
	}
	now := e.Now()
	doc := map[string]any{"id": id, "status": "dialing", "type": "inbound", "from_number": from, "to_number": to,
		"phone_register_id": phoneID, "agent_id": phone["inbound_agent_id"], "agent_version_id": phone["inbound_version_id"],
		"created_date": provider.Timestamp(now), "start_time": nil, "end_time": nil, "duration": nil, "recording_url": nil,
		"end_reason": nil, "dynamic_variables": map[string]any{}}
	if sch := d.callSchema(e); sch != nil {
		raw, err := json.Marshal(doc)
		if err != nil {
			return "", nil, false, err
		}
		if doc, err = e.Project(sch, raw); err != nil {
			return "", nil, false, err
		}
	}
	raw, err := counted(doc) // its first change, as putCall counts the others
	if err != nil {
		return "", nil, false, err
	}
	if _, err := tx.Create(collDigaCalls, tenant, id, raw); err != nil {
		return "", nil, false, err
	}
	if err := d.emit(tx, e, tenant, id, doc, raw); err != nil {
		return "", nil, false, err
	}
	return tenant, d.plan(e, tenant, id, now, magicNumbers[from], "p"), true, nil
}

// changes is how many times a stored call changed.
func changes(doc map[string]any) int {
	switch n := doc[changesMember].(type) {
	case int:
		return n
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// callable refuses a call the document says Diga refuses, where the
// document declares the error: a number outside Spain (400), a phone
// without SIP configuration, or with no agent version to call with (412).
func (d *diga) callable(tx *store.Tx, e provider.Engine, tenant, to string, call map[string]any) error {
	op := e.Spec().Operation("POST /v1/call/")
	if op == nil {
		return nil
	}
	if code := provider.DeclaredCode(op.Operation, http.StatusBadRequest); code == "NON_SPANISH_PHONE_NUMBER" && !strings.HasPrefix(to, "+34") {
		return &provider.Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf("Phone number %s is not a Spanish phone number", to)}
	}
	code := provider.DeclaredCode(op.Operation, http.StatusPreconditionFailed)
	if op.Operation.Responses.Status(http.StatusPreconditionFailed) == nil {
		return nil
	}
	phone, _ := call["phone_register_id"].(string)
	rec, err := tx.Get(collDigaPhones, tenant, phone)
	if err != nil {
		return nil // the lookup already answered for a phone that is not there
	}
	p, err := provider.DecodeObject(rec.Doc)
	if err != nil {
		return err
	}
	if p["sip_config"] == nil {
		return &provider.Error{Status: http.StatusPreconditionFailed, Code: code, Message: "SIP configuration not set for this project"}
	}
	if call["agent_version_id"] == nil {
		return &provider.Error{Status: http.StatusPreconditionFailed, Code: code,
			Message: fmt.Sprintf("Phone number %v has no outbound agent version; set outbound_version_id or send agent_version_id", p["number"])}
	}
	return nil
}
