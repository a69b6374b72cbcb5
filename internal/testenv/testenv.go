// Package testenv holds what agentmock's tests share about the environment
// they run in.
package testenv

import (
	"os"
	"testing"
)

// Slow skips a test that takes more than a couple of seconds unless
// AGENTMOCK_SLOW_TESTS=1, which .ci/run sets, and always with -short.
func Slow(t testing.TB) {
	t.Helper()
	if os.Getenv("AGENTMOCK_SLOW_TESTS") != "1" {
		t.Skip("slow: set AGENTMOCK_SLOW_TESTS=1 to run it")
	}
	if testing.Short() {
		t.Skip("slow: skipped with -short")
	}
}
