package mock

import (
	"encoding/json"
	"testing"

	"github.com/agentmock/agentmock/mock/provider"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The examples of RFC 7396, appendix A.
var rfc7396 = []struct{ target, patch, want string }{
	{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
	{`{"a":"b"}`, `{"a":null}`, `{}`},
	{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
	{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
	{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
	{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
	{`["a","b"]`, `["c","d"]`, `["c","d"]`},
	{`{"a":"b"}`, `["c"]`, `["c"]`},
	{`{"a":"foo"}`, `null`, `null`},
	{`{"a":"foo"}`, `"bar"`, `"bar"`},
	{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
	{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
	{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	// Arrays replace verbatim: nulls inside them stay.
	{`{}`, `{"a":[null,{"b":null}]}`, `{"a":[null,{"b":null}]}`},
}

func TestMergePatchRFC7396(t *testing.T) {
	for _, tc := range rfc7396 {
		t.Run(tc.target+"+"+tc.patch, func(t *testing.T) {
			target, err := provider.DecodeJSON([]byte(tc.target))
			require.NoError(t, err)
			patch, err := provider.DecodeJSON([]byte(tc.patch))
			require.NoError(t, err)
			got, err := json.Marshal(provider.MergePatch(target, patch))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestMergePatchDoesNotShareThePatch(t *testing.T) {
	patch := map[string]any{"a": map[string]any{"b": []any{"x"}}}
	doc := provider.MergePatch(map[string]any{}, patch).(map[string]any)
	doc["a"].(map[string]any)["b"].([]any)[0] = "changed"
	doc["a"].(map[string]any)["new"] = 1
	assert.Equal(t, map[string]any{"a": map[string]any{"b": []any{"x"}}}, patch)
}

// FuzzMergePatch checks mergePatch against evanphx/json-patch, which
// implements RFC 7396 on bytes: wherever the library gives an answer for two
// JSON objects, ours is the same document.
func FuzzMergePatch(f *testing.F) {
	for _, tc := range rfc7396 {
		f.Add([]byte(tc.target), []byte(tc.patch))
	}
	f.Add([]byte(`{"metadata":{"a":1,"b":{"c":[1,2]}},"n":1.5e3}`), []byte(`{"metadata":{"b":{"c":null},"d":true},"n":12345678901234567890}`))
	f.Fuzz(func(t *testing.T, target, patch []byte) {
		tv, err1 := provider.DecodeJSON(target)
		pv, err2 := provider.DecodeJSON(patch)
		_, tObj := tv.(map[string]any)
		_, pObj := pv.(map[string]any)
		if err1 != nil || err2 != nil || !tObj || !pObj {
			return // the server merges only objects into objects
		}
		want, err := jsonpatch.MergePatch(target, patch)
		if err != nil {
			return
		}
		got, err := json.Marshal(provider.MergePatch(tv, pv))
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var a, b any
		if json.Unmarshal(got, &a) != nil || json.Unmarshal(want, &b) != nil {
			return // numbers beyond float64 on either side: compared no further
		}
		// The library drops null members of objects inside an array it
		// inserts under a new key; RFC 7396 returns a non-object patch value
		// as it is, and so do we. Compared without those.
		assert.Equal(t, pruneInArrays(b, false), pruneInArrays(a, false), "target %s patch %s", target, patch)
	})
}

func pruneInArrays(v any, inArray bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == nil && inArray {
				continue
			}
			out[k] = pruneInArrays(e, inArray)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pruneInArrays(e, true)
		}
		return out
	}
	return v
}

// TestNullMemberIsWhatAMergeRemoves: a patch with no null member is its own
// merge into nothing, which is why validate checks it uncopied.
func TestNullMemberIsWhatAMergeRemoves(t *testing.T) {
	for _, tc := range []struct {
		patch string
		want  bool
	}{
		{`{}`, false},
		{`{"a":1,"b":"x","c":[1,2]}`, false},
		{`{"a":[null]}`, false},
		{`{"a":[{"b":null}]}`, false},
		{`{"a":null}`, true},
		{`{"a":{"b":{"c":null}}}`, true},
		{`[null]`, false},
		{`"x"`, false},
	} {
		v, err := provider.DecodeJSON([]byte(tc.patch))
		require.NoError(t, err)
		assert.Equal(t, tc.want, nullMember(v), tc.patch)
		merged, err := json.Marshal(provider.MergePatch(nil, v))
		require.NoError(t, err)
		same, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, !tc.want, string(merged) == string(same), "%s merges to %s", tc.patch, merged)
	}
}
