import { context, ROOT_CONTEXT, SpanStatusCode, trace, type SpanContext } from "@opentelemetry/api";
import { Context, Effect, Exit, Layer } from "effect";
import type { Embedder } from "../embedding/embedderPort.js";
import { EventStore, type EventStorePort } from "../eventStore/eventStorePort.js";
import { JobBus, type JobBusPort, type JobHandler } from "../jobs/jobBusPort.js";
import { EmbedderService, type Embedding } from "../retrieval/embedderService.js";
import { spanAttributes } from "../tracing/spanAttributes.js";
import { activeTracer } from "../tracing/tracing.js";
import type { LedgerMetrics } from "./ledgerMetrics.js";

/**
 * Decorators of the I/O ports: each reports what it did into the metrics and,
 * while tracing is on, makes a span under the caller's. The ports themselves
 * know nothing of either.
 */
export interface Telemetry {
  readonly metrics?: LedgerMetrics;
}

const seconds = (startedAt: bigint): number => Number(process.hrtime.bigint() - startedAt) / 1e9;

export function instrumentEventStore(store: EventStorePort, telemetry: Telemetry): EventStorePort {
  const metrics = telemetry.metrics;
  return {
    ...store,
    engine: store.engine,
    append: (streamId, events, expected) =>
      Effect.suspend(() => {
        const tracer = activeTracer();
        const span = tracer?.startSpan("eventStore.append", {
          attributes: {
            [spanAttributes.streamId]: streamId,
            [spanAttributes.eventCount]: events.length,
            [spanAttributes.eventTypes]: [...new Set(events.map((e) => e.type))],
            ...(events[0]?.metadata.cubeId !== undefined ? { [spanAttributes.cubeId]: events[0].metadata.cubeId } : {}),
          },
        });
        const startedAt = process.hrtime.bigint();
        return store.append(streamId, events, expected).pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              metrics?.appendDuration.observe(seconds(startedAt));
              if (Exit.isSuccess(exit)) {
                if (!exit.value.alreadyApplied) {
                  for (const event of events) {
                    metrics?.eventsAppended.inc({ type: event.type });
                    if (event.type === "MemoryErased") metrics?.erasures.inc({ scope: "memory" });
                    if (event.type === "SubjectErased") metrics?.erasures.inc({ scope: "subject" });
                  }
                }
                span?.setAttribute("memledger.position", exit.value.position);
              } else {
                const failure = exit.cause._tag === "Fail" ? (exit.cause.error as { _tag?: string }) : undefined;
                if (failure?._tag === "ConcurrencyConflict") metrics?.commandConflicts.inc();
                span?.setStatus({ code: SpanStatusCode.ERROR, message: failure?._tag ?? "append failed" });
              }
              span?.end();
            }),
          ),
        );
      }),
  };
}

/**
 * Jobs run later, often in another fiber: the span context a job was
 * enqueued under is remembered by job id (in this process, bounded) so the
 * job's span is a child of the request that asked for it.
 */
const enqueuedUnder = new Map<string, SpanContext>();
const rememberedJobs = 10_000;

export function instrumentJobBus(bus: JobBusPort, telemetry: Telemetry): JobBusPort {
  const metrics = telemetry.metrics;
  const wrap = (kind: string, handler: JobHandler): JobHandler => async (job, jobContext) => {
    const tracer = activeTracer();
    const parentContext = enqueuedUnder.get(job.jobId);
    const parent = parentContext ? trace.setSpanContext(ROOT_CONTEXT, parentContext) : ROOT_CONTEXT;
    const span = tracer?.startSpan(
      `job ${kind}`,
      { attributes: { [spanAttributes.jobId]: job.jobId, [spanAttributes.jobKind]: kind, "memledger.attempt": jobContext.attempt, ...(job.cubeId !== undefined ? { [spanAttributes.cubeId]: job.cubeId } : {}) } },
      parent,
    );
    const startedAt = process.hrtime.bigint();
    try {
      const result = span ? await context.with(trace.setSpan(parent, span), () => handler(job, jobContext)) : await handler(job, jobContext);
      metrics?.jobRunDuration.observe({ kind, outcome: "done" }, seconds(startedAt));
      enqueuedUnder.delete(job.jobId);
      return result;
    } catch (error) {
      metrics?.jobRunDuration.observe({ kind, outcome: "failed" }, seconds(startedAt));
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span?.end();
    }
  };
  return {
    ...bus,
    engine: bus.engine,
    capabilities: bus.capabilities,
    enqueue: (request) =>
      Effect.suspend(() => {
        const current = activeTracer() ? trace.getSpanContext(context.active()) : undefined;
        return bus.enqueue(request).pipe(
          Effect.tap((result) =>
            Effect.sync(() => {
              if (current === undefined) return;
              if (enqueuedUnder.size >= rememberedJobs) enqueuedUnder.delete(enqueuedUnder.keys().next().value!);
              enqueuedUnder.set(result.job.jobId, current);
            }),
          ),
        );
      }),
    startWorker: (options) =>
      bus.startWorker({ ...options, handlers: Object.fromEntries(Object.entries(options.handlers).map(([kind, handler]) => [kind, wrap(kind, handler)])) }),
  };
}

function timedEmbedder(embedder: Embedder, use: "content" | "query", metrics: LedgerMetrics): Embedder {
  return {
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    embed: async (texts, purpose) => {
      const startedAt = process.hrtime.bigint();
      try {
        return await embedder.embed(texts, purpose);
      } finally {
        metrics.embedDuration.observe({ use }, seconds(startedAt));
        metrics.embeddedTexts.inc({ use }, texts.length);
      }
    },
    close: () => embedder.close(),
  };
}

/** A layer's service replaced by its decorated self. */
const decorate = <I, S, E, R>(layer: Layer.Layer<I, E, R>, tag: Context.Tag<I, S>, f: (service: S) => S): Layer.Layer<I, E, R> =>
  Layer.map(layer, (ctx) => Context.add(ctx, tag, f(Context.get(ctx, tag))));

export const withEventStoreTelemetry = <E, R>(layer: Layer.Layer<EventStore, E, R>, telemetry: Telemetry | undefined): Layer.Layer<EventStore, E, R> =>
  telemetry === undefined ? layer : decorate(layer, EventStore, (store) => instrumentEventStore(store, telemetry));

export const withJobBusTelemetry = <E, R>(layer: Layer.Layer<JobBus, E, R>, telemetry: Telemetry | undefined): Layer.Layer<JobBus, E, R> =>
  telemetry === undefined ? layer : decorate(layer, JobBus, (bus) => instrumentJobBus(bus, telemetry));

export const withEmbedderTelemetry = <E, R>(layer: Layer.Layer<EmbedderService, E, R>, telemetry: Telemetry | undefined): Layer.Layer<EmbedderService, E, R> => {
  const metrics = telemetry?.metrics;
  if (metrics === undefined) return layer;
  return decorate(layer, EmbedderService, (embedding: Embedding | undefined) =>
    embedding === undefined ? undefined : { ...embedding, embedder: timedEmbedder(embedding.embedder, "content", metrics), queryEmbedder: timedEmbedder(embedding.queryEmbedder, "query", metrics) },
  );
};
