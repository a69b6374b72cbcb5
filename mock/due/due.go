// Package due runs a sweep when it is due: when woken, when the time the
// last sweep named comes, and at least every poll, so that work on a
// clock a test may fix or release is never missed. The timeline and the
// webhook dispatcher both run one.
package due

import (
	"context"
	"time"
)

// Loop sweeps until ctx ends. sweep returns when it is next due on now's
// clock (zero: nothing known); its errors go to failed, but not once ctx
// has ended.
func Loop(ctx context.Context, poll time.Duration, now func() time.Time, wake <-chan struct{},
	sweep func(context.Context) (time.Time, error), failed func(error)) {
	for {
		wait := poll
		next, err := sweep(ctx)
		if err != nil && ctx.Err() == nil {
			failed(err)
		}
		if !next.IsZero() {
			if w := next.Sub(now()); w < wait {
				wait = max(w, time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}
