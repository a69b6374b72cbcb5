package agentmocktest_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheSample keeps the README's sample test the one that runs
// here, line for line.
func TestREADMEShowsTheSample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("sample_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(sample)+"```") {
		t.Fatal("README.md must show agentmocktest/sample_test.go verbatim in a ```go block")
	}
}

// TestREADMEShowsTheTestcontainersExample does the same for the
// testcontainers-go example, which CI compiles but cannot run.
func TestREADMEShowsTheTestcontainersExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../docker/testcontainers/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```") {
		t.Fatal("README.md must show docker/testcontainers/example_test.go verbatim in a ```go block")
	}
}
