package analysis

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunk is the number of items a worker takes at a time; ctx is checked between chunks.
const chunk = 64

// workers returns the number of workers to use for n items.
func workers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if c := (n + chunk - 1) / chunk; c < w {
		w = c
	}
	return max(w, 1)
}

// forEach calls fn(w, i) for every i in [0, n) on up to GOMAXPROCS goroutines; w in
// [0, workers(n)) identifies the goroutine, for per-worker scratch state. It returns the first
// error from fn, or ctx.Err() if ctx is done before all items are processed.
func forEach(ctx context.Context, n int, fn func(w, i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	nw := workers(n)
	var (
		next     atomic.Int64
		firstErr error
		errOnce  sync.Once
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		stop.Store(true)
	}
	for w := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					if err := fn(w, i); err != nil {
						fail(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
