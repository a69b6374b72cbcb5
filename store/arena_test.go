package store

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArenaCopiesAndSizesItsBlocks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		limit, n int
		size     int
		maxBlock int
	}{
		{"an agent's two versions", 0, 2, 1000, 4000},
		{"a page of 100", 100, 100, 1000, arenaBlock},
		{"one big document", 10, 1, 3 * arenaBlock, 3 * arenaBlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Arena{limit: tc.limit}
			var copies [][]byte
			for i := range tc.n {
				doc := bytes.Repeat([]byte{byte('a' + i%26)}, tc.size)
				c := a.copy(doc)
				require.Equal(t, doc, c)
				assert.Equal(t, len(c), cap(c), "a copy cannot be appended into its neighbour")
				copies = append(copies, c)
				assert.LessOrEqual(t, cap(a.blocks[len(a.blocks)-1]), tc.maxBlock)
			}
			for i, c := range copies {
				assert.Equal(t, bytes.Repeat([]byte{byte('a' + i%26)}, tc.size), c, "copy %d kept", i)
			}
		})
	}
}

// TestKeptArenaIsReused: an arena kept across pages allocates its blocks
// once; after Reset, the next pages' documents go into the same memory.
func TestKeptArenaIsReused(t *testing.T) {
	a := NewArena()
	fill := func(n, size int) [][]byte {
		var out [][]byte
		for i := range n {
			doc := bytes.Repeat([]byte{byte('a' + i%26)}, size)
			c := a.copy(doc)
			require.Equal(t, doc, c)
			assert.Equal(t, len(c), cap(c))
			out = append(out, c)
		}
		return out
	}
	first := fill(100, 900)
	for i, c := range first {
		assert.Equal(t, bytes.Repeat([]byte{byte('a' + i%26)}, 900), c, "copy %d kept", i)
	}
	size := a.Size()
	assert.Equal(t, 2*arenaBlock, size, "90 KB in two blocks")
	a.Reset()
	second := fill(100, 900)
	assert.Equal(t, size, a.Size(), "the second page needed no new block")
	assert.Same(t, &first[0][0], &second[0][0], "in the same memory")
	a.Reset()
	big := fill(1, 3*arenaBlock)
	assert.Equal(t, 3*arenaBlock, len(big[0]))
	assert.Equal(t, 5*arenaBlock, a.Size(), "a document bigger than a block gets one of its own")
}
