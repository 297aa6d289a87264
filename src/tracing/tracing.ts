import { context, trace, type Tracer } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";

/**
 * OpenTelemetry traces, on only when an exporter is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, or a test's in-memory exporter). Off, the
 * SDK is never loaded and the ports are not decorated: spans cost nothing
 * because none are made. On, spans follow a request through the command, the
 * log append and the jobs it enqueues (src/tracing/ and
 * src/metrics/instrumentedPorts.ts).
 */
let active: Tracer | undefined;

/** The tracer while tracing is on, else undefined (callers then skip span work entirely). */
export function activeTracer(): Tracer | undefined {
  return active;
}

export interface Tracing {
  /** Flushes the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK: AsyncLocalStorage carries the current span across awaits,
 * spans go to `exporter` (a test's, immediately) or to the OTLP endpoint of the
 * standard OTEL_EXPORTER_OTLP_* variables (batched).
 */
export async function startTracing(options: { readonly exporter?: SpanExporter; readonly serviceName?: string } = {}): Promise<Tracing> {
  const { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter());
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  active = provider.getTracer(options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? "memledger");
  return {
    shutdown: async () => {
      active = undefined;
      await provider.shutdown();
      contextManager.disable();
      trace.disable();
      context.disable();
    },
  };
}

/** `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-only variable) set: tracing on; else nothing is loaded. */
export async function startTracingFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === "" || env.OTEL_TRACES_EXPORTER === "none") return undefined;
  return startTracing();
}
