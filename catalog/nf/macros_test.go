package nf

import (
	"testing"
)

// failsWith runs f and returns the *EvalError it raised (nil if none).
func failsWith(f func()) (err *EvalError) {
	defer func() {
		if r := recover(); r != nil {
			err = r.(*EvalError)
		}
	}()
	f()
	return nil
}

func TestListMacros(t *testing.T) {
	ks := []int64{0, 2, 3}
	div := func(k int64) int64 { return DivInt(10, k) }
	if got := Map([]int64{1, 2}, func(k int64) int64 { return k * 3 }); len(got) != 2 || got[1] != 6 {
		t.Fatalf("Map: %v", got)
	}
	if got := FilterMap(ks, func(k int64) bool { return k > 0 }, div); len(got) != 2 || got[0] != 5 {
		t.Fatalf("FilterMap: %v", got)
	}
	if got := Filter(ks, func(k int64) bool { return k != 2 }); len(got) != 2 || got[1] != 3 {
		t.Fatalf("Filter: %v", got)
	}
	if got := Map([]int64{}, div); got == nil || len(got) != 0 {
		t.Fatalf("Map of an empty list is an empty list, got %#v", got)
	}
	// CEL's rule: a deciding element absorbs the others' errors ...
	if !Exists(ks, func(k int64) bool { return div(k) == 5 }) {
		t.Fatal("Exists should absorb the division by zero")
	}
	if All(ks, func(k int64) bool { return div(k) == 5 }) {
		t.Fatal("All should absorb the division by zero")
	}
	// ... and without one, the first error is the result, raised as it was.
	for name, f := range map[string]func(){
		"exists":     func() { Exists(ks, func(k int64) bool { return div(k) > 100 }) },
		"all":        func() { All(ks, func(k int64) bool { return div(k) > 0 }) },
		"exists_one": func() { ExistsOne(ks, func(k int64) bool { return div(k) == 5 }) },
		"map":        func() { Map(ks, div) },
	} {
		if err := failsWith(f); err == nil || err.Message != "division by zero" {
			t.Fatalf("%s: %v", name, err)
		}
	}
	missing := failsWith(func() {
		Exists([]any{map[string]any{}}, func(v any) bool { return Bool(Field(v, "x")) })
	})
	if missing == nil || !missing.Missing {
		t.Fatalf("a missing field stays a missing field: %v", missing)
	}
	if !ExistsOne(ks, func(k int64) bool { return k == 2 }) || ExistsOne(ks, func(k int64) bool { return k > 0 }) {
		t.Fatal("ExistsOne")
	}
	if err := failsWith(func() { List("abc", "map") }); err == nil || err.Message != "`map` expects a list, got string" {
		t.Fatalf("List: %v", err)
	}
	if err := failsWith(func() { Cond(int64(1), "filter") }); err == nil ||
		err.Message != "the condition of `filter` must be a boolean, got integer" {
		t.Fatalf("Cond: %v", err)
	}
	if got := List([]string{"a"}, "map"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("List of a typed slice: %v", got)
	}
}
