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
			a := arena{limit: tc.limit}
			var copies [][]byte
			for i := range tc.n {
				doc := bytes.Repeat([]byte{byte('a' + i%26)}, tc.size)
				c := a.copy(doc)
				require.Equal(t, doc, c)
				assert.Equal(t, len(c), cap(c), "a copy cannot be appended into its neighbour")
				copies = append(copies, c)
				assert.LessOrEqual(t, cap(a.block), tc.maxBlock)
			}
			for i, c := range copies {
				assert.Equal(t, bytes.Repeat([]byte{byte('a' + i%26)}, tc.size), c, "copy %d kept", i)
			}
		})
	}
}
