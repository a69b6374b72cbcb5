package openapi

import (
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"gopkg.in/yaml.v3"
)

// FromSwagger2 converts a Swagger 2.0 document (YAML or JSON) to OpenAPI 3
// JSON with kin-openapi's openapi2conv, which users' older documents need;
// ok is false, and data untouched, for any other document.
func FromSwagger2(data []byte) ([]byte, bool, error) {
	var head struct {
		Swagger string `yaml:"swagger"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil || head.Swagger == "" {
		return data, false, nil // not Swagger: Load reports what it is
	}
	if head.Swagger != "2.0" {
		return nil, false, fmt.Errorf("openapi: swagger %q is not a version agentmock reads (2.0, or OpenAPI 3)", head.Swagger)
	}
	// Swagger 2.0 is JSON Schema shaped; YAML goes through a generic tree
	// to JSON first, as openapi2.T reads JSON.
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return nil, false, fmt.Errorf("openapi: swagger 2.0: %w", err)
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, false, fmt.Errorf("openapi: swagger 2.0: %w", err)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return nil, false, fmt.Errorf("openapi: swagger 2.0: %w", err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, false, fmt.Errorf("openapi: convert swagger 2.0: %w", err)
	}
	out, err := doc3.MarshalJSON()
	if err != nil {
		return nil, false, fmt.Errorf("openapi: convert swagger 2.0: %w", err)
	}
	return out, true, nil
}
