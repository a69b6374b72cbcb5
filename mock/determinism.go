package mock

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/agentmock/agentmock/openapi"
)

// Clock is the time agentmock stamps resources with: the real time, or a
// fixed time that only moves when told to, for snapshot tests.
type Clock struct {
	mu    sync.Mutex
	fixed bool
	at    time.Time
	// start is the time it was made fixed at, zero for the real clock:
	// what Restore returns it to.
	start time.Time
}

// NewClock returns the real clock, or a fixed one when at is not zero.
func NewClock(at time.Time) *Clock {
	return &Clock{fixed: !at.IsZero(), at: at, start: at}
}

// Restore returns the clock to how it was made: fixed at its start time,
// or real. A reset does, so that a test's clock does not outlive it.
func (c *Clock) Restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.at = !c.start.IsZero(), c.start
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed {
		return time.Now()
	}
	return c.at
}

// Set fixes the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.at = true, t
}

// Advance moves a fixed clock forward, or fixes a real one at now+d.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed {
		c.fixed, c.at = true, time.Now()
	}
	c.at = c.at.Add(d)
	return c.at
}

// Release returns the clock to real time.
func (c *Clock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed = false
}

// Fixed reports whether the clock is fixed, and at what time.
func (c *Clock) Fixed() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at, c.fixed
}

// IDs makes UUIDv4s: random, or, from a seed, the same sequence every run.
type IDs struct {
	mu  sync.Mutex
	rng *rand.Rand // nil: crypto-random
}

// NewIDs returns a generator; seed 0 means random ids.
func NewIDs(seed uint64) *IDs {
	if seed == 0 {
		return &IDs{}
	}
	return &IDs{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// New returns the next id.
func (g *IDs) New() string {
	if g.rng == nil {
		return newUUID()
	}
	g.mu.Lock()
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	g.mu.Unlock()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return openapi.UUIDv4(b)
}
