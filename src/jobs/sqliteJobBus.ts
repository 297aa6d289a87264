import Database from "better-sqlite3";
import { Effect, Layer } from "effect";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Signal, waitForSignal } from "../eventStore/signal.js";
import { uuidv7 } from "../ids/idGenerator.js";
import { JobBusUnavailable, jobNotFound, jobNotRetriable, type InvalidJob } from "./jobBusErrors.js";
import {
  defaultRetryPolicy,
  JobBus,
  type EnqueueResult,
  type JobBusPort,
  type JobRecord,
  type JobRequest,
  type JobStatus,
  type JobWorker,
  type ListJobsOptions,
  type RetryPolicy,
  type StopOptions,
  type StopReport,
  type WorkerOptions,
} from "./jobBusPort.js";
import { describeJobError, normalizeJobRequest, retryDelayMs } from "./jobRequestValidation.js";
import { claimWorkerIdentity, heartbeatWorkerIdentity, releaseWorkerIdentity, workerIdentitySchema, type ClaimedIdentity } from "./sqliteWorkerIdentity.js";
import { defaultJobLeaseMs, defaultWorkerName, heartbeatFraction } from "./leaseDefaults.js";

export interface SqliteJobBusOptions {
  /** File path (e.g. `<dataDir>/jobs.db`), or ":memory:". */
  readonly path: string;
  readonly retryPolicy?: RetryPolicy;
  /** A running job whose worker stops renewing its lease for this long is given to another worker; default 5 s. */
  readonly leaseMs?: number;
  /** How often a worker renews its leases and says it is alive; default a fifth of the lease. Must be well under the lease. */
  readonly heartbeatMs?: number;
  /** How often idle workers look for jobs enqueued by other processes. */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
}

interface JobRow {
  seq: number;
  job_id: string;
  kind: string;
  key: string;
  cube_id: string | null;
  payload: string;
  priority: number;
  not_before: number;
  idempotency_key: string | null;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  result: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  enqueued_at: number;
  updated_at: number;
  finished_at: number | null;
}

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id          TEXT    NOT NULL UNIQUE,
  kind            TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  cube_id         TEXT,
  payload         TEXT    NOT NULL,
  priority        INTEGER NOT NULL,
  not_before      INTEGER NOT NULL,
  idempotency_key TEXT    UNIQUE,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  max_attempts    INTEGER NOT NULL,
  last_error      TEXT,
  result          TEXT,
  lease_owner     TEXT,
  lease_until     INTEGER,
  enqueued_at     INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  finished_at     INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_open_by_priority ON jobs (priority DESC, seq) WHERE status IN ('waiting', 'failed', 'running');
CREATE INDEX IF NOT EXISTS jobs_open_by_key ON jobs (kind, key, seq) WHERE status IN ('waiting', 'failed', 'running');
CREATE INDEX IF NOT EXISTS jobs_by_cube ON jobs (cube_id, seq);
`;

const iso = (ms: number) => new Date(ms).toISOString();

function toRecord(row: JobRow): JobRecord {
  return {
    jobId: row.job_id,
    kind: row.kind,
    key: row.key,
    ...(row.cube_id !== null ? { cubeId: row.cube_id } : {}),
    payload: JSON.parse(row.payload),
    priority: row.priority,
    notBefore: iso(row.not_before),
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) } : {}),
    enqueuedAt: iso(row.enqueued_at),
    updatedAt: iso(row.updated_at),
    ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at) } : {}),
  };
}

const unavailable = (what: string) => (cause: unknown) =>
  new JobBusUnavailable({ message: `the job queue could not ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, cause });

/**
 * The embedded job bus: one SQLite table in the data directory.
 *
 * Durability: a job is acknowledged only once its row is committed (synchronous=FULL).
 * Claiming takes a lease; a worker renews it while the handler runs, and a job whose
 * lease ran out (its worker crashed or hung) is claimed again by anyone.
 * Order: within a (kind, key) a job runs only when no earlier job of that key is
 * running, retrying, or due — so per-key order survives retries. A delayed job joins
 * its key's order when it becomes due, so "archive in 30 days" blocks nothing.
 * Priority: among runnable jobs, higher priority first, then enqueue order.
 */
export function openSqliteJobBus(options: SqliteJobBusOptions): JobBusPort {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.exec(schema);
  db.exec(workerIdentitySchema);

  const policy = options.retryPolicy ?? defaultRetryPolicy;
  const leaseMs = options.leaseMs ?? defaultJobLeaseMs;
  const heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(leaseMs / heartbeatFraction));
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const now = options.now ?? Date.now;
  const enqueued = new Signal();
  const workers = new Set<SqliteWorker>();

  const byId = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE job_id = ?");
  const byIdempotencyKey = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE idempotency_key = ?");
  const insert = db.prepare(
    `INSERT INTO jobs (job_id, kind, key, cube_id, payload, priority, not_before, idempotency_key, status, attempts, max_attempts, enqueued_at, updated_at)
     VALUES (@jobId, @kind, @key, @cubeId, @payload, @priority, @notBefore, @idempotencyKey, 'waiting', 0, @maxAttempts, @now, @now)`,
  );

  const enqueueTx = db.transaction((request: JobRequest): EnqueueResult | { readonly error: InvalidJob } => {
    const at = now();
    const normalized = normalizeJobRequest(request, policy, at);
    if ("_tag" in normalized) return { error: normalized };
    if (normalized.idempotencyKey !== undefined) {
      const existing = byIdempotencyKey.get(normalized.idempotencyKey);
      if (existing) return { job: toRecord(existing), alreadyEnqueued: true };
    }
    const jobId = uuidv7(at);
    insert.run({
      jobId,
      kind: normalized.kind,
      key: normalized.key,
      cubeId: normalized.cubeId ?? null,
      payload: JSON.stringify(normalized.payload),
      priority: normalized.priority,
      notBefore: normalized.notBeforeMs,
      idempotencyKey: normalized.idempotencyKey ?? null,
      maxAttempts: normalized.maxAttempts,
      now: at,
    });
    return { job: toRecord(byId.get(jobId)!), alreadyEnqueued: false };
  });

  const port: JobBusPort = {
    engine: `sqlite:${options.path}`,
    capabilities: { priorities: true },
    health: () =>
      Effect.try({
        try: () => {
          const { waiting } = db.prepare<[], { waiting: number }>("SELECT count(*) AS waiting FROM jobs WHERE status = 'waiting'").get()!;
          return `${waiting} jobs waiting`;
        },
        catch: unavailable("read the job table"),
      }),
    enqueue: (request) =>
      Effect.try({ try: () => enqueueTx.immediate(request), catch: unavailable("store the job") }).pipe(
        Effect.flatMap((result) => ("error" in result ? Effect.fail(result.error) : Effect.succeed(result))),
        Effect.tap(() => Effect.sync(() => enqueued.notify())),
      ),
    get: (jobId) =>
      Effect.try({ try: () => byId.get(jobId), catch: unavailable("read the job") }).pipe(
        Effect.flatMap((row) => (row ? Effect.succeed(toRecord(row)) : Effect.fail(jobNotFound(jobId)))),
      ),
    list: (listOptions: ListJobsOptions = {}) =>
      Effect.try({
        try: () => {
          const where: string[] = [];
          const params: Record<string, unknown> = { limit: Math.min(Math.max(listOptions.limit ?? 100, 1), 1_000) };
          if (listOptions.cubeId !== undefined) (where.push("cube_id = @cubeId"), (params.cubeId = listOptions.cubeId));
          if (listOptions.status !== undefined) (where.push("status = @status"), (params.status = listOptions.status));
          if (listOptions.kind !== undefined) (where.push("kind = @kind"), (params.kind = listOptions.kind));
          const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT @limit`;
          return db.prepare<[Record<string, unknown>], JobRow>(sql).all(params).map(toRecord);
        },
        catch: unavailable("list jobs"),
      }),
    retry: (jobId) =>
      Effect.try({
        try: () =>
          db.transaction(() => {
            const row = byId.get(jobId);
            if (!row) return jobNotFound(jobId);
            if (row.status !== "dead") return jobNotRetriable(jobId, row.status);
            const at = now();
            db.prepare("UPDATE jobs SET status = 'waiting', attempts = 0, not_before = ?, updated_at = ?, finished_at = NULL WHERE job_id = ?").run(at, at, jobId);
            return toRecord(byId.get(jobId)!);
          }).immediate(),
        catch: unavailable("retry the job"),
      }).pipe(
        Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result))),
        Effect.tap(() => Effect.sync(() => enqueued.notify())),
      ),
    startWorker: (workerOptions) =>
      Effect.try({
        try: () => {
          const worker = new SqliteWorker(db, workerOptions, { policy, leaseMs, heartbeatMs, pollIntervalMs, now, enqueued }, () => workers.delete(worker));
          workers.add(worker);
          worker.start();
          return worker as JobWorker;
        },
        catch: unavailable("start a worker"),
      }),
    close: () =>
      Effect.promise(async () => {
        await Promise.all([...workers].map((w) => w.stop({ graceMs: 0 })));
        if (db.open) db.close();
      }),
  };
  return port;
}

interface WorkerSettings {
  readonly policy: RetryPolicy;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly pollIntervalMs: number;
  readonly now: () => number;
  readonly enqueued: Signal;
}

interface InFlight {
  readonly job: JobRecord;
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

class SqliteWorker implements JobWorker {
  private readonly name: string;
  private identity!: ClaimedIdentity;
  private heartbeat: NodeJS.Timeout | undefined;
  /** The identity each in-flight job was claimed under: it stays the job's fence even if this worker's identity changes. */
  private readonly leaseOwners = new Map<string, string>();
  private readonly kinds: string[];
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly wake = new Signal();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly claimStatement;
  private readonly nextDueStatement;
  private readonly markRunning;
  private readonly reclaimStatement;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly options: WorkerOptions,
    private readonly settings: WorkerSettings,
    private readonly onStopped: () => void,
  ) {
    this.name = options.workerName ?? defaultWorkerName;
    this.kinds = Object.keys(options.handlers);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    const kindList = this.kinds.map(() => "?").join(", ") || "NULL";
    // A job is runnable when it is due (or its lease expired) and no earlier job of its
    // (kind, key) is running, retrying, or due: that keeps per-key order across retries.
    // Never our own running job: we are running it, however late our last renewal was.
    this.claimStatement = db.prepare<unknown[], JobRow>(`
      SELECT * FROM jobs j INDEXED BY jobs_open_by_priority
      WHERE j.status IN ('waiting', 'failed', 'running') AND j.kind IN (${kindList})
        AND ((j.status IN ('waiting', 'failed') AND j.not_before <= @now) OR (j.status = 'running' AND j.lease_until < @now AND j.lease_owner IS NOT @me))
        AND NOT EXISTS (
          SELECT 1 FROM jobs k
          WHERE k.kind = j.kind AND k.key = j.key AND k.seq < j.seq AND k.status IN ('waiting', 'failed', 'running')
            AND (k.status IN ('running', 'failed') OR k.not_before <= @now))
      ORDER BY j.priority DESC, j.seq
      LIMIT 1`);
    this.markRunning = db.prepare("UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ? WHERE seq = ?");
    this.reclaimStatement = db.prepare(`
      UPDATE jobs SET
        status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
        finished_at = CASE WHEN attempts >= max_attempts THEN @at ELSE NULL END,
        last_error = @reason, not_before = @at, lease_owner = NULL, lease_until = NULL, updated_at = @at
      WHERE status = 'running' AND lease_owner = @owner`);
    this.nextDueStatement = db.prepare<unknown[], { due: number | null }>(
      `SELECT MIN(CASE WHEN status = 'running' THEN lease_until ELSE not_before END) AS due FROM jobs WHERE status IN ('waiting', 'failed', 'running') AND kind IN (${kindList})`,
    );
  }

  get workerId(): string {
    return this.identity.workerId;
  }

  start(): void {
    this.identity = this.takeIdentity();
    this.heartbeat = setInterval(() => this.beat(), this.settings.heartbeatMs);
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  /** Takes this worker's identity and, at once, the jobs a crashed earlier holder of it left running. */
  private takeIdentity(): ClaimedIdentity {
    return this.db
      .transaction(() => {
        const at = this.settings.now();
        const identity = claimWorkerIdentity(this.db, this.name, at, this.settings.leaseMs);
        const before = identity.takenFrom ? `pid ${identity.takenFrom.pid} on ${identity.takenFrom.host}` : "an earlier process";
        // The crashed attempt counts, as any failed one: a job that kills its worker every time goes dead.
        this.reclaimStatement.run({
          owner: identity.workerId,
          at,
          reason: `worker ${identity.workerId} (${before}) stopped while running this job (crash or kill); its restart (pid ${process.pid}) took the job back`,
        });
        return identity;
      })
      .immediate();
  }

  /** Says this worker is alive and renews the lease of every job it runs, in one transaction (one fsync a beat). */
  private beat(): void {
    let lost: InFlight[] = [];
    try {
      lost = this.db
        .transaction(() => {
          // Another process took our identity for dead (we were frozen past the lease): carry on under a new one.
          if (!heartbeatWorkerIdentity(this.db, this.identity, this.settings.now())) this.identity = this.takeIdentity();
          return [...this.inFlight.values()].filter(({ job }) => !this.renewLease(job));
        })
        .immediate();
    } catch {
      // A failed heartbeat is retried at the next tick; the lease is long enough to miss a few.
    }
    // Aborted after the commit: a handler's abort listener may well touch the database.
    for (const { job, controller } of lost) controller.abort(new Error(`lost the lease on job ${job.jobId}`));
  }

  private claim(): JobRecord | undefined {
    return this.db
      .transaction(() => {
        const at = this.settings.now();
        const row = this.claimStatement.get(...this.kinds, { now: at, me: this.workerId });
        if (!row) return undefined;
        this.markRunning.run(this.workerId, at + this.settings.leaseMs, at, row.seq);
        this.leaseOwners.set(row.job_id, this.workerId);
        return toRecord({ ...row, status: "running", attempts: row.attempts + 1, updated_at: at });
      })
      .immediate();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let job: JobRecord | undefined;
      try {
        job = this.claim();
      } catch {
        // The database is busy or failing; back off and try again rather than crash the worker.
        await waitForSignal([this.wake], this.settings.pollIntervalMs);
        continue;
      }
      if (job) {
        await this.run(job);
        continue;
      }
      const due = this.nextDueStatement.get(...this.kinds)?.due ?? null;
      const untilDue = due === null ? this.settings.pollIntervalMs : Math.max(1, due - this.settings.now());
      await waitForSignal([this.settings.enqueued, this.wake], Math.min(untilDue, this.settings.pollIntervalMs));
    }
  }

  private async run(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    const handler = this.options.handlers[job.kind]!;
    const done = (async () => {
      try {
        const result = await handler(job, { attempt: job.attempts, signal: controller.signal });
        if (!controller.signal.aborted) this.finish(job, result ?? null);
      } catch (error) {
        if (!controller.signal.aborted) this.fail(job, error);
      }
    })();
    this.inFlight.set(job.jobId, { job, controller, done });
    await done;
    this.inFlight.delete(job.jobId);
    this.leaseOwners.delete(job.jobId);
  }

  /** Every write after the claim is fenced by owner and attempt: a worker that lost its lease changes nothing. */
  private fenced(sql: string, job: JobRecord, ...params: unknown[]): boolean {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(`${sql} WHERE job_id = ? AND lease_owner = ? AND attempts = ? AND status = 'running'`);
      this.statements.set(sql, statement);
    }
    return statement.run(...params, job.jobId, this.leaseOwners.get(job.jobId) ?? this.workerId, job.attempts).changes === 1;
  }

  /** False when the job is no longer ours (another worker took it after our lease ran out). */
  private renewLease(job: JobRecord): boolean {
    const at = this.settings.now();
    return this.fenced("UPDATE jobs SET lease_until = ?, updated_at = ?", job, at + this.settings.leaseMs, at);
  }

  private finish(job: JobRecord, result: unknown): void {
    const at = this.settings.now();
    this.fenced("UPDATE jobs SET status = 'done', result = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?, finished_at = ?", job, JSON.stringify(result), at, at);
  }

  private fail(job: JobRecord, error: unknown): void {
    const at = this.settings.now();
    const message = describeJobError(error);
    if (job.attempts >= job.maxAttempts) {
      this.fenced("UPDATE jobs SET status = 'dead', last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?, finished_at = ?", job, message, at, at);
    } else {
      const retryAt = at + retryDelayMs(this.settings.policy, job.attempts);
      this.fenced("UPDATE jobs SET status = 'failed', last_error = ?, not_before = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?", job, message, retryAt, at);
    }
  }

  /** Hands an unfinished job back without counting the attempt: the stop was ours, not the job's fault. */
  private release(job: JobRecord): boolean {
    const at = this.settings.now();
    return this.fenced("UPDATE jobs SET status = 'waiting', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, not_before = ?, updated_at = ?", job, at, at);
  }

  async stop(stopOptions: StopOptions = {}): Promise<StopReport> {
    if (this.stopping) return { finished: 0, released: 0 };
    this.stopping = true;
    this.wake.notify();
    const pending = [...this.inFlight.values()];
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), stopOptions.graceMs ?? 10_000)));
    const settled = new Set<string>();
    await Promise.race([grace, Promise.all(pending.map((p) => p.done.then(() => settled.add(p.job.jobId))))]);
    clearTimeout(timer);
    let released = 0;
    for (const p of pending) {
      if (settled.has(p.job.jobId)) continue;
      // Release first, then abort: the handler's late completion is fenced out by the release.
      if (this.db.open && this.release(p.job)) released += 1;
      p.controller.abort(new Error("the worker is stopping"));
    }
    await Promise.all(this.loops.map((l) => Promise.race([l, grace])));
    clearInterval(this.heartbeat);
    try {
      releaseWorkerIdentity(this.db, this.identity);
    } catch {
      // Left held: the next process with this name finds its owner gone and takes it anyway.
    }
    this.settings.enqueued.notify();
    this.onStopped();
    return { finished: settled.size, released };
  }
}

export const layerSqliteJobBus = (options: SqliteJobBusOptions) =>
  Layer.scoped(
    JobBus,
    Effect.acquireRelease(
      Effect.sync(() => openSqliteJobBus(options)),
      (bus) => bus.close(),
    ),
  );
