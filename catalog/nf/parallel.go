package nf

import "sync"

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
