package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stack builds a sample of the frames, given leaf first, one location each;
// "a|b" is one location, a inlined into b, as profiles list inlined calls:
// innermost first.
func stack(frames ...string) *profile.Sample {
	s := &profile.Sample{Value: []int64{1, 10_000_000}}
	for _, f := range frames {
		loc := &profile.Location{}
		for _, fn := range strings.Split(f, "|") {
			loc.Line = append(loc.Line, profile.Line{Function: &profile.Function{Name: fn}})
		}
		s.Location = append(s.Location, loc)
	}
	return s
}

const (
	serve    = "net/http.(*conn).serve"
	echoMux  = "github.com/labstack/echo/v4.(*Echo).ServeHTTP"
	handle   = "github.com/agentmock/agentmock/mock.(*Server).handle"
	goexit   = "runtime.goexit"
	validate = "github.com/agentmock/agentmock/openapi.(*Spec).Check"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		want   string
		frames []string
	}{
		{"syscalls", []string{"internal/runtime/syscall/linux.Syscall6", "syscall.Syscall", "syscall.write", "internal/poll.(*FD).Write", "net.(*conn).Write", "bufio.(*Writer).Flush", serve, goexit}},
		{"syscalls", []string{"runtime.futex", "runtime.futexsleep", "runtime.notesleep", "runtime.stopm", "runtime.findRunnable", "runtime.schedule", goexit}},
		{"syscalls", []string{"golang.org/x/sys/unix.Fdatasync", "go.etcd.io/bbolt.fdatasync", "go.etcd.io/bbolt.(*Tx).Commit", handle, goexit}},
		{"commit", []string{"go.etcd.io/bbolt.(*node).spill", "go.etcd.io/bbolt.(*Tx).Commit", handle, echoMux, serve, goexit}},
		{"scheduler", []string{"runtime.findRunnable", "runtime.schedule", "runtime.park_m", "runtime.mcall"}},
		{"scheduler", []string{"runtime.netpoll", "runtime.findRunnable", "runtime.schedule"}},
		{"collector", []string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker.func2", "runtime.systemstack", "runtime.gcBgMarkWorker", goexit}},
		{"collector", []string{"runtime.(*mheap).allocSpan", "runtime.(*mcentral).grow", "runtime.mallocgcSmallScanNoHeader", "runtime.mallocgc", "encoding/json.Marshal", handle, goexit}},
		{"collector", []string{"runtime.memclrNoHeapPointers", "runtime.mallocgc", "runtime.makeslice", "bufio.NewReaderSize", serve, goexit}},
		{"collector", []string{"runtime.bgsweep", goexit}},
		{"JSON", []string{"runtime.memmove", "encoding/json.(*encodeState).string", "encoding/json.Marshal", handle, goexit}},
		{"JSON", []string{"runtime.mapaccess2_faststr", "github.com/agentmock/agentmock/openapi.(*Spec).encode", "github.com/agentmock/agentmock/openapi.(*Spec).Encode", handle}},
		{"validation", []string{"github.com/getkin/kin-openapi/openapi3.(*Schema).visitJSON", "github.com/getkin/kin-openapi/openapi3.(*Schema).VisitJSON", validate, handle, echoMux, serve, goexit}},
		{"validation", []string{"regexp.(*Regexp).doExecute", "github.com/getkin/kin-openapi/openapi3.(*Schema).visitJSONString", validate, handle}},
		{"validation", []string{"strings.Index", validate, handle, goexit}},
		{"routing", []string{"regexp.(*Regexp).doExecute", "github.com/gorilla/mux.(*Router).Match", serve}},
		{"routing", []string{"github.com/agentmock/agentmock/openapi.(*template).match", "github.com/agentmock/agentmock/openapi.(*router).find", "github.com/agentmock/agentmock/openapi.(*Spec).FindRoute", handle}},
		{"routing", []string{"strings.Split", "github.com/labstack/echo/v4.(*Router).Find", echoMux, serve, goexit}},
		{"merge", []string{"github.com/agentmock/agentmock/mock/provider.MergePatch", "github.com/agentmock/agentmock/mock/provider.(*Resource).Merge", handle}},
		{"merge", []string{"github.com/evanphx/json-patch/v5.MergePatch", handle}},
		{"JSON", []string{"encoding/json.Unmarshal", "github.com/agentmock/agentmock/mock/provider.(*Resource).Merge", handle}},
		{"net/http", []string{"net/textproto.CanonicalMIMEHeaderKey", "net/http.readRequest", serve, goexit}},
		{"net/http", []string{"sync.(*Pool).Get", "bufio.NewWriterSize", serve, goexit}},
		{"other", []string{"strings.Builder.WriteString", "github.com/agentmock/agentmock/mock.(*journal).record", handle, echoMux, serve, goexit}},
		{"other", []string{"runtime.memmove", "crypto/sha256.block", goexit}},
		{"other", []string{"runtime.goexit"}},
		{"other", nil},
		// Inlined calls share a location, innermost first.
		{"JSON", []string{"encoding/json.isValidNumber|github.com/agentmock/agentmock/mock.(*Server).decode", echoMux}},
		{"other", []string{"strconv.Itoa|github.com/agentmock/agentmock/mock.(*Server).decode|encoding/json.Marshal", echoMux}},
	} {
		assert.Equal(t, tc.want, classify(categories(), stack(tc.frames...)), "%v", tc.frames)
	}
}

// TestCategoriesMatchTheSummary: every category the rules name is one the
// summaries list, and the other way round.
func TestCategoriesMatchTheSummary(t *testing.T) {
	named := map[string]bool{"other": true}
	for _, c := range categories() {
		if c.name != passThrough {
			named[c.name] = true
		}
		assert.NotEmpty(t, c.prefixes, c.name)
	}
	assert.Len(t, categoryOrder(), len(named))
	for _, c := range categoryOrder() {
		assert.True(t, named[c], c)
	}
}

func TestSummarize(t *testing.T) {
	p := &profile.Profile{Sample: []*profile.Sample{
		stack("syscall.write", serve),
		stack("encoding/json.Marshal", handle),
		stack("go.etcd.io/bbolt.(*Tx).Commit", handle),
		stack("runtime.gcDrain", "runtime.gcBgMarkWorker"),
	}}
	p.Sample[0].Value[0] = 5 // five samples with the one stack
	b := summarize(p)
	assert.Equal(t, int64(8), b.total)
	assert.Equal(t, "syscalls 62% · net/http 0% · routing 0% · validation 0% · merge 0% · commit 12% · JSON 12% · collector 12% · scheduler 0% · other 0%", b.String())
	assert.Equal(t, "no samples", breakdown{}.String())
}

// TestFetchProfile asks for the profile as net/http/pprof serves it, and
// parses the format it is served in (gzipped profile.proto, as
// profile.Write writes it).
func TestFetchProfile(t *testing.T) {
	var buf bytes.Buffer
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample:     []*profile.Sample{stack("syscall.write", serve), stack("encoding/json.Marshal", handle)},
	}
	var id uint64
	for _, s := range p.Sample {
		for _, loc := range s.Location {
			id++
			loc.ID = id
			p.Location = append(p.Location, loc)
			for _, l := range loc.Line {
				l.Function.ID = id
				p.Function = append(p.Function, l.Function)
			}
		}
	}
	require.NoError(t, p.Write(&buf))
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.String()
		if r.URL.Path != "/debug/pprof/profile" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	b, err := fetchProfile(context.Background(), srv.URL, 2)
	require.NoError(t, err)
	assert.Equal(t, "/debug/pprof/profile?seconds=2", asked)
	assert.Equal(t, int64(2), b.total)
	assert.Equal(t, int64(1), b.by["syscalls"])
	assert.Equal(t, int64(1), b.by["JSON"])

	_, err = fetchProfile(context.Background(), srv.URL+"/nothing", 1)
	assert.ErrorContains(t, err, "404")
}

// TestFetchRealProfile parses what Go's own profiler writes, served by
// net/http/pprof, as agentmock's --pprof serves it.
func TestFetchRealProfile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(pprof.Profile))
	t.Cleanup(srv.Close)
	_, err := fetchProfile(context.Background(), srv.URL, 1)
	require.NoError(t, err)
}
