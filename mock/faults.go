package mock

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentmock/agentmock/mock/provider"
	"github.com/agentmock/agentmock/openapi"
)

// faultRule is a rule as the control API takes and shows it.
type faultRule struct {
	ID                string   `json:"id,omitempty"`
	Method            string   `json:"method,omitempty"`
	Path              string   `json:"path,omitempty"`
	OperationID       string   `json:"operation_id,omitempty"`
	Count             *int     `json:"count,omitempty"`
	Probability       *float64 `json:"probability,omitempty"`
	Seed              *int64   `json:"seed,omitempty"`
	Status            int      `json:"status,omitempty"`
	RetryAfterSeconds *int     `json:"retry_after_seconds,omitempty"`
	DelayMS           int      `json:"delay_ms,omitempty"`
	DelayMaxMS        int      `json:"delay_max_ms,omitempty"`
	Fault             string   `json:"fault,omitempty"`
	Fired             int      `json:"fired"`
}

// Faults WireMock users know, by the names the control API uses.
const (
	faultReset     = "connection_reset"
	faultEmpty     = "empty_response"
	faultTruncated = "truncated_response"
)

type rule struct {
	faultRule
	rng *rand.Rand
	// template is the rule's path with parameter names erased, " /v1/x/{}":
	// an operation key without its method, worked out once.
	template string
}

// faults holds the rules. Each rule draws from its own seeded source, so a
// run with the same requests fires the same way every time.
type faults struct {
	mu    sync.Mutex
	rules []*rule
	seq   int
	// n mirrors len(rules), so that requests skip the lock when there are
	// none, which is nearly always.
	n atomic.Int32
}

func (f *faults) add(fr faultRule) faultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	fr.ID = "fault-" + strconv.Itoa(f.seq)
	fr.Fired = 0
	seed := int64(1)
	if fr.Seed != nil {
		seed = *fr.Seed
	}
	f.rules = append(f.rules, &rule{faultRule: fr, rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		template: openapi.OperationKey("", fr.Path)})
	f.n.Store(int32(len(f.rules)))
	return fr
}

func (f *faults) list() []faultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]faultRule, len(f.rules))
	for i, r := range f.rules {
		out[i] = r.faultRule
	}
	return out
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.n.Store(0)
}

// firing is what a rule that fired asks for.
type firing struct {
	rule  string
	delay time.Duration
	fault string
	err   *provider.Error
}

// fire finds the first rule that matches and fires for this request.
func (f *faults) fire(r *http.Request, route *openapi.Route) *firing {
	if f.n.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ru := range f.rules {
		if !ru.matches(r, route) {
			continue
		}
		if ru.Count != nil && ru.Fired >= *ru.Count {
			continue
		}
		if ru.Probability != nil && ru.rng.Float64() >= *ru.Probability {
			continue
		}
		ru.Fired++
		fi := &firing{rule: ru.ID, fault: ru.Fault, delay: time.Duration(ru.DelayMS) * time.Millisecond}
		if ru.DelayMaxMS > ru.DelayMS {
			fi.delay += time.Duration(ru.rng.IntN(ru.DelayMaxMS-ru.DelayMS+1)) * time.Millisecond
		}
		status := ru.Status
		if status == 0 && ru.RetryAfterSeconds != nil {
			status = http.StatusTooManyRequests
		}
		if status != 0 {
			fi.err = &provider.Error{Status: status, Message: fmt.Sprintf("Injected by agentmock fault rule %s", ru.ID)}
			if ru.RetryAfterSeconds != nil {
				fi.err.Header = http.Header{}
				fi.err.Header.Set("Retry-After", strconv.Itoa(*ru.RetryAfterSeconds))
				fi.err.Header.Set("Retry-After-Ms", strconv.Itoa(*ru.RetryAfterSeconds*1000))
			}
		}
		return fi
	}
	return nil
}

func (ru *rule) matches(r *http.Request, route *openapi.Route) bool {
	if ru.OperationID != "" {
		return route != nil && route.Operation.OperationID == ru.OperationID
	}
	if ru.Method != "" && !strings.EqualFold(ru.Method, r.Method) {
		return false
	}
	if ru.Path == "" {
		return true
	}
	if ru.Path == r.URL.Path {
		return true
	}
	return route != nil && (ru.Path == route.Path || route.Key[strings.IndexByte(route.Key, ' '):] == ru.template)
}

// wait sleeps for a rule's latency, or until the client gives up.
func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// breakConnection does what a socket-level fault says to the client.
func breakConnection(w http.ResponseWriter, fault string) error {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	switch fault {
	case faultReset:
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST, not FIN
		}
	case faultTruncated:
		body := []byte(`{"data":[{"agent_id":"`)
		var head bytes.Buffer
		fmt.Fprintf(&head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 10*len(body))
		_, _ = buf.Write(append(head.Bytes(), body...))
		_ = buf.Flush()
	}
	return nil
}
