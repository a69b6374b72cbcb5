package agentmocktest_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheExamples keeps the README's code the code that runs or
// compiles here, line for line: the Go helper's sample test, and the
// testcontainers-go example, which CI compiles but cannot run.
func TestREADMEShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"sample_test.go", "../docker/testcontainers/example_test.go"} {
		code, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```go\n"+string(code)+"```") {
			t.Errorf("README.md must show %s verbatim in a ```go block", file)
		}
	}
}
