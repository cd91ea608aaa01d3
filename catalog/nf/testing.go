package nf

import "context"

// TestExec is an execution for executor tests: no HTTP client, logs discarded below error.
func TestExec() *Exec {
	app := NewApp("test")
	return app.NewExec(context.Background(), "test_flow", "test_trigger", nil)
}
