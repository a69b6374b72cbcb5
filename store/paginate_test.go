package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/agentmock/agentmock/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPaginateIsList holds the in-memory Paginate to the stored List: the
// same page, HasMore and Total for every kind of query, since both are
// one walk over different sources.
func TestPaginateIsList(t *testing.T) {
	st, _ := open(t)
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		id := fmt.Sprintf("r%d", i)
		ids = append(ids, id)
		_, err := st.Create(ctx, "c", "t", id, []byte(fmt.Sprintf(`{"n":%d}`, i)))
		require.NoError(t, err)
	}
	all, err := st.List(ctx, "c", "t", store.Query{})
	require.NoError(t, err)
	require.Len(t, all.Records, 7)
	even := func(doc []byte) bool { return (doc[5]-'0')%2 == 0 }
	tests := []store.Query{
		{}, {Limit: 3}, {Limit: 3, Desc: true}, {Offset: 2, Limit: 2, Count: true}, {Offset: 10, Limit: 2, Count: true},
		{After: ids[2], Limit: 2}, {After: ids[2], Limit: 2, Desc: true}, {Before: ids[5], Limit: 2}, {Before: ids[5], Limit: 2, Desc: true},
		{Match: even, Limit: 2, Count: true}, {Match: even, After: ids[1], Limit: 5},
		{After: "nope", Limit: 2},
	}
	for _, q := range tests {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			want, werr := st.List(ctx, "c", "t", q)
			got, gerr := store.Paginate(all.Records, q)
			assert.Equal(t, errors.Is(werr, store.ErrCursor), errors.Is(gerr, store.ErrCursor))
			assert.Equal(t, want.HasMore, got.HasMore)
			assert.Equal(t, want.Total, got.Total)
			require.Equal(t, len(want.Records), len(got.Records))
			for i := range want.Records {
				assert.Equal(t, want.Records[i].ID, got.Records[i].ID)
			}
		})
	}
}
