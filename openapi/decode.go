package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// decodeParallel decodes a JSON document as kin-openapi's LoadFromData does,
// in less time, for the embedded copies, whose members are spelled exactly.
// kin's T.UnmarshalJSON decodes the whole document twice: once into the
// model, and once more into a generic map only to keep the members it does
// not know as extensions. Here the top level is split once, the paths and
// the components, most of the bytes, are decoded at once on two goroutines,
// and only the unknown members are decoded as extensions.
// TestJSONCopiesLoadAsTheYAML checks the result is kin's own.
func decodeParallel(loader *openapi3.Loader, data []byte) (*openapi3.T, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	doc := &openapi3.T{}
	fields := map[string]any{
		"openapi": &doc.OpenAPI, "info": &doc.Info, "security": &doc.Security, "servers": &doc.Servers,
		"tags": &doc.Tags, "externalDocs": &doc.ExternalDocs, "webhooks": &doc.Webhooks,
		"jsonSchemaDialect": &doc.JSONSchemaDialect,
	}
	var paths openapi3.Paths
	var components openapi3.Components
	var pathsErr, componentsErr error
	var wg sync.WaitGroup
	if raw, ok := top["paths"]; ok {
		wg.Go(func() { pathsErr = json.Unmarshal(raw, &paths) })
	}
	if raw, ok := top["components"]; ok {
		wg.Go(func() { componentsErr = json.Unmarshal(raw, &components) })
	}
	var err error
	for key, raw := range top {
		if key == "paths" || key == "components" {
			continue
		}
		if dst, known := fields[key]; known {
			err = json.Unmarshal(raw, dst)
		} else {
			if doc.Extensions == nil {
				doc.Extensions = map[string]any{}
			}
			var v any
			err = json.Unmarshal(raw, &v)
			doc.Extensions[key] = v
		}
		if err != nil {
			break
		}
	}
	wg.Wait()
	if err != nil || pathsErr != nil || componentsErr != nil {
		return nil, fmt.Errorf("decode the document: %w", errors.Join(err, pathsErr, componentsErr))
	}
	if _, ok := top["paths"]; ok {
		doc.Paths = &paths
	}
	if _, ok := top["components"]; ok {
		doc.Components = &components
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, err
	}
	return doc, nil
}
