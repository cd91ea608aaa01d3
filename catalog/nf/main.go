package nf

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// Flow is what a generated flow offers the app.
type Flow interface {
	// ID is the flow's id.
	ID() string
	// Triggers lists the flow's trigger node ids, in document order.
	Triggers() []string
	// Open opens the connectors the flow uses.
	Open() error
	// Routes are the flow's HTTP endpoints.
	Routes() []Route
	// Jobs are the flow's schedules.
	Jobs() []Job
	// Run runs one execution from trigger with input (the trigger's output data, as JSON
	// values) and fixtures (pinned node outputs), and returns what it answered.
	Run(ctx context.Context, trigger string, input any, fixtures map[string]json.RawMessage) *Captured
}

// Main is the command line of a generated app:
//
//	app                       serve every flow's HTTP triggers and schedules
//	app run FLOW [--trigger NODE] [--input FILE|-] [--fixtures FILE]
//	                          run one execution and print its result as JSON
//	app flows                 list the flows and their triggers
func Main(app *App, flows []Flow, args []string) int {
	for _, f := range flows {
		if v, ok := f.(interface{ Version() string }); ok {
			if app.versions == nil {
				app.versions = map[string]string{}
			}
			app.versions[f.ID()] = v.Version()
		}
	}
	if len(args) == 0 || args[0] == "serve" {
		app.startRecords()
		return serve(app, flows)
	}
	switch args[0] {
	case "run":
		app.startRecords()
		return runOnce(app, flows, args[1:])
	case "flows":
		for _, f := range flows {
			fmt.Printf("%s\t%v\n", f.ID(), f.Triggers())
		}
		return 0
	case "-h", "--help", "help":
		fmt.Println("usage: app [serve] | app run FLOW [--trigger NODE] [--input FILE|-] [--fixtures FILE] | app flows")
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown command %q (want serve, run or flows)\n", args[0])
	return 2
}

func serve(app *App, flows []Flow) int {
	var routes []Route
	var jobs []Job
	var services []Service
	for _, f := range flows {
		if err := f.Open(); err != nil {
			app.Log.Error("cannot open the flow's connectors", "flow", f.ID(), "error", err.Error())
			return 1
		}
		routes = append(routes, f.Routes()...)
		jobs = append(jobs, f.Jobs()...)
		if sf, ok := f.(ServiceFlow); ok {
			services = append(services, sf.Services()...)
		}
	}
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Pattern < routes[j].Pattern })
	if err := PrepareJobs(jobs); err != nil {
		app.Log.Error("invalid schedule: the app does not start", "error", err.Error())
		return 1
	}
	if err := app.Serve(routes, jobs, services...); err != nil {
		app.Log.Error("server failed", "error", err.Error())
		return 1
	}
	return 0
}

func runOnce(app *App, flows []Flow, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: app run FLOW [--trigger NODE] [--input FILE|-] [--fixtures FILE]")
		return 2
	}
	name := args[0]
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	trigger := fs.String("trigger", "", "trigger node id (default: the flow's first trigger)")
	inputFile := fs.String("input", "", "JSON file with the trigger's output data, - for stdin")
	fixturesFile := fs.String("fixtures", "", "JSON file: node id -> pinned output")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var flow Flow
	for _, f := range flows {
		if f.ID() == name {
			flow = f
		}
	}
	if flow == nil {
		fmt.Fprintf(os.Stderr, "no flow %q\n", name)
		return 2
	}
	if *trigger == "" && len(flow.Triggers()) > 0 {
		*trigger = flow.Triggers()[0]
	}
	var input any
	if *inputFile != "" {
		data, err := readInput(*inputFile)
		if err == nil {
			input, err = DecodeJSON(data)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "input: %v\n", err)
			return 2
		}
	}
	var fixtures map[string]json.RawMessage
	if *fixturesFile != "" {
		data, err := readInput(*fixturesFile)
		if err == nil {
			err = json.Unmarshal(data, &fixtures)
		}
		if err == nil {
			err = CheckFixtures(fixtures)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "fixtures: %v\n", err)
			return 2
		}
	}
	if err := flow.Open(); err != nil {
		fmt.Fprintf(os.Stderr, "connectors: %v\n", err)
		return 1
	}
	defer app.Close()
	res := flow.Run(context.Background(), *trigger, input, fixtures)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if res.Error != "" {
		return 1
	}
	return 0
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// RunCaptured runs an execution whose answer is captured (app run, flow tests).
func (a *App) RunCaptured(ctx context.Context, flow, trigger string, fixtures map[string]json.RawMessage, body func(x *Exec) error) *Captured {
	c := &Captured{}
	x := a.NewExec(ctx, flow, trigger, c)
	x.WithFixtures(fixtures)
	if err := x.Run(func() error { return body(x) }); err != nil {
		c.Error = err.Error()
	}
	c.Execution = x.ID
	return c
}

// Fail logs that node failed with no error output connected and returns the error that
// fails the execution.
func (x *Exec) Fail(node string, err error) error {
	x.Failed(node, err)
	if x.rec != nil {
		x.rec.mu.Lock()
		if x.rec.failNode == "" {
			x.rec.failNode = node
		}
		x.rec.mu.Unlock()
	}
	return &NodeFailure{Node: node, Err: err}
}

// Object returns v as a JSON object, or an empty one.
func Object(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// Default returns m[key], or def when m has no such key.
func Default(m map[string]any, key string, def any) any {
	if v, ok := m[key]; ok {
		return v
	}
	return def
}
