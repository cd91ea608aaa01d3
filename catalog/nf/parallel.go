package nf

import (
	"sync"
	"sync/atomic"
)

// Parallel runs the branches of a fan-out at the same time (generated code uses it when
// the branches meet again at a flow/merge, e.g. two upstream calls), waits for all of
// them, re-raises the first panic and returns the first error in branch order.
func Parallel(branches ...func() error) error {
	errs := make([]error, len(branches))
	panics := make([]any, len(branches))
	run := func(i int) {
		defer func() {
			if r := recover(); r != nil {
				panics[i] = r
			}
		}()
		errs[i] = branches[i]()
	}
	var wg sync.WaitGroup
	for i := 1; i < len(branches); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(i)
		}()
	}
	if len(branches) > 0 {
		run(0)
	}
	wg.Wait()
	return firstFailure(errs, panics)
}

// ForEach runs body for the indexes 0..n-1 with up to limit of them at the same time
// (a for-each node with concurrency above 1). After an error no new index starts; it
// waits for the running ones, re-raises the first panic and returns the error of the
// lowest failed index.
func ForEach(n, limit int, body func(i int) error) error {
	if limit < 1 {
		limit = 1
	}
	errs := make([]error, n)
	panics := make([]any, n)
	var failed atomic.Bool
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n && !failed.Load(); i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					panics[i] = r
					failed.Store(true)
				}
				<-sem
				wg.Done()
			}()
			if errs[i] = body(i); errs[i] != nil {
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	return firstFailure(errs, panics)
}

// firstFailure re-raises the first panic of concurrent work in the caller's goroutine
// (where Exec.Run recovers it), else returns the first error in order.
func firstFailure(errs []error, panics []any) error {
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
