package provider

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ raw, name, want string }{
		{"", "a", ""},
		{"a=1", "a", "1"},
		{"a=1&a=2", "a", "1"},
		{"b=1&a=2", "a", "2"},
		{"a", "a", ""},
		{"a%3D=x", "a=", "x"},
		{"a+b=c+d", "a b", "c d"},
		{"a=%zz&a=2", "a", "2"},
		{"a=1;b=2&a=3", "a", "3"},
		{"&&a=1", "a", "1"},
		{"=1", "", "1"},
		{"&=2", "", "2"},
		{"is_published=false", "version_id", ""},
	} {
		assert.Equal(t, tc.want, Query(tc.raw).Get(tc.name), "%q %q", tc.raw, tc.name)
		assert.Equal(t, tc.want, parsed(tc.raw).Get(tc.name), "the reference, for %q %q", tc.raw, tc.name)
	}
}

// FuzzQuery: for any query and name, Query.Get answers as url.ParseQuery.
func FuzzQuery(f *testing.F) {
	for _, seed := range [][2]string{{"a=1&b=2", "b"}, {"a%20b=c", "a b"}, {"a=1;a=2", "a"}, {"a=%", "a"}, {"=&=", ""}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, raw, name string) {
		assert.Equal(t, parsed(raw).Get(name), Query(raw).Get(name), "%q %q", raw, name)
	})
}

func parsed(raw string) url.Values {
	q, _ := url.ParseQuery(raw)
	return q
}
