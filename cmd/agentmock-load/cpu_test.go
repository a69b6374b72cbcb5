package main

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatTicks(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		ticks      int64
		ok         bool
	}{
		{"plain", "1234 (agentmock) S 1 1234 1234 0 -1 4194560 812 0 0 0 250 37 0 0 20 0 8 0 1000 0 0", 287, true},
		{"a name with spaces and parentheses", "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0", 11, true},
		{"cut short", "77 (x) R 1 2 3", 0, false},
		{"no name", "77 x R 1 2 3 4 5 6 7 8 9 10 11 12", 0, false},
		{"not a number", "77 (x) R 1 77 77 0 -1 0 0 0 0 0 five 6 0 0", 0, false},
		{"negative", "77 (x) R 1 77 77 0 -1 0 0 0 0 0 -5 6 0 0", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := statTicks([]byte(tc.stat))
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.ticks, got)
		})
	}
}

// TestMeasuredGivesCPUPerRequest: a measurement that burns this process's
// CPU is given a CPU time per request near what it burned.
func TestMeasuredGivesCPUPerRequest(t *testing.T) {
	if _, err := cpuTime(os.Getpid()); errors.Is(err, errNoCPU) {
		t.Skip(err)
	}
	const burn = 200 * time.Millisecond
	r, err := measured(os.Getpid(), func() (result, error) {
		// Busy, not asleep: CPU time moves only while the CPU works.
		for start := time.Now(); time.Since(start) < burn; {
		}
		return result{statuses: map[int]int{200: 8, 422: 2}}, nil
	})
	require.NoError(t, err)
	assert.InDelta(t, float64(burn/10), float64(r.cpu), float64(burn/10), "about %s for each of the 10 requests, got %s", burn/10, r.cpu)
	assert.Greater(t, r.cpu, time.Duration(0))

	failed, err := measured(os.Getpid(), func() (result, error) { return result{}, errors.New("no") })
	assert.Error(t, err)
	assert.Zero(t, failed.cpu)
	none, err := measured(os.Getpid(), func() (result, error) { return result{}, nil })
	require.NoError(t, err)
	assert.Zero(t, none.cpu, "no request answered: no figure")
	assert.Equal(t, "–", cpuSpaced(none.cpu))
	assert.Equal(t, "69 µs", cpuSpaced(69*time.Microsecond))
}
