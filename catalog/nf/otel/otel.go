// Package otel exports the spans of a generated app over OTLP/HTTP (protobuf) when the
// standard OpenTelemetry variables ask for it (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME names the service, default the
// app's name; OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION as the
// specification says). Without them it installs nothing and tracing costs nothing. The
// exporter is this package's own (otlp.go): the SDK's otlptracehttp would add ~7 MB.
package otel

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"nodeforge.dev/catalog/nf"
)

// Setup installs OTLP tracing if configured; the returned function flushes and stops it.
func Setup(app *nf.App) func(context.Context) error {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }
	}
	cfg, err := configFromEnv(getenv)
	if err != nil {
		app.Log.Error("OpenTelemetry exporter", "error", err.Error())
		return func(context.Context) error { return nil }
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = app.Name
	}
	res, _ := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(newExporter(cfg)), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	nf.SetTracing(tracer{tp.Tracer("nodeforge")})
	app.Log.Info("OpenTelemetry tracing on", "service", name)
	return tp.Shutdown
}

type tracer struct{ t trace.Tracer }

func (t tracer) Start(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error)) {
	ctx, end := t.StartWithResult(ctx, name, attrs)
	return ctx, func(err error) { end(err, nil) }
}

// StartWithResult is Start whose end also sets attributes (nf.ResultTracing).
func (t tracer) StartWithResult(ctx context.Context, name string, attrs map[string]string) (context.Context, func(error, map[string]string)) {
	kv := make([]attribute.KeyValue, 0, len(attrs))
	for k, v := range attrs {
		kv = append(kv, attribute.String(k, v))
	}
	ctx, span := t.t.Start(ctx, name, trace.WithAttributes(kv...))
	return ctx, func(err error, more map[string]string) {
		for k, v := range more {
			span.SetAttributes(attribute.String(k, v))
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// TraceID is the trace id of ctx's span (nf.TraceIDTracing), "" without one.
func (t tracer) TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}
