package mock

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
)

func TestConformedKnowsOnlyWhatItWasTold(t *testing.T) {
	c := newConformed()
	op, other := &openapi3.Operation{}, &openapi3.Operation{}
	k := c.key(op, 200, []byte(`{"a":1}`))
	assert.False(t, c.has(k))
	c.add(k)
	assert.True(t, c.has(c.key(op, 200, []byte(`{"a":1}`))))
	for _, miss := range []conformedKey{
		c.key(op, 200, []byte(`{"a":2}`)),
		c.key(op, 201, []byte(`{"a":1}`)),
		c.key(other, 200, []byte(`{"a":1}`)),
		newConformed().key(op, 200, []byte(`{"a":1}`)), // another seed
	} {
		assert.False(t, c.has(miss), "%+v", miss)
	}
}

func TestConformedStaysBounded(t *testing.T) {
	c := newConformed()
	op := &openapi3.Operation{}
	body := func(i int) []byte { return []byte{byte(i), byte(i >> 8), byte(i >> 16)} }
	last := conformedMax + 9
	for i := range last + 1 {
		c.add(c.key(op, 200, body(i)))
	}
	assert.LessOrEqual(t, c.seen.len(), conformedMax)
	assert.True(t, c.has(c.key(op, 200, body(last))), "the newest is kept")
}
