package contracttests

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// itlCreate builds a create body from its three unions.
func itlCreate(model, transcriber, voice string, extra ...string) string {
	body := fmt.Sprintf(`{"model":%s,"transcriber":%s,"voice":%s`, model, transcriber, voice)
	for _, e := range extra {
		body += "," + e
	}
	return body + "}"
}

const (
	azureModel  = `{"provider":"azure_openai","model":"gpt-5-mini"}`
	deepgram    = `{"provider":"deepgram"}`
	elevenlabs  = `{"provider":"elevenlabs","voice_id":"pMsXgVXv3BLzUgSXRplE"}`
	itlAgentsMe = "/v1/accounts/me/agents"
)

func TestItellicoCreateEveryVariant(t *testing.T) {
	c := start(t).itellico(t)
	cases := []struct {
		name, model, transcriber, voice string
	}{
		{"openai, azure transcriber, azure voice", `{"provider":"openai","model":"gpt-4.1","max_tokens":512,"temperature":0.3}`, `{"provider":"azure","language":"es-ES"}`, `{"provider":"azure","voice_id":"es-ES-ElviraNeural"}`},
		{"azure openai, deepgram, cartesia", `{"provider":"azure_openai","model":"gpt-4o-2024-11-20"}`, `{"provider":"deepgram","model":"nova-2:phonecall","language":"en-US","keywords":["refund"]}`, `{"provider":"cartesia","voice_id":"a0e99841","language":"fr"}`},
		{"anthropic, deepgram, elevenlabs with settings", `{"provider":"anthropic","model":"claude-sonnet-4-20250514"}`, deepgram, `{"provider":"elevenlabs","voice_id":"pMsXgVXv3BLzUgSXRplE","settings":{"stability":0.5,"similarity_boost":0.7,"speed":1.1,"style":0,"use_speaker_boost":true}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", itlAgentsMe, itlCreate(tc.model, tc.transcriber, tc.voice)).must(t, http.StatusCreated)
			got := c.do("GET", itlAgentsMe+"/"+r.json["id"].(string), nil).must(t, http.StatusOK)
			for field, sent := range map[string]string{"model": tc.model, "transcriber": tc.transcriber, "voice": tc.voice} {
				var want map[string]any
				require.NoError(t, jsonUnmarshal(sent, &want))
				assert.Equal(t, want, got.json[field], field)
			}
			assert.Equal(t, 1200.0, got.json["max_duration_seconds"])
		})
	}
}

func TestItellicoUnionErrorsNameTheVariant(t *testing.T) {
	c := start(t).itellico(t)
	cases := []struct {
		name, body, field, contains string
	}{
		{"unknown provider tag", itlCreate(`{"provider":"google","model":"gemini"}`, deepgram, elevenlabs), "body.model.provider", "'openai', 'azure_openai', 'anthropic'"},
		{"missing provider tag", itlCreate(`{"model":"gpt-5"}`, deepgram, elevenlabs), "body.model.provider", "discriminator 'provider'"},
		{"model of another provider", itlCreate(`{"provider":"openai","model":"claude-sonnet-4-20250514"}`, deepgram, elevenlabs), "body.model.model", "provider 'openai'"},
		{"field of another variant", itlCreate(azureModel, `{"provider":"azure","model":"nova-3:general"}`, elevenlabs), "body.transcriber.model", "provider 'azure'"},
		{"language of another variant", itlCreate(azureModel, `{"provider":"deepgram","language":"af-ZA"}`, elevenlabs), "body.transcriber.language", "provider 'deepgram'"},
		{"voice field of another variant", itlCreate(azureModel, deepgram, `{"provider":"azure","voice_id":"x","settings":{}}`), "body.voice.settings", "provider 'azure'"},
		{"voice required", `{"model":` + azureModel + `,"transcriber":` + deepgram + `}`, "body.voice", "Field required"},
		{"temperature below 0", itlCreate(`{"provider":"openai","model":"gpt-5","temperature":-0.1}`, deepgram, elevenlabs), "body.model.temperature", "greater than or equal to 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", itlAgentsMe, tc.body).must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"])
			require.NotEmpty(t, r.json["errors"])
			var fields, messages []string
			for _, e := range r.json["errors"].([]any) {
				fields = append(fields, e.(map[string]any)["field"].(string))
				messages = append(messages, e.(map[string]any)["message"].(string))
			}
			assert.Contains(t, fields, tc.field)
			assert.Contains(t, strings.Join(messages, " | "), tc.contains)
			assert.NotContains(t, strings.Join(messages, " | "), "oneOf", "no bare oneOf message")
		})
	}
}

func TestItellicoPartialUnionUpdates(t *testing.T) {
	c := start(t).itellico(t)
	created := c.do("POST", itlAgentsMe, itlCreate(`{"provider":"azure_openai","model":"gpt-5-mini","max_tokens":300}`,
		`{"provider":"deepgram","model":"nova-3:general","language":"multi"}`, elevenlabs)).must(t, http.StatusCreated)
	path := itlAgentsMe + "/" + created.json["id"].(string)

	r := c.do("PATCH", path, `{"model":{"temperature":0.5,"foo":"bar"}}`).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"provider": "azure_openai", "model": "gpt-5-mini", "max_tokens": 300.0, "temperature": 0.5, "foo": "bar"}, r.json["model"], "merged, unknown keys kept")

	r = c.do("PATCH", path, `{"transcriber":{"provider":"azure","language":"af-ZA"}}`).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"provider": "azure", "language": "af-ZA"}, r.json["transcriber"], "a new provider replaces the object whole")

	r = c.do("PATCH", path, `{"transcriber":{"language":"de-DE"}}`).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"provider": "azure", "language": "de-DE"}, r.json["transcriber"], "same provider merges")

	r = c.do("PATCH", path, `{"model":{"model":"claude-3-7-sonnet-20250219"}}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "body.model.model", r.path("errors.0.field"), "the model must belong to the provider")
	r = c.do("PATCH", path, `{"transcriber":{"language":"multi"}}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "body.transcriber.language", r.path("errors.0.field"))
	r = c.do("PATCH", path, `{"model":null}`).must(t, http.StatusUnprocessableEntity)
	assert.Equal(t, "body.model", r.path("errors.0.field"), "what create requires cannot be cleared")

	r = c.do("PATCH", path, `{"voice":{"provider":"cartesia","voice_id":"c1","language":"es"}}`).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"provider": "cartesia", "voice_id": "c1", "language": "es"}, r.json["voice"])
	got := c.do("GET", path, nil).must(t, http.StatusOK)
	assert.Equal(t, "de-DE", got.path("transcriber.language"), "a rejected PATCH stored nothing")
}

func TestItellicoListFilters(t *testing.T) {
	inProcessOnly(t) // exact counts need a fresh database
	tg := start(t)
	c := tg.itellico(t)
	mk := func(name string, tags ...string) string {
		extra := []string{fmt.Sprintf(`"name":%q`, name)}
		if len(tags) > 0 {
			extra = append(extra, `"tags":["`+strings.Join(tags, `","`)+`"]`)
		}
		r := c.do("POST", itlAgentsMe, itlCreate(azureModel, deepgram, elevenlabs, extra...)).must(t, http.StatusCreated)
		return r.json["id"].(string)
	}
	fixture := "22222222-2222-4222-8222-222222222222"
	sales := mk("Sales EU", "sales", "eu")
	salesUS := mk("Sales US", "sales", "us")
	time.Sleep(2 * time.Millisecond)
	mid := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(2 * time.Millisecond)
	support := mk("Support", "support", "eu")
	old := mk("Old bot")
	c.do("DELETE", itlAgentsMe+"/"+old, nil).must(t, http.StatusNoContent)

	ids := func(query string) (float64, []string) {
		t.Helper()
		r := c.do("GET", itlAgentsMe+"?"+query, nil).must(t, http.StatusOK)
		var out []string
		for _, a := range r.json["items"].([]any) {
			out = append(out, a.(map[string]any)["id"].(string))
		}
		return r.json["count"].(float64), out
	}
	cases := []struct {
		query string
		count float64
		want  []string
	}{
		{"", 4, []string{fixture, sales, salesUS, support}},
		{"limit=2", 4, []string{fixture, sales}},
		{"limit=2&offset=2", 4, []string{salesUS, support}},
		{"offset=10", 4, nil},
		{"name=sales", 2, []string{sales, salesUS}},
		{"name=SALES%20e", 1, []string{sales}},
		{"tags=sales", 2, []string{sales, salesUS}},
		{"tags=sales,eu", 1, []string{sales}},
		{"tags=sales&tags=eu", 1, []string{sales}},
		{"tags=eu&name=sup", 1, []string{support}},
		{"is_archived=true", 1, []string{old}},
		{"is_archived=false", 4, []string{fixture, sales, salesUS, support}},
		{"created_gt=" + url.QueryEscape(mid), 1, []string{support}},
		{"created_lt=" + url.QueryEscape(mid) + "&tags=sales", 2, []string{sales, salesUS}},
		{"created_ge=2025-11-20T10:00:00Z&created_le=2025-11-20T10:00:00Z", 1, []string{fixture}},
		{"modified_ge=" + url.QueryEscape(mid) + "&limit=1", 1, []string{support}},
		{"created_le=2025-11-20T12:00:00%2B02:00", 1, []string{fixture}}, // 10:00Z: timezone-aware
		{"name=&tags=", 4, []string{fixture, sales, salesUS, support}},   // the SDKs send null as empty
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			count, got := ids(tc.query)
			assert.Equal(t, tc.count, count, "count is every match, not the page")
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []struct{ query, field string }{
		{"offset=-1", "query.offset"},
		{"limit=0", "query.limit"},
		{"limit=101", "query.limit"},
		{"created_ge=yesterday", "query.created_ge"},
		{"modified_lt=2025-01-01T00:00:00", "query.modified_lt"}, // no timezone
		{"is_archived=maybe", "query.is_archived"},
	} {
		t.Run(bad.query, func(t *testing.T) {
			r := c.do("GET", itlAgentsMe+"?"+bad.query, nil).must(t, http.StatusUnprocessableEntity)
			assert.Equal(t, "validation_error", r.json["code"])
			assert.Equal(t, bad.field, r.path("errors.0.field"))
		})
	}
}

func TestItellicoArchiveAndUnarchive(t *testing.T) {
	c := start(t).itellico(t)
	id := c.do("POST", itlAgentsMe, itlCreate(azureModel, deepgram, elevenlabs)).must(t, http.StatusCreated).json["id"].(string)
	path := itlAgentsMe + "/" + id
	r := c.do("DELETE", path, nil, "Accept", "*/*").must(t, http.StatusNoContent)
	assert.Empty(t, r.raw)
	assert.Empty(t, r.header.Get("x-should-retry"), "no retry hints on success")
	c.do("DELETE", path, nil).must(t, http.StatusNoContent) // archiving twice is harmless
	c.do("GET", path, nil).must(t, http.StatusOK)
	assert.Contains(t, string(c.do("GET", itlAgentsMe+"?is_archived=true", nil).must(t, http.StatusOK).raw), id)
	assert.NotContains(t, string(c.do("GET", itlAgentsMe, nil).must(t, http.StatusOK).raw), id)

	c.do("PATCH", path, `{"name":"back"}`).must(t, http.StatusOK)
	assert.Contains(t, string(c.do("GET", itlAgentsMe, nil).must(t, http.StatusOK).raw), id, "a PATCH unarchives")
	assert.NotContains(t, string(c.do("GET", itlAgentsMe+"?is_archived=true", nil).must(t, http.StatusOK).raw), id)
}

func TestItellicoAccounts(t *testing.T) {
	tg := start(t)
	demo := tg.itellico(t)
	other := demo.withKey(tg.itlOther)

	for _, alias := range []string{"me", "current", itellicoAccount} {
		r := demo.do("GET", "/v1/accounts/"+alias+"/agents", nil).must(t, http.StatusOK)
		assert.Contains(t, string(r.raw), "22222222-2222-4222-8222-222222222222", alias)
	}
	cur := demo.do("GET", "/v1/accounts/current", nil).must(t, http.StatusOK)
	assert.Equal(t, itellicoAccount, cur.json["id"])
	subs := demo.do("GET", "/v1/accounts/me/subaccounts", nil).must(t, http.StatusOK)
	assert.Equal(t, 1.0, subs.json["count"])
	assert.Equal(t, itellicoSub, subs.path("items.0.id"))
	assert.Equal(t, itellicoAccount, subs.path("items.0.parent_account_id"))
	assert.Equal(t, itellicoOther, other.do("GET", "/v1/accounts/current", nil).must(t, http.StatusOK).json["id"])
	assert.Equal(t, 0.0, other.do("GET", "/v1/accounts/current/subaccounts", nil).must(t, http.StatusOK).json["count"])

	// The parent's key works in its subaccount; the subaccount's agents stay there.
	sub := demo.do("POST", "/v1/accounts/"+itellicoSub+"/agents", itlCreate(azureModel, deepgram, elevenlabs)).must(t, http.StatusCreated)
	subID := sub.json["id"].(string)
	assert.Equal(t, itellicoSub, sub.json["account_id"])
	demo.do("GET", "/v1/accounts/"+itellicoSub+"/agents/"+subID, nil).must(t, http.StatusOK)
	demo.do("GET", "/v1/accounts/me/agents/"+subID, nil).must(t, http.StatusNotFound)
	assert.NotContains(t, string(demo.do("GET", "/v1/accounts/me/agents", nil).must(t, http.StatusOK).raw), subID)

	// Another account's key reaches neither, and its aliases mean its own account.
	r := other.do("GET", "/v1/accounts/"+itellicoSub+"/agents/"+subID, nil).must(t, http.StatusForbidden)
	assert.Equal(t, "forbidden", r.json["code"])
	other.do("DELETE", "/v1/accounts/"+itellicoAccount+"/agents/22222222-2222-4222-8222-222222222222", nil).must(t, http.StatusForbidden)
	other.do("DELETE", "/v1/accounts/me/agents/22222222-2222-4222-8222-222222222222", nil).must(t, http.StatusNotFound)
	other.do("GET", "/v1/accounts/current/agents/"+subID, nil).must(t, http.StatusNotFound)
}

func TestItellicoSDKHeadersAreAccepted(t *testing.T) {
	c := start(t).itellico(t)
	r := c.do("GET", itlAgentsMe, nil, "User-Agent", "Itellicoai/JS 0.1.0", "X-Stainless-Lang", "js",
		"X-Stainless-Retry-Count", "0", "X-Stainless-Package-Version", "0.1.0", "Accept", "application/json").must(t, http.StatusOK)
	for _, h := range []string{"x-should-retry", "retry-after-ms", "Retry-After"} {
		assert.Empty(t, r.header.Get(h), h)
	}
	// The SDKs' "only required params" update sends {}.
	c.do("PATCH", itlAgentsMe+"/22222222-2222-4222-8222-222222222222", `{}`).must(t, http.StatusOK)
}
