package mock

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"agent", "agent", 0},
		{"agent", "agents", 1},
		{"agnet", "agent", 2},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"abc", "", 3},
	} {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

// TestNearestNamesTheClosestOperations: a 404's suggestions put the
// operation a typo or a plural missed first, and a segment far longer than
// any template's costs no comparison: its allocations do not grow with it.
func TestNearestNamesTheClosestOperations(t *testing.T) {
	spec := openTestApp(t).Server("diga").spec
	got := nearest(spec, "GET", "/v1/Agents/11111111-1111-4111-8111-111111111111")
	require.Len(t, got, 3)
	assert.True(t, strings.HasPrefix(got[0], "GET /v1/agent/{"), "%v", got)

	long := "/v1/" + strings.Repeat("a", 200_000)
	require.Len(t, nearest(spec, "GET", long), 3)
	allocs := testing.AllocsPerRun(3, func() { nearest(spec, "GET", long) })
	short := testing.AllocsPerRun(3, func() { nearest(spec, "GET", "/v1/a") })
	assert.LessOrEqual(t, allocs, short+10, "a long segment was compared")
}
