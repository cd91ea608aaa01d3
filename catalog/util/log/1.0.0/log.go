// Package utillog is the executor of util/log 1.0.0: a structured log line carrying the
// flow, node and execution ids.
package utillog

import (
	"log/slog"

	"nodeforge.dev/catalog/nf"
)

// Run logs message at level ("debug", "info", "warn", "error") with fields, given as
// alternating names and values.
func Run(x *nf.Exec, node, level, message string, fields ...any) {
	l := slog.LevelInfo
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	}
	x.Logger(node).Log(x.Context(), l, message, fields...)
}
