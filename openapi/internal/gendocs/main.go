// Command gendocs writes the JSON copy of each YAML document in the current
// directory to json/NAME.json, for go generate ./openapi. The YAML stays the
// source people edit; the binary loads the copies, which kin-openapi and the
// order walk read several times faster.
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
		out, err := yamljson.Convert(data)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if err := os.WriteFile(filepath.Join("json", strings.TrimSuffix(src, ".yaml")+".json"), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
