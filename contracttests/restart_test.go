package contracttests

import (
	"net/http"
	"testing"

	"github.com/agentmock/agentmock/agentmocktest"
	"github.com/stretchr/testify/assert"
)

// TestDataSurvivesRestart writes through one server, stops it, and reads
// through a new one on the same file.
func TestDataSurvivesRestart(t *testing.T) {
	inProcessOnly(t)
	first := start(t)
	db := first.srv.DBPath
	d := first.diga(t)
	digaID := newDigaAgent(t, d)
	d.do("PATCH", "/v1/agent/"+digaID, `{"name":"kept"}`).must(t, http.StatusOK)
	it := first.itellico(t)
	itlID := newItellicoAgent(t, it)
	it.do("PATCH", agentsPath(itellicoAccount)+"/"+itlID, `{"metadata":{"kept":true}}`).must(t, http.StatusOK)
	it.do("DELETE", agentsPath(itellicoAccount)+"/"+itlID, nil).must(t, http.StatusNoContent)
	// Release the file: agentmocktest closes it at cleanup, so close it now.
	first.srv.Close()

	second := start(t, agentmocktest.WithDB(db))
	assert.Equal(t, "kept", second.diga(t).do("GET", "/v1/agent/"+digaID, nil).must(t, http.StatusOK).json["name"])
	got := second.itellico(t).do("GET", agentsPath(itellicoAccount)+"/"+itlID, nil).must(t, http.StatusOK)
	assert.Equal(t, map[string]any{"kept": true}, got.json["metadata"])
	archived := second.itellico(t).do("GET", agentsPath(itellicoAccount)+"?is_archived=true", nil).must(t, http.StatusOK)
	assert.Equal(t, 1.0, archived.json["count"], "the archive flag survives too")
	// Fixtures are loaded into a new database only: the sample agents are
	// not duplicated.
	list := second.diga(t).do("GET", "/v1/agent/?limit=100", nil).must(t, http.StatusOK)
	assert.Len(t, list.json["data"], 2)
}

func TestAllowUnknownFieldsDropsThem(t *testing.T) {
	inProcessOnly(t)
	tg := start(t, agentmocktest.WithAllowUnknownFields())
	d := tg.diga(t)
	id := newDigaAgent(t, d)
	r := d.do("PATCH", "/v1/agent/"+id, `{"name":"x","future_field":1,"integrations":[]}`).must(t, http.StatusOK)
	assert.NotContains(t, r.json, "future_field")
	assert.Equal(t, "x", r.json["name"])
	it := tg.itellico(t)
	itlID := newItellicoAgent(t, it)
	r = it.do("PATCH", agentsPath(itellicoAccount)+"/"+itlID, `{"volume":{"web":0.1,"loud":true},"extra":1}`).must(t, http.StatusOK)
	assert.NotContains(t, r.json, "extra")
	assert.Equal(t, map[string]any{"web": 0.1, "telephony": 0.5, "allow_adjustment": true}, r.json["volume"])
}
