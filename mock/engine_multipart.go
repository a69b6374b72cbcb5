package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
	"github.com/getkin/kin-openapi/openapi3"
)

// A multipart/form-data body is read into an object of its fields, typed
// as the form's schema declares them (an array member collects every
// field of its name), so that it is validated as a JSON body is. A file
// part stands for its file's name there; what the server keeps of the
// file is its metadata (upload), never its bytes.

// upload is what the server keeps of one file part.
type upload struct {
	member string // the form field it came in
	name   string // the file's name
	typ    string // its media type
	size   int64  // its length in bytes
}

// isForm reports whether a request carries a multipart/form-data body,
// and returns its boundary.
func isForm(r *http.Request) (string, bool) {
	mt, params, err := mediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != openapi.FormMediaType || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

// readForm decodes a form body into its fields and its files.
func readForm(data []byte, boundary string, sch *openapi3.Schema) (map[string]any, []upload, error) {
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	values := map[string][]any{}
	var order []string
	var files []upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, provider.Fail(http.StatusBadRequest, "The multipart body could not be read: "+err.Error())
		}
		name := part.FormName()
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, provider.Fail(http.StatusBadRequest, "The multipart body could not be read: "+err.Error())
		}
		if name == "" {
			continue
		}
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		if fn := part.FileName(); fn != "" {
			typ := part.Header.Get("Content-Type")
			if typ == "" {
				typ = "application/octet-stream"
			}
			files = append(files, upload{member: name, name: fn, typ: typ, size: int64(len(content))})
			values[name] = append(values[name], fn)
			continue
		}
		values[name] = append(values[name], formValue(member(sch, name), string(content)))
	}
	fields := make(map[string]any, len(values))
	for _, name := range order {
		vs := values[name]
		if pv := openapi.View(member(sch, name)); pv != nil && pv.Type.Is(openapi3.TypeArray) {
			fields[name] = vs
			continue
		}
		fields[name] = vs[len(vs)-1]
	}
	return fields, files, nil
}

// member is the schema of a form's field, its items' for an array.
func member(sch *openapi3.Schema, name string) *openapi3.Schema {
	v := openapi.View(sch)
	if v == nil || v.Properties[name] == nil {
		return nil
	}
	return v.Properties[name].Value
}

// formValue types a field's text as its schema says, leaving text that
// does not parse as it is, for validation to report.
func formValue(sch *openapi3.Schema, text string) any {
	v := openapi.View(sch)
	if v != nil && v.Type.Is(openapi3.TypeArray) && v.Items != nil {
		v = openapi.View(v.Items.Value)
	}
	switch {
	case v == nil || v.Type == nil:
		return text
	case v.Type.Is(openapi3.TypeInteger), v.Type.Is(openapi3.TypeNumber):
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			return json.Number(text)
		}
	case v.Type.Is(openapi3.TypeBoolean):
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	case v.Type.Is(openapi3.TypeObject):
		var obj any
		if err := json.Unmarshal([]byte(text), &obj); err == nil {
			return obj
		}
	}
	return text
}

// uploads re-reads a form request's files, for the create that stores
// them.
func uploads(req *provider.Request) ([]upload, error) {
	boundary, ok := isForm(req.HTTP)
	if !ok {
		return nil, nil
	}
	_, files, err := readForm(req.Raw, boundary, req.Route.FormSchema())
	if err != nil {
		return nil, fmt.Errorf("read form: %w", err)
	}
	return files, nil
}

// fileMembers name, by what they hold, the record members a file's
// metadata goes to: the first the record declares of each.
var fileMembers = struct{ name, typ, size []string }{
	name: []string{"name", "file_name", "filename"},
	typ:  []string{"content_type", "mime_type", "media_type", "file_type"},
	size: []string{"size_bytes", "size", "file_size", "bytes"},
}

// describe sets a file's metadata into the members of a record body that
// hold it, where the record declares them; a name the form gives wins.
func (u upload) describe(body map[string]any, declared func(string) bool) {
	set := func(names []string, v any, keep bool) {
		for _, n := range names {
			if declared(n) {
				if _, given := body[n]; !(keep && given && body[n] != nil) {
					body[n] = v
				}
				return
			}
		}
	}
	set(fileMembers.name, u.name, true)
	set(fileMembers.typ, u.typ, false)
	set(fileMembers.size, json.Number(strconv.FormatInt(u.size, 10)), false)
	delete(body, u.member)
}
