package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// group commits concurrent writes together: a writer that finds no commit
// running commits at once, and every writer that arrives while a commit is
// running joins the next one. One fsync then covers many writes, which is what makes
// durable writes fast under parallel tests, while a lone writer waits for
// nothing. bbolt's own DB.Batch does the same but starts each batch with a
// timer (MaxBatchDelay, 10 ms by default), which a single client would pay on
// every write.
//
// As with DB.Batch, a write's function may run more than once: when another
// function in its batch fails, the batch is rolled back and run again
// without it. Functions must therefore only assign to the variables they
// capture, never accumulate into them.
type group struct {
	db *bolt.DB
	// cache is told of every write transaction's begin and end (cache.go).
	cache   *cache
	mu      sync.Mutex
	pending []*call
	running bool
}

type call struct {
	fn   func(*bolt.Tx) error
	done chan error
}

func (g *group) write(fn func(*bolt.Tx) error) error {
	c := &call{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if g.running {
		g.mu.Unlock()
		return <-c.done
	}
	// Nobody is committing: this writer commits what is pending itself, with
	// no goroutine hop, and leaves later arrivals to a new leader.
	g.running = true
	calls := g.pending
	g.pending = nil
	g.mu.Unlock()
	g.commit(calls)
	g.mu.Lock()
	if len(g.pending) > 0 {
		go g.lead()
	} else {
		g.running = false
	}
	g.mu.Unlock()
	return <-c.done
}

// lead commits batches until no writer is waiting.
func (g *group) lead() {
	for {
		g.mu.Lock()
		calls := g.pending
		g.pending = nil
		if len(calls) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(calls)
	}
}

// commit runs calls in one transaction. A function that fails is taken out
// and run alone, so that its error is its own, and the rest run again.
func (g *group) commit(calls []*call) {
	for len(calls) > 0 {
		failed := -1
		err := g.update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			err = writeFailure(err)
			for _, c := range calls {
				c.done <- err // nil, or a commit failure that every write shares
			}
			return
		}
		c := calls[failed]
		calls = append(calls[:failed:failed], calls[failed+1:]...)
		if len(calls) == 0 {
			c.done <- err // it was alone: that was its own transaction
			return
		}
		c.done <- g.solo(c)
	}
}

func (g *group) solo(c *call) error {
	var fnErr error
	err := g.update(func(tx *bolt.Tx) error {
		fnErr = safely(c.fn, tx)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	return writeFailure(err)
}

// update is bbolt's Update, with the cache told of its begin and end.
func (g *group) update(fn func(*bolt.Tx) error) error {
	g.cache.begin()
	defer g.cache.end()
	return g.db.Update(fn)
}

// writeFailure marks an error bbolt met committing (not one a write function
// returned) as ErrWrite, keeping its cause: "no space left on device".
func writeFailure(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrWrite, err)
}

// errPanic reports a write function that panicked; it runs on the leader's
// goroutine, where a panic would end the process.
var errPanic = errors.New("store: write function panicked")

func safely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return fn(tx)
}
