package resources_test

import (
	"context"
	"os"
	"testing"

	"github.com/agentmock/agentmock/openapi"
	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(t *testing.T, file string) *openapi.Spec {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	spec, err := openapi.Load(context.Background(), data)
	require.NoError(t, err)
	return spec
}

func TestDeriveBindsEveryRule(t *testing.T) {
	m := resources.Derive(load(t, "testdata/widgets.yaml"), resources.Rules{TenantMembers: []string{"project_id"}})
	tests := []struct {
		key, resource string
		action        resources.Action
		name          string
	}{
		{"GET /v1/widget/", "widget", resources.List, ""},
		{"POST /v1/widget/", "widget", resources.Create, ""},
		{"GET /v1/widget/{}", "widget", resources.Get, ""},
		{"PATCH /v1/widget/{}", "widget", resources.Update, ""},
		{"DELETE /v1/widget/{}", "widget", resources.Delete, ""},
		{"POST /v1/widget/{}/rotate", "widget", resources.Rotate, "rotate"},
		{"POST /v1/widget/{}/duplicate", "widget", resources.Duplicate, "duplicate"},
		{"GET /v1/widget/{}/part", "part", resources.List, ""},
		{"POST /v1/widget/{}/part", "part", resources.Create, ""},
		{"GET /v1/widget/{}/part/{}", "part", resources.Get, ""},
		{"GET /v1/settings/", "settings", resources.Read, ""},
		{"PATCH /v1/settings/", "settings", resources.Write, ""},
		{"GET /v1/report/usage", "", resources.Generated, "no rule derives state for it (a report, a stream or a view)"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			b := m.Binding(tt.key)
			require.NotNil(t, b)
			assert.Equal(t, tt.action, b.Action)
			assert.Equal(t, tt.name, b.Name)
			if tt.resource == "" {
				assert.Nil(t, b.Resource)
				return
			}
			require.NotNil(t, b.Resource)
			assert.Equal(t, tt.resource, b.Resource.Name)
		})
	}
	widget := m.Resource("/v1/widget")
	require.NotNil(t, widget)
	assert.Equal(t, "widget_id", widget.IDMember, "the item's own parameter name, which the item declares")
	part := m.Resource("/v1/widget/{}/part")
	require.NotNil(t, part)
	assert.Same(t, widget, part.Parent)
	assert.Equal(t, "widget.part", part.Store, "nested records are named under their parent")
	assert.Equal(t, []string{"part_id"}, m.Binding("GET /v1/widget/{}/part/{}").Params[1:])
}

func TestTarget(t *testing.T) {
	m := resources.Derive(load(t, "testdata/widgets.yaml"), resources.Rules{})
	rules := resources.Rules{NotReferences: []string{"provider_widget_id"}, TenantMembers: []string{"project_id"}}
	tests := []struct {
		member, want string
	}{
		{"widget_id", "widget"},
		{"parent_widget_id", "widget"},
		{"widget_ids", "widget"},
		{"part_id", "part"},
		{"provider_widget_id", ""},
		{"project_id", ""},
		{"widget", ""},
		{"gadget_id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			got := m.Target(tt.member, rules)
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.Name)
		})
	}
}

func TestNames(t *testing.T) {
	spec := load(t, "testdata/widgets.yaml")
	tests := []struct {
		rules resources.Rules
		path  string
		name  string
		store string
	}{
		{resources.Rules{}, "/v1/widget", "widget", "widget"},
		{resources.Rules{Names: map[string]string{"/v1/widget": "widgets"}}, "/v1/widget", "widget", "widgets"},
		{resources.Rules{Names: map[string]string{"/v1/widget": "widgets"}}, "/v1/widget/{}/part", "part", "widgets.part"},
	}
	for _, tt := range tests {
		r := resources.Derive(spec, tt.rules).Resource(tt.path)
		require.NotNil(t, r, tt.path)
		assert.Equal(t, tt.name, r.Name)
		assert.Equal(t, tt.store, r.Store)
	}
}

// TestDeriveLinksAndAliases: a reference a request writes and the item
// answers as the record it names is embedded; a list named for another
// resource that references this one is its back-reference; a written name
// the item holds under a longer one is an alias.
func TestDeriveLinksAndAliases(t *testing.T) {
	m := resources.Derive(load(t, "testdata/lines.yaml"), resources.Rules{})
	line, trunk, desk := m.Resource("/v1/lines"), m.Resource("/v1/sip-trunks"), m.Resource("/v1/desks")
	require.NotNil(t, line)
	require.NotNil(t, trunk)
	require.NotNil(t, desk)

	type link struct {
		kind                resources.LinkKind
		member, via, to, id string
	}
	got := func(r *resources.Resource) []link {
		var out []link
		for _, l := range r.Links {
			require.NotNil(t, l.Shape, l.Member)
			out = append(out, link{l.Kind, l.Member, l.Via, l.Target.Name, l.ID})
		}
		return out
	}
	assert.Equal(t, []link{
		{resources.Embed, "inbound_desk", "inbound_desk_id", "desk", ""},
		{resources.Embed, "sip_trunk", "sip_trunk_id", "sip_trunk", ""},
	}, got(line))
	assert.Equal(t, []link{{resources.Backref, "lines", "sip_trunk_id", "line", "id"}}, got(trunk),
		"lines are named for the line resource, whose sip_trunk_id names a trunk")
	assert.Empty(t, got(desk), "no desk member lists lines: lines name desks as inbound_desk_id")

	assert.Equal(t, map[string]string{"name": "friendly_name"}, line.Aliases)
	assert.Empty(t, trunk.Aliases, "a name the item declares is no alias")
}

// TestDeriveDigaSurface pins the rules Diga's embedded document needs
// beyond plain CRUD: batch creates, a merge into each named child, and an
// excerpt of a record.
func TestDeriveDigaSurface(t *testing.T) {
	data, err := openapi.Embedded("diga")
	require.NoError(t, err)
	spec, err := openapi.Load(context.Background(), data)
	require.NoError(t, err)
	m := resources.Derive(spec, resources.Rules{})
	tests := []struct {
		key, resource string
		action        resources.Action
		batch, each   string
	}{
		{"POST /v1/knowledge/item/file", "knowledge_item", resources.Create, "successful_items", ""},
		{"POST /v1/knowledge/item/url", "knowledge_item", resources.Create, "successful_items", ""},
		{"POST /v1/knowledge/item/text", "knowledge_item", resources.Create, "", ""},
		{"POST /v1/phone/import", "phone", resources.Create, "", ""},
		{"PATCH /v1/integration/{}/tool-approval", "integration", resources.Merge, "", "tools"},
		{"GET /v1/recording/{}", "call", resources.Excerpt, "", ""},
		{"GET /v1/call/{}/message", "message", resources.List, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			b := m.Binding(tt.key)
			require.NotNil(t, b)
			require.NotNil(t, b.Resource)
			assert.Equal(t, tt.resource, b.Resource.Name)
			assert.Equal(t, tt.action, b.Action)
			assert.Equal(t, tt.batch, b.Batch)
			assert.Equal(t, tt.each, b.Each)
			if tt.each != "" {
				require.NotNil(t, b.Child)
				assert.Equal(t, "tool", b.Child.Name)
			}
		})
	}
	assert.True(t, m.Resource("/v1/knowledge/item").Writable["knowledge_base_id"], "a form's fields are written members too")
}
