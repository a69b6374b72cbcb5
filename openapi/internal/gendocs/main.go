// Command gendocs writes the JSON copies of each YAML document in the
// current directory, for go generate ./openapi: json/NAME.json, the whole
// document, which GET /_mock/openapi.json serves, and json/NAME.lean.json,
// the same without its prose (yamljson.Lean), which the binary loads. The
// YAML stays the source people edit; kin-openapi and the order walk read
// the copies several times faster.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentmock/agentmock/openapi/internal/yamljson"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run() error {
	sources, err := filepath.Glob("*.yaml")
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("no YAML documents here: run it as go generate ./openapi")
	}
	if err := os.MkdirAll("json", 0o755); err != nil {
		return err
	}
	for _, src := range sources {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(src, ".yaml")
		for suffix, convert := range map[string]func([]byte) ([]byte, error){".json": yamljson.Convert, ".lean.json": yamljson.Lean} {
			out, err := convert(data)
			if err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
			if err := os.WriteFile(filepath.Join("json", name+suffix), out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
