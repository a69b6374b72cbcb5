package provider

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFingerprint: the same bytes give the same Fingerprint, other bytes
// (one bit apart, or one byte longer) another, and two Fingerprinters are
// seeded apart.
func TestFingerprint(t *testing.T) {
	f := NewFingerprinter()
	page := bytes.Repeat([]byte(`{"agent_id":"a","name":"x"},`), 4000)
	assert.Equal(t, f.Of(page), f.Of(bytes.Clone(page)))
	flipped := bytes.Clone(page)
	flipped[len(flipped)/2] ^= 1
	for name, other := range map[string][]byte{"one bit": flipped, "longer": append(bytes.Clone(page), ' '), "shorter": page[:len(page)-1], "empty": nil} {
		assert.NotEqual(t, f.Of(page), f.Of(other), name)
	}
	assert.NotEqual(t, f.Of(page), NewFingerprinter().Of(page), "each Fingerprinter has its own seed")
}
