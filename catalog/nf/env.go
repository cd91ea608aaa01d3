package nf

import (
	"os"
	"strings"
)

// Raise panics with an expression error; generated code uses it where analysis already
// knows that an expression fails (a constant division by zero).
func Raise[T any](msg string) T {
	panic(&EvalError{Message: msg})
}

// Env is `env.NAME`: an unset variable is a missing-field error.
func Env(name string) string {
	v, ok := os.LookupEnv(name)
	if !ok {
		Missing("environment variable `%s` is not set", name)
	}
	noteEnv(name, v)
	return v
}

// HasEnv is `has(env.NAME)`.
func HasEnv(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}

// EnvMap is `env` as a whole.
func EnvMap() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
			noteEnv(k, v)
		}
	}
	return out
}

// HasKey is `has(m.key)` on a typed map.
func HasKey[T any](m map[string]T, key string) bool {
	_, ok := m[key]
	return ok
}

// Concat is `a + b` on typed lists.
func Concat[T any](a, b []T) []T {
	return append(append(make([]T, 0, len(a)+len(b)), a...), b...)
}
