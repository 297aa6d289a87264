import { Context, type Effect } from "effect";
import type { InvalidJob, JobBusUnavailable, JobNotFound, JobNotRetriable } from "./jobBusErrors.js";

/**
 * waiting: queued, not yet claimed (or released by a stopping worker).
 * running: claimed by a worker that holds its lease.
 * failed:  the last attempt failed; it runs again after its backoff.
 * done:    the handler finished; never runs again.
 * dead:    it failed `maxAttempts` times; kept with its last error until retried by hand.
 */
export type JobStatus = "waiting" | "running" | "failed" | "done" | "dead";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface JobRequest {
  /** Which handler runs it, e.g. `memory.ingest`. */
  readonly kind: string;
  /** Jobs with the same key (and kind) run one at a time, in enqueue order: a memory unit id, a cube id. */
  readonly key: string;
  readonly payload: JsonValue;
  /** 0 (lowest) to 9 (highest); default 5. Higher runs first where the bus supports priorities. */
  readonly priority?: number;
  /** ISO-8601: the job does not run before this time (durable delay). */
  readonly notBefore?: string;
  /** A second enqueue with the same key returns the first job instead of adding one. */
  readonly idempotencyKey?: string;
  /** Lets status be listed per cube. */
  readonly cubeId?: string;
  /** Attempts before the job goes dead; default from the bus's retry policy. */
  readonly maxAttempts?: number;
}

export interface JobRecord {
  readonly jobId: string;
  readonly kind: string;
  readonly key: string;
  readonly cubeId?: string;
  readonly payload: JsonValue;
  readonly priority: number;
  readonly notBefore: string;
  readonly idempotencyKey?: string;
  readonly status: JobStatus;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lastError?: string;
  readonly result?: JsonValue;
  readonly enqueuedAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
}

export interface EnqueueResult {
  readonly job: JobRecord;
  /** True when the idempotency key matched an existing job; nothing was added. */
  readonly alreadyEnqueued: boolean;
}

export interface JobContext {
  /** 1 on the first run. */
  readonly attempt: number;
  /** Aborted when the worker is stopping past its grace period or lost the lease: stop early, the job runs again. */
  readonly signal: AbortSignal;
}

/**
 * Handlers must be idempotent in their effects: a job can run again after a
 * crash (at-least-once). Send memory commands with a command id derived from
 * the job id, so a second run changes nothing.
 */
export type JobHandler = (job: JobRecord, context: JobContext) => Promise<JsonValue | void>;

export interface RetryPolicy {
  readonly maxAttempts: number;
  /** Delay before attempt n+1 is `min(maxDelayMs, baseDelayMs * 2^(n-1))`, with ±20% jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

export interface WorkerOptions {
  readonly handlers: Readonly<Record<string, JobHandler>>;
  /** Jobs run at the same time by this worker; default 4. */
  readonly concurrency?: number;
  /**
   * A stable name for this worker, default `worker`. On the embedded bus a process
   * restarted after a crash gets the identity its predecessor had under this name,
   * and takes back the jobs it left running at once instead of after their lease;
   * two live processes with the same name get distinct identities (`name`, `name#2`).
   */
  readonly workerName?: string;
}

export interface StopOptions {
  /** How long in-flight jobs may run on before they are released to run again elsewhere; default 10 s. */
  readonly graceMs?: number;
}

export interface StopReport {
  /** In-flight jobs that finished during the grace period. */
  readonly finished: number;
  /** In-flight jobs handed back to the queue unfinished. */
  readonly released: number;
}

export interface JobWorker {
  /** Who holds this worker's leases; on the embedded bus the identity taken under its name. */
  readonly workerId: string;
  stop(options?: StopOptions): Promise<StopReport>;
}

export interface ListJobsOptions {
  readonly cubeId?: string;
  readonly status?: JobStatus;
  readonly kind?: string;
  /** Newest first; default 100. */
  readonly limit?: number;
}

export interface JobBusCapabilities {
  /** Higher priority jobs of the same kind run before lower ones that are already waiting. */
  readonly priorities: boolean;
}

export interface JobBusPort {
  readonly engine: string;
  readonly capabilities: JobBusCapabilities;
  enqueue(request: JobRequest): Effect.Effect<EnqueueResult, InvalidJob | JobBusUnavailable>;
  get(jobId: string): Effect.Effect<JobRecord, JobNotFound | JobBusUnavailable>;
  list(options?: ListJobsOptions): Effect.Effect<readonly JobRecord[], JobBusUnavailable>;
  /** Sends a dead job back to the queue with a fresh attempt budget. */
  retry(jobId: string): Effect.Effect<JobRecord, JobNotFound | JobNotRetriable | JobBusUnavailable>;
  startWorker(options: WorkerOptions): Effect.Effect<JobWorker, JobBusUnavailable>;
  /** Checks the engine answers (for the readiness endpoint); succeeds with a short description of what it saw. */
  health(): Effect.Effect<string, JobBusUnavailable>;
  close(): Effect.Effect<void>;
}

export class JobBus extends Context.Tag("memledger/JobBus")<JobBus, JobBusPort>() {}
