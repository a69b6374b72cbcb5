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
