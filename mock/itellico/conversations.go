package itellico

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/store"
)

// itellico shows calls as conversations: a caller's call to one of an
// account's numbers (POST /_mock/calls/inbound) is one, in_progress while
// it lasts, then completed, failed or transferred, with its transcript.

const collItlPhoneNumbers = "itellico/phone_numbers"

// conversationOutcomes are the from_numbers that steer an inbound
// conversation's end, as README lists them.
var conversationOutcomes = map[string]string{
	"+34600000003": "failed",
	"+34600000004": "transferred",
}

// Started: nothing itellico's API creates moves on the clock.
func (it *itellico) Started(*store.Tx, provider.Engine, string, string, map[string]any, map[string]any) ([]provider.Step, error) {
	return nil, nil
}

// Apply ends a conversation.
func (it *itellico) Apply(tx *store.Tx, e provider.Engine, s provider.Step) ([]provider.Step, error) {
	rec, err := tx.Get(collItlConversations, s.Tenant, s.Record)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	conv, err := provider.DecodeObject(rec.Doc)
	if err != nil {
		return nil, err
	}
	return nil, it.end(tx, s.Tenant, s.Record, conv, s.To, s.At)
}

func (it *itellico) end(tx *store.Tx, tenant, id string, conv map[string]any, status string, at time.Time) error {
	conv["status"] = status
	if start, err := time.Parse(time.RFC3339Nano, fmt.Sprint(conv["start_timestamp"])); err == nil {
		conv["duration_seconds"] = at.Sub(start).Round(time.Second).Seconds()
		greeting := "Hello, how can I help?"
		if agent, _ := conv["agent_id"].(string); agent != "" {
			if rec, err := tx.Get(collItlAgents, tenant, agent); err == nil {
				if a, err := provider.DecodeObject(rec.Doc); err == nil {
					if m, _ := a["initial_message"].(map[string]any); m != nil {
						if msg, _ := m["message"].(string); msg != "" {
							greeting = msg
						}
					}
				}
			}
		}
		conv["messages"] = []any{
			map[string]any{"role": "agent", "message": greeting, "timestamp": provider.Timestamp(start.Add(time.Second))},
			map[string]any{"role": "user", "message": "Hi, I have a question about my order.", "timestamp": provider.Timestamp(start.Add(3 * time.Second))},
			map[string]any{"role": "event", "message": "Conversation " + status, "timestamp": provider.Timestamp(at)},
		}
		conv["capture"] = map[string]any{"recording_url": "https://recordings.agentmock.local/" + id + ".wav"}
	}
	raw, err := json.Marshal(conv)
	if err != nil {
		return err
	}
	return tx.Replace(collItlConversations, tenant, id, raw)
}

// Steer ends a conversation now, or keeps it in progress.
func (it *itellico) Steer(tx *store.Tx, e provider.Engine, id, to, outcome string) (string, []provider.Step, bool, error) {
	if outcome != "" {
		to = map[string]string{"no_answer": "failed", "busy": "failed"}[outcome]
		if to == "" {
			to = outcome
		}
	}
	statuses := openapi.MemberValues(e.Spec().Schema("Conversation"), "status")
	if !slices.Contains(statuses, to) {
		return "", nil, true, &provider.Error{Status: 422, Message: fmt.Sprintf("%q is not a conversation status of the document served (%s)", to, strings.Join(statuses, ", "))}
	}
	tenant, conv, ok, err := provider.FindRecord(tx, collItlConversations, id)
	switch {
	case !ok:
		return "", nil, false, nil
	case err != nil:
		return "", nil, true, err
	case to == "in_progress":
		// Back in progress, if it had ended, for another whole talk.
		if conv["status"] != "in_progress" {
			conv["status"], conv["duration_seconds"] = "in_progress", nil
			raw, err := json.Marshal(conv)
			if err != nil {
				return "", nil, true, err
			}
			if err := tx.Replace(collItlConversations, tenant, id, raw); err != nil {
				return "", nil, true, err
			}
		}
		return tenant, []provider.Step{{ID: id + ".end", Tenant: tenant, Record: id, At: e.Now().Add(e.Calls().Talk), To: "completed"}}, true, nil
	}
	return tenant, nil, true, it.end(tx, tenant, id, conv, to, e.Now())
}

// Inbound makes a conversation for a caller's call to one of an account's
// numbers, answered by the number's inbound agent.
func (it *itellico) Inbound(tx *store.Tx, e provider.Engine, to, from, id string) (string, []provider.Step, bool, error) {
	tenant, phoneID, phone, ok := provider.FindByMember(tx, collItlPhoneNumbers, "number", to)
	if !ok {
		return "", nil, false, nil
	}
	now := e.Now()
	agent, _ := phone["inbound_agent_id"].(string)
	var agentName any
	if agent != "" {
		if rec, err := tx.Get(collItlAgents, tenant, agent); err == nil {
			if a, err := provider.DecodeObject(rec.Doc); err == nil {
				agentName = a["name"]
			}
		}
	}
	conv := map[string]any{"conversation_id": id, "start_timestamp": provider.Timestamp(now), "status": "in_progress",
		"type": "phone", "direction": "inbound", "agent_id": nilIfEmpty(agent), "agent_name": agentName,
		"capture": map[string]any{"recording_url": nil}, "contact_number": from, "duration_seconds": nil,
		"messages": []any{}, "phone_number": to, "phone_number_id": phoneID}
	raw, err := json.Marshal(conv)
	if err != nil {
		return "", nil, false, err
	}
	if _, err := tx.Create(collItlConversations, tenant, id, raw); err != nil {
		return "", nil, false, err
	}
	end := "completed"
	if o := conversationOutcomes[from]; o != "" {
		end = o
	}
	return tenant, []provider.Step{{ID: id + ".end", Tenant: tenant, Record: id, At: now.Add(e.Calls().Talk), To: end}}, true, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
