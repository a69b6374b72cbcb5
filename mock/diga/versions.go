package diga

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/store"
)

// Resolve says which agent of the project a launched version belongs to:
// agent versions are kept by Diga's behaviour under their agent
// (agents.go), where the engine cannot find one by its id alone. A phone's
// inbound_version_id and outbound_version_id and a call's agent_version_id
// name them. The draft is no version a phone or a call can use.
func (d *diga) Resolve(tx *store.Tx, tenant, _, id string) (string, bool, error) {
	agents, err := tx.List(collDigaAgents, tenant, store.Query{})
	if err != nil {
		return "", false, fmt.Errorf("list agents: %w", err)
	}
	for _, a := range agents.Records {
		if _, err := tx.Get(collDigaVersions, versionsOf(tenant, a.ID), id); err == nil {
			return a.ID, true, nil
		}
	}
	return "", false, nil
}

// Keeps names the one resource Diga's behaviour keeps in its own layout.
func (d *diga) Keeps(resource string) bool { return resource == "version" }

// versionItem is one row of an agent as the versions dropdown shows it.
type versionItem struct {
	VersionID     string  `json:"version_id"`
	VersionName   *string `json:"version_name"`
	VersionNumber int     `json:"version_number"`
	IsPublished   bool    `json:"is_published"`
	IsDraft       bool    `json:"is_draft"`
}

// dropdown answers every agent of the project, newest first, with its
// versions in launch order and then its draft: what a version picker
// needs, read from the agents the behaviour keeps.
func (d *diga) dropdown(e provider.Engine) provider.Handler {
	return func(req *provider.Request) (provider.Response, error) {
		out := []any{}
		err := e.Store().View(req.Ctx, func(tx *store.Tx) error {
			out = out[:0]
			agents, err := tx.List(collDigaAgents, req.Tenant, store.Query{Desc: true})
			if err != nil {
				return err
			}
			for _, a := range agents.Records {
				draft, vs, err := versions(tx, req.Tenant, a.ID)
				if err != nil {
					return err
				}
				var head struct {
					Name *string `json:"name"`
				}
				_ = json.Unmarshal(draft.Doc, &head)
				items := make([]versionItem, 0, len(vs)+1)
				for _, v := range append(vs, draft) {
					var it versionItem
					if err := json.Unmarshal(v.Doc, &it); err != nil {
						return fmt.Errorf("agent %s row: %w", a.ID, err)
					}
					items = append(items, it)
				}
				out = append(out, map[string]any{"agent_id": a.ID, "name": head.Name, "versions": items})
			}
			return nil
		})
		if err != nil {
			return provider.Response{}, err
		}
		return provider.Response{Status: http.StatusOK, Body: out}, nil
	}
}
