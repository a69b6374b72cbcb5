package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	// The parser of the format Go's CPU profiles are written in (gzipped
	// profile.proto), by the Go team's pprof: runtime/pprof writes it but
	// the standard library has no reader.
	"github.com/google/pprof/profile"
)

// A category is a share of agentmock's CPU time, named by what the time
// went to.
type category struct {
	name string
	// prefixes of the function names, as Go's profiles spell them
	// ("net/http.(*conn).serve"), whose frames are the category's.
	prefixes []string
}

// passThrough names the rules whose frames decide nothing: helpers whose
// time is their caller's (a memmove in encoding/json is JSON's), and the
// roots of every goroutine's stack.
const passThrough = ""

// categories is the classifier's rule table. A sample goes to the category
// of its leaf-most frame that a rule matches, and a frame to the first rule
// in this order that matches it: the specific prefixes (runtime.mallocgc,
// the router and encoder in agentmock's openapi package) come before the
// general ones (runtime., the rest of that package, agentmock) that would
// otherwise take them. agentmock's own code is "other" and stops the walk,
// or the callers that dispatch to it (echo, net/http) would be charged with
// its time.
func categories() []category {
	return []category{
		{"collector", []string{
			"runtime.gc", "runtime.(*gc", "runtime.malloc", "runtime.newobject", "runtime.newarray",
			"runtime.makeslice", "runtime.growslice", "runtime.scanobject", "runtime.scanObject",
			"runtime.scanblock", "runtime.scanstack", "runtime.scanframe", "runtime.scanSpan",
			"runtime.markroot", "runtime.markBits", "runtime.greyobject", "runtime.shade",
			"runtime.findObject", "runtime.spanOf", "runtime.heapBits", "runtime.heapSetType",
			"runtime.typePointers", "runtime.(*typePointers)", "runtime.bulkBarrier", "runtime.wb",
			"runtime.(*wbBuf)", "runtime.(*mheap)", "runtime.(*mcache)", "runtime.(*mcentral)",
			"runtime.(*mspan)", "runtime.(*pageAlloc)", "runtime.(*pageCache)", "runtime.(*spanSet)",
			"runtime.(*spanQueue)", "runtime.(*sweep", "runtime.(*activeSweep)", "runtime.(*scaveng",
			"runtime.memclrNoHeapPointers", "runtime.bgsweep", "runtime.sweepone", "runtime.bgscavenge",
			"runtime.scavenge", "runtime.nextFreeFast", "runtime.deductAssistCredit",
			"runtime.deductSweepCredit", "runtime.freeSomeWbufs", "runtime.sysAlloc", "runtime.sysUsed",
			"runtime.sysUnused", "runtime.sysHugePage", "runtime.madvise",
		}},
		{"syscalls", []string{
			"syscall.", "internal/runtime/syscall.", "internal/runtime/syscall/", "internal/poll.",
			"runtime.futex", "golang.org/x/sys/unix.",
		}},
		{passThrough, []string{
			"runtime.goexit", "runtime.main", "runtime.memmove", "runtime.memequal", "runtime.memhash",
			"runtime.aeshash", "runtime.strhash", "runtime.interhash", "runtime.nilinterhash",
			"runtime.typehash", "runtime.cmpstring", "runtime.concatstring", "runtime.slicebytetostring",
			"runtime.stringtoslice", "runtime.slicerunetostring", "runtime.intstring", "runtime.rawstring",
			"runtime.rawbyteslice", "runtime.encoderune", "runtime.decoderune", "runtime.countrunes",
			"runtime.convT", "runtime.convI", "runtime.assertE2I", "runtime.typeAssert", "runtime.getitab",
			"runtime.ifaceeq", "runtime.efaceeq", "runtime.mapaccess", "runtime.mapassign",
			"runtime.mapdelete", "runtime.mapiter", "runtime.makemap", "runtime.typedmemmove",
			"runtime.typedslicecopy", "runtime.duffcopy", "runtime.duffzero", "runtime.memclrHasPointers",
			"runtime.chansend", "runtime.chanrecv", "runtime.closechan", "runtime.selectnbsend",
			"runtime.selectnbrecv", "runtime.lock", "runtime.unlock", "runtime.procyield",
			"runtime.deferreturn", "runtime.deferproc", "runtime.nanotime", "runtime.walltime",
			"runtime.asyncPreempt",
			// Used by routers, by the validator (patterns) and by agentmock's
			// journal alike: the caller says which.
			"regexp.", "regexp/syntax.",
		}},
		{"scheduler", []string{"runtime."}},
		{"commit", []string{"go.etcd.io/bbolt."}},
		{"routing", []string{
			"github.com/labstack/echo/", "github.com/gorilla/mux.",
			// agentmock's own router, in the validator's package
			"github.com/agentmock/agentmock/openapi.(*Spec).FindRoute", "github.com/agentmock/agentmock/openapi.(*router)",
			"github.com/agentmock/agentmock/openapi.(*template)",
		}},
		{"JSON", []string{
			"encoding/json.",
			// the encoder that writes answers in the document's member order
			"github.com/agentmock/agentmock/openapi.(*Spec).Encode", "github.com/agentmock/agentmock/openapi.(*Spec).encode",
			"github.com/agentmock/agentmock/openapi.scalar",
		}},
		{"validation", []string{
			"github.com/getkin/kin-openapi/", "github.com/agentmock/agentmock/openapi.",
			"github.com/agentmock/agentmock/openapi/",
			"github.com/santhosh-tekuri/jsonschema/", // the validator's OpenAPI 3.1 schemas
		}},
		{"merge", []string{
			"github.com/agentmock/agentmock/mock/provider.(*Resource).Merge",
			"github.com/agentmock/agentmock/mock/provider.MergePatch", "github.com/evanphx/json-patch",
		}},
		{"net/http", []string{"net/http.", "net.", "bufio.", "net/textproto."}},
		{"other", []string{"github.com/agentmock/agentmock/"}},
	}
}

// categoryOrder is the order the summaries list the categories in: the
// request's way in, agentmock's work, the runtime's.
func categoryOrder() []string {
	return []string{"syscalls", "net/http", "routing", "validation", "merge", "commit", "JSON", "collector", "scheduler", "other"}
}

// classify names the category of one stack, given leaf first.
func classify(rules []category, s *profile.Sample) string {
	for _, loc := range s.Location {
		// Inlined calls share a location: its lines run from the innermost
		// function out to the one they were inlined into.
		for _, line := range loc.Line {
			if line.Function == nil {
				continue
			}
			if c, ok := match(rules, line.Function.Name); ok && c != passThrough {
				return c
			}
		}
	}
	return "other"
}

func match(rules []category, fn string) (string, bool) {
	for _, r := range rules {
		for _, p := range r.prefixes {
			if strings.HasPrefix(fn, p) {
				return r.name, true
			}
		}
	}
	return "", false
}

// breakdown is a CPU profile's samples by category.
type breakdown struct {
	total int64
	by    map[string]int64
}

// summarize counts the profile's samples by category. A CPU profile's
// first value is the number of samples (the second their CPU time); one
// Sample holds every sample with its stack.
func summarize(p *profile.Profile) breakdown {
	rules := categories()
	b := breakdown{by: map[string]int64{}}
	for _, s := range p.Sample {
		n := int64(1)
		if len(s.Value) > 0 {
			n = s.Value[0]
		}
		b.by[classify(rules, s)] += n
		b.total += n
	}
	return b
}

// String lists every category, in categoryOrder, as a percentage of the
// samples.
func (b breakdown) String() string {
	if b.total == 0 {
		return "no samples"
	}
	parts := make([]string, 0, len(b.by))
	for _, c := range categoryOrder() {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", c, 100*float64(b.by[c])/float64(b.total)))
	}
	return strings.Join(parts, " · ")
}

// fetchProfile takes a CPU profile of the running agentmock for the given
// seconds, from its --pprof listener.
func fetchProfile(ctx context.Context, base string, seconds int) (breakdown, error) {
	client := &http.Client{Timeout: time.Duration(seconds)*time.Second + 30*time.Second}
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return breakdown{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return breakdown{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return breakdown{}, fmt.Errorf("GET %s: %s: %s", url, res.Status, strings.TrimSpace(string(msg)))
	}
	p, err := profile.Parse(res.Body)
	if err != nil {
		return breakdown{}, fmt.Errorf("GET %s: %w", url, err)
	}
	return summarize(p), nil
}
