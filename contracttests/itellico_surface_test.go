package contracttests

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fixture records of the itellico surface.
const (
	itlTrunk       = "f0000000-0000-4000-8000-00000000f001" // Berlin carrier, three numbers on it
	itlSpareTrunk  = "f0000000-0000-4000-8000-00000000f002"
	itlSpareTrunk2 = "f0000000-0000-4000-8000-00000000f003"
	itlOtherTrunk  = "f0000000-0000-4000-8000-00000000f0b1"
	itlNumber      = "e0000000-0000-4000-8000-00000000e001" // answered by itlAgent
	itlSpareNumber = "e0000000-0000-4000-8000-00000000e002"
	itlSpareNum2   = "e0000000-0000-4000-8000-00000000e003"
	itlAgent       = "22222222-2222-4222-8222-222222222222"
	itlMe          = "/v1/accounts/me"
)

// TestItellicoSDKEndpoints drives the 25 endpoints of itellico's official
// TypeScript SDK of the seed era in the order and with the bodies its own
// generated suite sends (tests/api-resources), its placeholder ids replaced
// by the fixtures', on one server: each answer must succeed, and conforms
// to the document.
func TestItellicoSDKEndpoints(t *testing.T) {
	c := start(t).itellico(t)
	steps := []struct {
		method, path string
		body         string
		status       int
	}{
		{"GET", itlMe + "/conversations", "", 200},
		{"GET", "/v1/accounts/current", "", 200},
		{"POST", "/v1/accounts/me/agents", itlMinimal, 201},
		{"GET", itlMe + "/agents/" + itlAgent, "", 200},
		{"PATCH", itlMe + "/agents/" + itlAgent, `{}`, 200},
		{"GET", itlMe + "/agents", "", 200},
		{"GET", itlMe + "/analytics/usage", "", 200},
		{"POST", itlMe + "/phone-numbers", `{"sip_trunk_id":"` + itlTrunk + `"}`, 201},
		{"POST", itlMe + "/phone-numbers", `{"sip_trunk_id":"` + itlTrunk + `","inbound_agent_id":"` + itlAgent + `","name":"name","number":"number"}`, 201},
		{"GET", itlMe + "/phone-numbers/" + itlNumber, "", 200},
		{"PATCH", itlMe + "/phone-numbers/" + itlNumber, `{}`, 200},
		{"PATCH", itlMe + "/phone-numbers/" + itlNumber, `{"inbound_agent_id":"` + itlAgent + `","name":"name","number":"number","sip_trunk_id":"` + itlTrunk + `"}`, 200},
		{"GET", itlMe + "/phone-numbers", "", 200},
		{"DELETE", itlMe + "/phone-numbers/" + itlSpareNumber, "", 204},
		{"DELETE", itlMe + "/phone-numbers/" + itlSpareNum2, "", 204},
		{"GET", itlMe + "/providers/models", "", 200},
		{"GET", itlMe + "/providers/transcribers", "", 200},
		{"GET", itlMe + "/providers/voices?provider=provider", "", 200},
		{"GET", itlMe + "/providers/voices?provider=provider&gender=gender&language=language&limit=0&refresh=true&search=search", "", 200},
		{"POST", itlMe + "/sip-trunks", `{}`, 201},
		{"POST", itlMe + "/sip-trunks", `{"allowed_ips":["string"],"name":"name","termination_uri":"termination_uri"}`, 201},
		{"GET", itlMe + "/sip-trunks/" + itlTrunk, "", 200},
		{"PATCH", itlMe + "/sip-trunks/" + itlTrunk, `{}`, 200},
		{"PATCH", itlMe + "/sip-trunks/" + itlTrunk, `{"allowed_ips":["string"],"name":"name","termination_uri":"termination_uri"}`, 200},
		{"GET", itlMe + "/sip-trunks", "", 200},
		{"DELETE", itlMe + "/sip-trunks/" + itlSpareTrunk, "", 204},
		{"DELETE", itlMe + "/sip-trunks/" + itlSpareTrunk2, "", 204},
		{"POST", itlMe + "/subaccounts", `{"name":"name"}`, 201},
		{"GET", itlMe + "/subaccounts/" + itellicoSub, "", 200},
		{"PATCH", itlMe + "/subaccounts/" + itellicoSub, `{}`, 200},
		{"PATCH", itlMe + "/subaccounts/" + itellicoSub, `{"is_active":true,"name":"name"}`, 200},
		{"GET", itlMe + "/subaccounts", "", 200},
		{"DELETE", itlMe + "/agents/" + itlAgent, "", 204},
	}
	for _, s := range steps {
		var body any
		if s.body != "" {
			body = s.body
		}
		c.do(s.method, s.path, body).must(t, s.status)
	}
	spec := c.spec
	if spec == nil {
		return
	}
	assert.Len(t, spec.Operations(), 25, "the SDK's 25 endpoints, no more")
}

func TestItellicoPhoneNumbers(t *testing.T) {
	tg := start(t)
	c := tg.itellico(t)
	other := c.withKey(tg.itlOther)
	numbers := itlMe + "/phone-numbers"

	r := c.do("POST", numbers, `{"sip_trunk_id":"`+itlTrunk+`","inbound_agent_id":"`+itlAgent+`","name":"Sales","number":"+4930777"}`).must(t, http.StatusCreated)
	id, _ := r.json["id"].(string)
	require.NotEmpty(t, id)
	assert.Equal(t, "Sales", r.json["friendly_name"], "name is answered as friendly_name")
	assert.Equal(t, map[string]any{"id": itlAgent, "name": "Customer Support Agent", "avatar": nil}, r.json["inbound_agent"])
	assert.Equal(t, map[string]any{"id": itlTrunk, "name": "Berlin carrier"}, r.json["sip_trunk"])
	assert.NotContains(t, r.json, "sip_trunk_id", "the reference is shown as the record it names")
	assert.NotContains(t, r.json, "name")
	got := c.do("GET", numbers+"/"+id, nil).must(t, http.StatusOK)
	assert.Equal(t, string(r.raw), string(got.raw), "stored as answered")

	t.Run("validation errors", func(t *testing.T) {
		cases := []struct {
			name, body, field string
		}{
			{"sip_trunk_id is required", `{"number":"+4930777"}`, "body.sip_trunk_id"},
			{"number is a string", `{"sip_trunk_id":"` + itlTrunk + `","number":4930777}`, "body.number"},
			{"inbound agent that does not exist", `{"sip_trunk_id":"` + itlTrunk + `","inbound_agent_id":"00000000-0000-4000-8000-000000000000"}`, "body.inbound_agent_id"},
			{"SIP trunk that does not exist", `{"sip_trunk_id":"nope"}`, "body.sip_trunk_id"},
			{"another account's SIP trunk", `{"sip_trunk_id":"` + itlOtherTrunk + `"}`, "body.sip_trunk_id"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("POST", numbers, tc.body).must(t, http.StatusUnprocessableEntity)
				assert.Equal(t, "validation_error", r.json["code"])
				assert.Equal(t, tc.field, r.path("errors.0.field"), "%s", r.raw)
			})
		}
		r := c.do("PATCH", numbers+"/"+id, `{"sip_trunk_id":"nope"}`).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "body.sip_trunk_id", r.path("errors.0.field"))
		assert.Equal(t, map[string]any{"id": itlTrunk, "name": "Berlin carrier"}, c.do("GET", numbers+"/"+id, nil).must(t, http.StatusOK).json["sip_trunk"], "a refused change changes nothing")
	})

	t.Run("update moves, renames and clears", func(t *testing.T) {
		r := c.do("PATCH", numbers+"/"+id, `{"sip_trunk_id":"`+itlSpareTrunk+`","name":"Sales 2","inbound_agent_id":null}`).must(t, http.StatusOK)
		assert.Equal(t, "Sales 2", r.json["friendly_name"])
		assert.Nil(t, r.json["inbound_agent"])
		assert.Equal(t, itlSpareTrunk, r.path("sip_trunk.id"))
		assert.Equal(t, "+4930777", r.json["number"], "what the patch leaves out stays")
		trunk := c.do("GET", itlMe+"/sip-trunks/"+itlSpareTrunk, nil).must(t, http.StatusOK)
		assert.Equal(t, []any{map[string]any{"id": id, "friendly_name": "Sales 2", "number": "+4930777"}}, trunk.json["phone_numbers"])
	})

	t.Run("404 and the other account", func(t *testing.T) {
		r := c.do("GET", numbers+"/e0000000-0000-4000-8000-0000000000ff", nil).must(t, http.StatusNotFound)
		assert.Equal(t, "not_found", r.json["code"])
		assert.Contains(t, r.json["detail"], "Phone number")
		other.do("GET", numbers+"/"+id, nil).must(t, http.StatusNotFound)
		other.do("PATCH", numbers+"/"+id, `{"name":"x"}`).must(t, http.StatusNotFound)
		other.do("DELETE", numbers+"/"+id, nil).must(t, http.StatusNotFound)
		other.do("GET", "/v1/accounts/"+itellicoAccount+"/phone-numbers", nil).must(t, http.StatusForbidden)
		assert.Equal(t, 0.0, other.do("GET", numbers, nil).must(t, http.StatusOK).json["count"])
	})

	t.Run("list pages", func(t *testing.T) {
		r := c.do("GET", numbers+"?limit=2&offset=1", nil).must(t, http.StatusOK)
		assert.Equal(t, 4.0, r.json["count"])
		assert.Len(t, r.json["items"], 2)
		c.do("GET", numbers+"?limit=0", nil).must(t, http.StatusUnprocessableEntity)
	})

	t.Run("delete", func(t *testing.T) {
		c.do("DELETE", numbers+"/"+id, nil).must(t, http.StatusNoContent)
		c.do("GET", numbers+"/"+id, nil).must(t, http.StatusNotFound)
		c.do("DELETE", numbers+"/"+id, nil).must(t, http.StatusNotFound)
	})
}

func TestItellicoSipTrunks(t *testing.T) {
	tg := start(t)
	c := tg.itellico(t)
	other := c.withKey(tg.itlOther)
	trunks := itlMe + "/sip-trunks"

	r := c.do("POST", trunks, `{}`).must(t, http.StatusCreated)
	id, _ := r.json["id"].(string)
	assert.Equal(t, "SIP trunk", r.json["name"], "the default name")
	assert.Equal(t, false, r.json["has_auth_password"])
	assert.Equal(t, []any{}, r.json["phone_numbers"])
	assert.Equal(t, []any{}, r.json["allowed_ips"])

	berlin := c.do("GET", trunks+"/"+itlTrunk, nil).must(t, http.StatusOK)
	assert.Equal(t, true, berlin.json["has_auth_password"])
	assert.Equal(t, 24.0, berlin.json["auth_password_length"])
	assert.NotContains(t, string(berlin.raw), "password\":\"", "the password itself is never shown")
	assert.Len(t, berlin.json["phone_numbers"], 3)

	t.Run("validation errors", func(t *testing.T) {
		for _, body := range []string{`{"allowed_ips":"203.0.113.1"}`, `{"name":5}`, `{"allowed_ips":[1]}`} {
			r := c.do("POST", trunks, body).must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"], body)
		}
		c.do("PATCH", trunks+"/"+id, `{"termination_uri":7}`).must(t, http.StatusUnprocessableEntity)
	})

	r = c.do("PATCH", trunks+"/"+id, `{"name":"Madrid","allowed_ips":["198.51.100.7"]}`).must(t, http.StatusOK)
	assert.Equal(t, "Madrid", r.json["name"])
	assert.Equal(t, []any{"198.51.100.7"}, r.json["allowed_ips"])
	assert.Equal(t, 4.0, c.do("GET", trunks, nil).must(t, http.StatusOK).json["count"])

	other.do("GET", trunks+"/"+id, nil).must(t, http.StatusNotFound)
	other.do("DELETE", trunks+"/"+id, nil).must(t, http.StatusNotFound)

	t.Run("a trunk numbers use is not deleted", func(t *testing.T) {
		r := c.do("DELETE", trunks+"/"+itlTrunk, nil).must(t, http.StatusConflict)
		assert.Equal(t, "conflict", r.json["code"])
		assert.Contains(t, r.json["detail"], "phone number")
		c.do("GET", trunks+"/"+itlTrunk, nil).must(t, http.StatusOK)
		for _, n := range []string{itlNumber, itlSpareNumber, itlSpareNum2} {
			c.do("PATCH", itlMe+"/phone-numbers/"+n, `{"sip_trunk_id":"`+id+`"}`).must(t, http.StatusOK)
		}
		assert.Len(t, c.do("GET", trunks+"/"+id, nil).must(t, http.StatusOK).json["phone_numbers"], 3)
		c.do("DELETE", trunks+"/"+itlTrunk, nil).must(t, http.StatusNoContent)
		c.do("GET", trunks+"/"+itlTrunk, nil).must(t, http.StatusNotFound)
	})
}

// TestItellicoChains runs the integrator's workflows across resources on
// the embedded default.
func TestItellicoChains(t *testing.T) {
	tg := start(t)
	c := tg.itellico(t)

	t.Run("SIP trunk, then a number answered by an agent, which shows its name", func(t *testing.T) {
		trunk := c.do("POST", itlMe+"/sip-trunks", `{"name":"Carrier","termination_uri":"sip.example.com"}`).must(t, http.StatusCreated).json["id"].(string)
		agent := c.do("POST", itlMe+"/agents", `{"name":"Front desk",`+itlMinimal[1:]).must(t, http.StatusCreated).json["id"].(string)
		n := c.do("POST", itlMe+"/phone-numbers", `{"sip_trunk_id":"`+trunk+`","inbound_agent_id":"`+agent+`","number":"+4940111"}`).must(t, http.StatusCreated)
		assert.Equal(t, "Front desk", n.path("inbound_agent.name"))
		assert.Equal(t, "Carrier", n.path("sip_trunk.name"))
		c.do("PATCH", itlMe+"/agents/"+agent, `{"name":"Reception"}`).must(t, http.StatusOK)
		id := n.json["id"].(string)
		assert.Equal(t, "Reception", c.do("GET", itlMe+"/phone-numbers/"+id, nil).must(t, http.StatusOK).path("inbound_agent.name"), "the agent's name as it is now")
		list := c.do("GET", itlMe+"/sip-trunks/"+trunk, nil).must(t, http.StatusOK)
		assert.Equal(t, []any{map[string]any{"id": id, "friendly_name": nil, "number": "+4940111"}}, list.json["phone_numbers"])
	})

	t.Run("a subaccount created, an agent under it, listed there and not under the parent", func(t *testing.T) {
		sub := c.do("POST", itlMe+"/subaccounts", `{"name":"Hamburg"}`).must(t, http.StatusCreated)
		subID := sub.json["id"].(string)
		assert.Equal(t, itellicoAccount, sub.json["parent_account_id"])
		assert.Equal(t, true, sub.json["is_active"])
		a := c.do("POST", agentsPath(subID), itlMinimal).must(t, http.StatusCreated)
		assert.Equal(t, subID, a.json["account_id"])
		aid := a.json["id"].(string)
		assert.Contains(t, string(c.do("GET", agentsPath(subID), nil).must(t, http.StatusOK).raw), aid)
		assert.NotContains(t, string(c.do("GET", agentsPath("me"), nil).must(t, http.StatusOK).raw), aid)
		subs := c.do("GET", itlMe+"/subaccounts?is_active=true", nil).must(t, http.StatusOK)
		assert.Equal(t, 2.0, subs.json["count"])
		c.do("PATCH", itlMe+"/subaccounts/"+subID, `{"is_active":false}`).must(t, http.StatusOK)
		assert.Equal(t, 1.0, c.do("GET", itlMe+"/subaccounts?is_active=false", nil).must(t, http.StatusOK).json["count"])
		assert.Equal(t, 1.0, c.do("GET", itlMe+"/subaccounts?limit=1&offset=1", nil).must(t, http.StatusOK).json["count"].(float64)-1, "count is the total, not the page")
		// Another account's key neither reaches nor lists it.
		other := c.withKey(tg.itlOther)
		other.do("GET", agentsPath(subID), nil).must(t, http.StatusForbidden)
		other.do("GET", itlMe+"/subaccounts/"+subID, nil).must(t, http.StatusNotFound)
	})

	t.Run("subaccount errors", func(t *testing.T) {
		r := c.do("POST", itlMe+"/subaccounts", `{}`).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "body.name", r.path("errors.0.field"))
		c.do("POST", itlMe+"/subaccounts", `{"name":""}`).must(t, http.StatusUnprocessableEntity)
		c.do("PATCH", itlMe+"/subaccounts/"+itellicoSub, `{"is_active":"yes"}`).must(t, http.StatusUnprocessableEntity)
		c.do("GET", itlMe+"/subaccounts/a0000000-0000-4000-8000-0000000000ff", nil).must(t, http.StatusNotFound)
	})
}

func TestItellicoConversationsAndUsage(t *testing.T) {
	tg := start(t)
	c := tg.itellico(t)
	ids := func(r reply) []string {
		var out []string
		for _, it := range r.json["items"].([]any) {
			out = append(out, it.(map[string]any)["conversation_id"].(string)[33:])
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"c01", "c02", "c03"}},
		{"?status=completed", []string{"c01", "c03"}},
		{"?type=web", []string{"c03"}},
		{"?direction=inbound&type=phone", []string{"c01", "c02"}},
		{"?agent_id=" + itlAgent, []string{"c01", "c02", "c03"}},
		{"?conversation_id=c0000000-0000-4000-8000-000000000c02", []string{"c02"}},
		{"?created_after=2025-11-21T12:00:00Z", []string{"c02", "c03"}},
		{"?created_before=2025-11-21T12:00:00Z", []string{"c01"}},
		{"?agent_id=00000000-0000-4000-8000-000000000000", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := c.do("GET", itlMe+"/conversations"+tc.query, nil).must(t, http.StatusOK)
			assert.Equal(t, tc.want, ids(r))
			assert.Equal(t, float64(len(tc.want)), r.json["count"])
		})
	}
	c.do("GET", itlMe+"/conversations?status=ringing", nil).must(t, http.StatusUnprocessableEntity)
	c.do("GET", itlMe+"/conversations?created_after=yesterday", nil).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, 0.0, c.withKey(tg.itlOther).do("GET", itlMe+"/conversations", nil).must(t, http.StatusOK).json["count"])

	usage := itlMe + "/analytics/usage?start=2025-11-01T00:00:00Z&end=2025-12-01T00:00:00Z"
	t.Run("usage by day", func(t *testing.T) {
		r := c.do("GET", usage, nil).must(t, http.StatusOK)
		assert.Equal(t, "day", r.path("meta.granularity"))
		assert.Equal(t, itellicoAccount, r.path("meta.account_id"))
		assert.Equal(t, "2025-11-21T00:00:00Z", r.path("data.0.ts"))
		assert.Equal(t, map[string]any{"conversations": 2.0, "seconds": 215.0}, r.path("data.0.values.0"))
		assert.Equal(t, map[string]any{"conversations": 1.0, "seconds": 42.0}, r.path("data.1.values.0"))
		assert.Len(t, r.json["data"], 2, "buckets with no conversations are left out")
	})
	t.Run("usage by month, grouped by type, in Berlin", func(t *testing.T) {
		r := c.do("GET", usage+"&granularity=month&group_by=type&tz=Europe/Berlin", nil).must(t, http.StatusOK)
		assert.Equal(t, "2025-11-01T00:00:00+01:00", r.path("data.0.ts"))
		assert.Equal(t, []any{
			map[string]any{"conversations": 2.0, "seconds": 215.0, "dimensions": map[string]any{"type": "phone"}},
			map[string]any{"conversations": 1.0, "seconds": 42.0, "dimensions": map[string]any{"type": "web"}},
		}, r.path("data.0.values"))
		assert.Equal(t, []any{"type"}, r.path("meta.group_by"))
	})
	t.Run("usage by hour, at most limit buckets", func(t *testing.T) {
		r := c.do("GET", usage+"&granularity=hour&limit=2", nil).must(t, http.StatusOK)
		assert.Equal(t, []any{"2025-11-21T09:00:00Z", "2025-11-21T14:00:00Z"}, []any{r.path("data.0.ts"), r.path("data.1.ts")})
		assert.Len(t, r.json["data"], 2)
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, q := range []string{"&tz=Mars/Base", "&granularity=week", "&group_by=planet", "&limit=0"} {
			r := c.do("GET", usage+q, nil).must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"], q)
		}
		r := c.do("GET", itlMe+"/analytics/usage?start=2025-12-01T00:00:00Z&end=2025-11-01T00:00:00Z", nil).must(t, http.StatusUnprocessableEntity)
		assert.Equal(t, "query.start", r.path("errors.0.field"))
	})
	t.Run("the default period is the last 30 days", func(t *testing.T) {
		r := c.do("GET", itlMe+"/analytics/usage", nil).must(t, http.StatusOK)
		assert.Equal(t, []any{}, r.json["data"], "the fixtures' conversations are older")
	})
}

// TestItellicoProviderCatalogue holds the catalogue and the agent unions to
// each other: every model and transcriber it lists is one an agent may be
// created with, so that a client can pick from it.
func TestItellicoProviderCatalogue(t *testing.T) {
	c := start(t).itellico(t)
	var models []struct {
		Provider struct{ Code string }
		Models   []struct{ ID string }
	}
	require.NoError(t, json.Unmarshal(c.do("GET", itlMe+"/providers/models", nil).must(t, http.StatusOK).raw, &models))
	require.Len(t, models, 3)
	for _, p := range models {
		for _, m := range p.Models {
			body := `{"model":{"provider":"` + p.Provider.Code + `","model":"` + m.ID + `"},"transcriber":{"provider":"deepgram"},"voice":{"provider":"elevenlabs","voice_id":"pMsXgVXv3BLzUgSXRplE"}}`
			c.do("POST", agentsPath("me"), body).must(t, http.StatusCreated)
		}
	}
	var transcribers []struct {
		Provider struct{ Code string }
		Models   []struct {
			ID                 string
			SupportedLanguages []struct{ Code string } `json:"supported_languages"`
		}
	}
	require.NoError(t, json.Unmarshal(c.do("GET", itlMe+"/providers/transcribers", nil).must(t, http.StatusOK).raw, &transcribers))
	for _, p := range transcribers {
		for _, m := range p.Models[:1] {
			for _, lang := range []string{m.SupportedLanguages[0].Code, m.SupportedLanguages[len(m.SupportedLanguages)-1].Code} {
				tr := `{"provider":"` + p.Provider.Code + `","language":"` + lang + `"}`
				if p.Provider.Code == "deepgram" {
					tr = `{"provider":"deepgram","model":"` + m.ID + `","language":"` + lang + `"}`
				}
				c.do("POST", agentsPath("me"), `{"model":{"provider":"openai","model":"gpt-5"},"transcriber":`+tr+`,"voice":{"provider":"azure","voice_id":"de-DE-KatjaNeural"}}`).must(t, http.StatusCreated)
			}
		}
	}

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"provider=azure", 3},
		{"provider=azure&gender=female", 2},
		{"provider=elevenlabs&language=de", 1},
		{"provider=cartesia&search=LEN", 1},
		{"provider=azure&limit=1", 1},
		{"provider=nobody", 0},
	} {
		r := c.do("GET", itlMe+"/providers/voices?"+tc.query, nil).must(t, http.StatusOK)
		assert.Len(t, r.json["items"], tc.want, tc.query)
	}
	r := c.do("GET", itlMe+"/providers/voices", nil).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "query.provider", r.path("errors.0.field"))
}
