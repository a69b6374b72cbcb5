package mock

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"testing"

	"github.com/agentmock/agentmock/openapi/resources"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFormTypesFieldsAndKeepsFileMetadata(t *testing.T) {
	sch := &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeObject}, Properties: openapi3.Schemas{
		"file":  {Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Format: "binary"}}}},
		"tags":  {Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}}}},
		"count": {Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}}},
		"name":  {Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}},
	}}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(t, w.WriteField("tags", "a"))
	require.NoError(t, w.WriteField("tags", "b"))
	require.NoError(t, w.WriteField("count", "3"))
	require.NoError(t, w.WriteField("name", "first"))
	require.NoError(t, w.WriteField("name", "last"))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="faq.pdf"`)
	h.Set("Content-Type", "application/pdf")
	part, err := w.CreatePart(h)
	require.NoError(t, err)
	_, _ = part.Write([]byte("12345"))
	require.NoError(t, w.Close())

	fields, files, err := readForm(buf.Bytes(), w.Boundary(), sch)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"tags": []any{"a", "b"}, "count": json.Number("3"), "name": "last", "file": []any{"faq.pdf"}}, fields)
	require.Len(t, files, 1)
	assert.Equal(t, upload{member: "file", name: "faq.pdf", typ: "application/pdf", size: 5}, files[0])

	body := map[string]any{"file": []any{"faq.pdf"}, "tags": []any{"a"}}
	declared := func(k string) bool { return k == "name" || k == "content_type" || k == "size_bytes" || k == "tags" }
	files[0].describe(body, declared)
	assert.Equal(t, map[string]any{"name": "faq.pdf", "content_type": "application/pdf", "size_bytes": json.Number("5"), "tags": []any{"a"}}, body)
}

func TestParentMember(t *testing.T) {
	agent := &resources.Resource{Name: "agent"}
	version := &resources.Resource{Name: "version", Parent: agent}
	for ref, want := range map[string]string{
		"outbound_version_id":       "outbound_agent_id",
		"outbound_agent_version_id": "outbound_agent_id",
		"agent_version_id":          "agent_id",
		"version_id":                "agent_id",
	} {
		assert.Equal(t, want, parentMember(ref, version), ref)
	}
}
