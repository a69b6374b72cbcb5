package openapi

import (
	"context"
	"embed"
	"fmt"
)

// The binary loads JSON copies of the YAML documents, in a little over half
// the time: kin-openapi reads YAML by converting it to JSON first, and the
// order walk reads JSON without yaml.v3 (see orderTree).
//
//go:generate go run ./internal/gendocs
//go:embed json/diga.json json/itellico.json json/control.json
var copies embed.FS

// LoadEmbedded loads one of the documents compiled into the binary (see
// Embedded) from its JSON copy, without the strict validation that its tests
// have done already: its Warnings are empty.
func LoadEmbedded(ctx context.Context, name string) (*Spec, error) {
	data, err := embeddedJSON(name)
	if err != nil {
		return nil, err
	}
	return load(ctx, data, true)
}

func embeddedJSON(name string) ([]byte, error) {
	data, err := copies.ReadFile("json/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("openapi: no embedded document %q: %w", name, err)
	}
	return data, nil
}
