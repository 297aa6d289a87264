import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { JobRecord } from "../jobs/jobBusPort.js";

/** What the scrape reads at collection time from the running ledger (read-model lag, the job queue). */
export interface MetricsSources {
  readModelLag(): Promise<readonly ReadModelLag[]>;
  /** Waiting and running jobs (the queue); `limit` bounds the scan. */
  queuedJobs(limit: number): Promise<readonly JobRecord[]>;
  now(): Date;
}

/** The queue scan stops here: a depth at this value means "at least". */
export const jobQueueScanLimit = 10_000;

/**
 * The Prometheus registry of one ledger process. Services report into it at
 * the edges (the decorated event store, job bus and embedder in
 * src/metrics/instrumentedPorts.ts, the HTTP hook in src/server/routes/metricsRoutes.ts); the
 * gauges that describe state (projection lag, queue depth and age) are read
 * when scraped, so they are never stale. Labels carry no ids (cube, memory,
 * tenant): the series count stays bounded and a scrape leaks no tenant data.
 */
export class LedgerMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | undefined;

  readonly httpRequestDuration = new Histogram({
    name: "memledger_http_request_duration_seconds",
    help: "REST request latency by route pattern, method and status class",
    labelNames: ["route", "method", "status_class"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: "memledger_events_appended_total",
    help: "Events written to the log, by event type (a retried append that wrote nothing is not counted)",
    labelNames: ["type"] as const,
    registers: [this.registry],
  });

  readonly commandConflicts = new Counter({
    name: "memledger_command_conflicts_total",
    help: "Appends refused because the stream moved since it was read (optimistic concurrency); the command retries or answers 409",
    registers: [this.registry],
  });

  readonly erasures = new Counter({
    name: "memledger_erasures_total",
    help: "Erasures recorded: memory (one unit crypto-shredded) or subject (a data subject's erasure)",
    labelNames: ["scope"] as const,
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: "memledger_event_append_duration_seconds",
    help: "Time to append one batch of events to the log",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly embedDuration = new Histogram({
    name: "memledger_embedder_duration_seconds",
    help: "Embedder call latency (content: memory contents, behind the on-disk cache; query: search queries)",
    labelNames: ["use"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly embeddedTexts = new Counter({
    name: "memledger_embedder_texts_total",
    help: "Texts sent to the embedder",
    labelNames: ["use"] as const,
    registers: [this.registry],
  });

  readonly rerankDuration = new Histogram({
    name: "memledger_reranker_duration_seconds",
    help: "Reranker call latency",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly jobRunDuration = new Histogram({
    name: "memledger_job_run_duration_seconds",
    help: "Job handler run time by kind and outcome (done, failed: retried or dead)",
    labelNames: ["kind", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly chatModelCalls = new Counter({
    name: "memledger_chat_model_calls_total",
    help: "Chat model calls by operation and outcome",
    labelNames: ["operation", "outcome"] as const,
    registers: [this.registry],
  });

  readonly chatModelTokens = new Counter({
    name: "memledger_chat_model_tokens_total",
    help: "Chat model tokens by direction (input, output)",
    labelNames: ["direction"] as const,
    registers: [this.registry],
  });

  readonly chatModelCost = new Counter({
    name: "memledger_chat_model_cost_usd_total",
    help: "Chat model spend in USD, when prices per million tokens are configured",
    registers: [this.registry],
  });

  readonly chatModelDuration = new Histogram({
    name: "memledger_chat_model_duration_seconds",
    help: "Chat model call latency by operation",
    labelNames: ["operation"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const sources = () => this.sources;
    new Gauge({
      name: "memledger_projection_lag_events",
      help: "Events in the log a read model has not folded yet",
      labelNames: ["read_model"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const lag = await sources()?.readModelLag().catch(() => []);
        for (const model of lag ?? []) this.set({ read_model: model.name }, model.behind);
      },
    });
    const queue = { at: 0, jobs: [] as readonly JobRecord[] };
    // One scan of the queue per scrape serves both queue gauges.
    const queued = async (): Promise<readonly JobRecord[]> => {
      const s = sources();
      if (s === undefined) return [];
      const now = s.now().getTime();
      if (now - queue.at > 1_000) {
        queue.jobs = await s.queuedJobs(jobQueueScanLimit).catch(() => []);
        queue.at = now;
      }
      return queue.jobs;
    };
    new Gauge({
      name: "memledger_job_queue_depth",
      help: "Jobs waiting or running, by kind and status",
      labelNames: ["kind", "status"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = new Map<string, { kind: string; status: string; n: number }>();
        for (const job of await queued()) {
          const key = `${job.kind}\u0000${job.status}`;
          const entry = counts.get(key) ?? { kind: job.kind, status: job.status, n: 0 };
          entry.n += 1;
          counts.set(key, entry);
        }
        for (const c of counts.values()) this.set({ kind: c.kind, status: c.status }, c.n);
      },
    });
    new Gauge({
      name: "memledger_job_queue_oldest_age_seconds",
      help: "Age of the oldest waiting job by kind (since it was enqueued)",
      labelNames: ["kind"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = sources()?.now().getTime() ?? Date.now();
        const oldest = new Map<string, number>();
        for (const job of await queued()) {
          if (job.status !== "waiting") continue;
          const at = Date.parse(job.enqueuedAt);
          oldest.set(job.kind, Math.min(oldest.get(job.kind) ?? at, at));
        }
        for (const [kind, at] of oldest) this.set({ kind }, Math.max(0, (now - at) / 1000));
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "memledger_" });
  }

  /** The running ledger the state gauges read when scraped. */
  observe(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
