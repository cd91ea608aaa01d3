package nf

// The list macros of the expression language (docs/expressions.md, "List macros"). The
// generated code passes each macro's body as a closure over the list's typed elements;
// these helpers give the loops the evaluator's semantics, errors included.

// List is a dynamic value used as the receiver of the macro `macro`: its elements, or
// the macro's error when it is not a list.
func List(v any, macro string) []any {
	l, ok := v.([]any)
	if !ok {
		if v != nil {
			v = JSONValue(v)
			l, ok = v.([]any)
		}
		if !ok {
			Fail("`%s` expects a list, got %s", macro, Kind(v))
		}
	}
	return l
}

// Cond is a dynamic value used as the condition of the macro `macro`.
func Cond(v any, macro string) bool {
	b, ok := v.(bool)
	if !ok {
		Fail("the condition of `%s` must be a boolean, got %s", macro, Kind(v))
	}
	return b
}

// Map is `list.map(x, f)`: f of each element, in order; the first error is the result's.
func Map[T, R any](list []T, f func(T) R) []R {
	out := make([]R, 0, len(list))
	for _, x := range list {
		out = append(out, f(x))
	}
	return out
}

// FilterMap is `list.map(x, p, f)`: f of each element for which p holds.
func FilterMap[T, R any](list []T, p func(T) bool, f func(T) R) []R {
	out := make([]R, 0, len(list))
	for _, x := range list {
		if p(x) {
			out = append(out, f(x))
		}
	}
	return out
}

// Filter is `list.filter(x, p)`: the elements for which p holds, in order.
func Filter[T any](list []T, p func(T) bool) []T {
	out := make([]T, 0, len(list))
	for _, x := range list {
		if p(x) {
			out = append(out, x)
		}
	}
	return out
}

// ExistsOne is `list.exists_one(x, p)`: p holds for exactly one element. Every element
// is tested; the first error is the result's.
func ExistsOne[T any](list []T, p func(T) bool) bool {
	n := 0
	for _, x := range list {
		if p(x) {
			n++
		}
	}
	return n == 1
}

// Exists is `list.exists(x, p)` with CEL's error rule: true as soon as p holds for one
// element, whatever errors p gave for others; false if p is false for every element;
// otherwise the first error.
func Exists[T any](list []T, p func(T) bool) bool {
	return decide(list, p, true)
}

// All is `list.all(x, p)` with CEL's error rule: false as soon as p is false for one
// element, whatever errors p gave for others; true if p holds for every element;
// otherwise the first error.
func All[T any](list []T, p func(T) bool) bool {
	return decide(list, p, false)
}

// decide folds p over the list with CEL's commutative `||` (decisive true) or `&&`
// (decisive false): an element whose value is decisive decides, errors of the others
// are absorbed; without one, the first error (an *EvalError, re-raised as it was) is
// the result.
func decide[T any](list []T, p func(T) bool, decisive bool) bool {
	var first *EvalError
	for _, x := range list {
		v, err := tryCond(p, x)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if v == decisive {
			return decisive
		}
	}
	if first != nil {
		panic(first)
	}
	return !decisive
}

// tryCond is p(x), with an expression error returned instead of raised.
func tryCond[T any](p func(T) bool, x T) (v bool, err *EvalError) {
	defer func() {
		if r := recover(); r != nil {
			e, isEval := r.(*EvalError)
			if !isEval {
				panic(r)
			}
			err = e
		}
	}()
	return p(x), nil
}
