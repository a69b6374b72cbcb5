package openapi

import (
	"context"
	"embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// The binary loads JSON copies of the YAML documents, in a little over half
// the time: kin-openapi reads YAML by converting it to JSON first, and the
// order walk reads JSON without yaml.v3 (see orderTree).
//
//go:generate go run ./internal/gendocs
//go:embed json/diga.json json/itellico.json json/control.json
//go:embed json/diga.lean.json json/itellico.lean.json json/control.lean.json
var copies embed.FS

// LoadEmbedded loads one of the documents compiled into the binary (see
// Embedded) from its lean JSON copy, without the strict validation that its
// tests have done already: its Warnings are empty.
//
// The lean copy has no descriptions or summaries (yamljson.Lean), which no
// answer is made from: it loads in three quarters of the time, and loading
// is most of a cold start. JSON, for GET /_mock/openapi.json, loads the
// whole copy the first time it is asked for, and serves that.
func LoadEmbedded(ctx context.Context, name string) (*Spec, error) {
	data, err := embeddedJSON(name + ".lean")
	if err != nil {
		return nil, err
	}
	s, err := load(ctx, data, true)
	if err != nil {
		return nil, err
	}
	s.json = sync.OnceValues(func() ([]byte, error) {
		whole, err := embeddedJSON(name)
		if err != nil {
			return nil, err
		}
		// Decoded only: the router and the order walk serve no answer.
		loader := openapi3.NewLoader()
		loader.Context = context.WithoutCancel(ctx)
		doc, _, err := parse(loader, whole, true)
		if err != nil {
			return nil, err
		}
		return doc.MarshalJSON()
	})
	return s, nil
}

func embeddedJSON(name string) ([]byte, error) {
	data, err := copies.ReadFile("json/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("openapi: no embedded document %q: %w", name, err)
	}
	return data, nil
}
