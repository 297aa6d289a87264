import { Effect, Layer } from "effect";
import { Kafka, logLevel as kafkaLogLevel, Partitioners, type Admin, type Consumer, type Producer } from "kafkajs";
import { uuidv7 } from "../ids/idGenerator.js";
import { JobBusUnavailable, jobNotFound, jobNotRetriable, type InvalidJob, type JobNotFound, type JobNotRetriable } from "./jobBusErrors.js";
import { defaultRetryPolicy, JobBus, type EnqueueResult, type JobBusPort, type JobRecord, type ListJobsOptions, type RetryPolicy } from "./jobBusPort.js";
import { normalizeJobRequest, type NormalizedJobRequest } from "./jobRequestValidation.js";
import type { ConsumerTiming } from "./kafkaConsumers.js";
import { deadLetterMessage, EnqueueClock, jobIdForIdempotencyKey, jobMessage, statusMessage, type StatusEntry } from "./kafkaJobMessages.js";
import { followStatusTopic, KafkaJobStatusView } from "./kafkaJobStatusView.js";
import { kafkaJobTopicNames, KafkaTopicCreator, statusTopicConfig } from "./kafkaJobTopics.js";
import { KafkaJobWorker, type KafkaWorkerEnvironment } from "./kafkaJobWorker.js";
import { defaultKafkaSessionTimeoutMs } from "./leaseDefaults.js";
import { logger } from "../logging/logger.js";

export interface KafkaJobBusOptions {
  readonly brokers: readonly string[];
  /** Topics are `<prefix>.<kind>` plus `<prefix>._status`, `<prefix>._delayed` and `<prefix>._dead`; default "memledger.jobs". */
  readonly topicPrefix?: string;
  /** Workers of a kind share the group `<groupId>.<kind topic>`; default "memledger-workers". */
  readonly groupId?: string;
  readonly retryPolicy?: RetryPolicy;
  /** Partitions of the topics this bus creates; default 6. Jobs of different keys run in parallel up to this many per kind. */
  readonly partitions?: number;
  readonly clientId?: string;
  /** A worker that stops heartbeating for this long loses its partitions to the others, and a restarted one waits as long to get them back; default 10 s (the broker's minimum is usually 6 s). */
  readonly sessionTimeoutMs?: number;
  /** kafkajs's own logging; defaults to ERROR, because failures reach callers as JobBusUnavailable. */
  readonly kafkaLogLevel?: kafkaLogLevel;
  /** Told about trouble a worker works around on its own (a retried status write, an unreadable message); defaults to the shared logger (src/logging/logger.ts). */
  readonly onWarning?: (message: string, cause?: unknown) => void;
}

// How long `get`, `list` and idempotent enqueues wait for the status view to read another instance's writes.
const viewCatchUpMs = 2_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The job bus on Kafka, for deployments with several processes enqueuing and working.
 *
 * Jobs: one topic per kind, keyed by ordering key, so a key's jobs sit in one
 * partition in enqueue order and a worker's lane runs them one at a time; a failed
 * job is retried in place and holds back the rest of its partition (per-key order,
 * at the price of head-of-line blocking for keys that share the partition).
 * Status: a compacted topic keyed by job id holds the latest JobRecord; every bus
 * instance reads it into memory for get/list, applying its own writes at once.
 * Delays: `<prefix>._delayed`, forwarded by every worker's delay forwarder when due.
 * Priorities: not supported — a partition is FIFO, so `capabilities.priorities` is false.
 * Delivery is at least once: a crash before a job's "done" status is written runs it
 * again; a message whose job the status view already has as done or dead is skipped,
 * so a crash between that write and the offset commit, or a duplicate message, runs nothing.
 */
export function openKafkaJobBus(options: KafkaJobBusOptions): JobBusPort {
  const brokerList = options.brokers.join(",");
  const prefix = options.topicPrefix ?? "memledger.jobs";
  const names = kafkaJobTopicNames(prefix);
  const policy = options.retryPolicy ?? defaultRetryPolicy;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? defaultKafkaSessionTimeoutMs;
  const timing: ConsumerTiming = { sessionTimeoutMs, maxWaitTimeInMs: 500 };
  // Short fetch waits: a paused delayed partition resumes at the next fetch, so this bounds how late a delayed job can be.
  const delayTiming: ConsumerTiming = { sessionTimeoutMs, maxWaitTimeInMs: 200 };
  // Joining can wait for a crashed member's session to expire first.
  const joinTimeoutMs = 2 * sessionTimeoutMs + 30_000;
  const warn = options.onWarning ?? ((message: string, cause?: unknown) => logger("jobBus").warn(`memledger kafka job bus (${brokerList}): ${message}${cause === undefined ? "" : `: ${describe(cause)}`}`));

  const kafka = new Kafka({ clientId: options.clientId ?? "memledger-jobs", brokers: [...options.brokers], logLevel: options.kafkaLogLevel ?? kafkaLogLevel.ERROR });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({
    idempotent: true,
    // One request in flight keeps a key's jobs in order even when a send is retried.
    maxInFlightRequests: 1,
    // Bounded, so a broker outage surfaces as JobBusUnavailable instead of an enqueue that never returns.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const topics = new KafkaTopicCreator(admin, options.partitions ?? 6);
  const view = new KafkaJobStatusView();
  const clock = new EnqueueClock();
  const workers = new Set<KafkaJobWorker>();
  // Enqueues in flight by job id, so two calls with one idempotency key in this process make one job.
  const enqueuing = new Map<string, Promise<EnqueueResult>>();
  let viewConsumer: Consumer | undefined;
  let closed = false;
  let connecting: Promise<void> | undefined;

  const connect = async () => {
    await admin.connect();
    await producer.connect();
    await topics.ensure(names.status, statusTopicConfig);
    if (viewConsumer) return;
    const consumer = await followStatusTopic(kafka, names.status, view, timing, joinTimeoutMs);
    viewConsumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || closed) return;
      // kafkajs gave up on it: forget it, so the next call reads the status topic again with a fresh consumer.
      warn(`the job status view stopped reading ${names.status}; it is reopened on the next call`, payload.error);
      if (viewConsumer === consumer) viewConsumer = undefined;
      connecting = undefined;
      consumer.disconnect().catch(() => undefined);
    });
  };
  /** Connects once; a failed attempt is forgotten so the next call tries again. */
  const connected = (): Promise<void> => {
    if (closed) return Promise.reject(new JobBusUnavailable({ message: `the Kafka job bus for ${brokerList} (topics ${prefix}.*) is closed` }));
    connecting ??= connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
  // Start reading the status topic now, so the first get or list finds a warm view.
  connected().catch(() => undefined);

  const unavailable = (what: string) => (cause: unknown) =>
    cause instanceof JobBusUnavailable ? cause : new JobBusUnavailable({ message: `the Kafka job bus at ${brokerList} could not ${what}: ${describe(cause)}`, cause });
  const attempt = <A>(what: string, run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: unavailable(what) });

  const writeStatus = async (entry: StatusEntry): Promise<void> => {
    const [sent] = await producer.send({ topic: names.status, acks: -1, messages: [statusMessage(entry)] });
    // Read-your-writes: this instance sees its own write before the call returns.
    if (sent?.baseOffset !== undefined) view.apply(entry.job.jobId, entry, sent.partition, BigInt(sent.baseOffset));
  };

  const sendJob = async (entry: StatusEntry): Promise<void> => {
    const kindTopic = names.kind(entry.job.kind);
    // The kind's topic exists even for a delayed job, so forwarding it later cannot fail on a missing topic.
    await topics.ensure(kindTopic);
    const isDue = Date.parse(entry.job.notBefore) <= Date.now();
    if (!isDue) await topics.ensure(names.delayed);
    await producer.send({ topic: isDue ? kindTopic : names.delayed, acks: -1, messages: [jobMessage(entry)] });
  };

  const catchUpView = async (timeoutMs: number): Promise<boolean> => {
    await connected();
    const ends = await statusTopicEnds();
    return view.waitUntilConsumed(new Map(ends.map(({ partition, high }) => [partition, BigInt(high)])), timeoutMs);
  };
  const statusTopicEnds = async () => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await admin.fetchTopicOffsets(names.status);
      } catch (error) {
        // A leader election answers "not the leader" for a moment; kafkajs's admin does not retry that here.
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  };

  /** The job as the view knows it; for an id it does not know, first reads everything written so far. */
  const lookup = async (jobId: string): Promise<StatusEntry | undefined> => {
    await connected();
    const known = view.get(jobId);
    if (known) return known;
    if (!(await catchUpView(viewCatchUpMs))) throw viewStillLoading();
    return view.get(jobId);
  };
  const viewStillLoading = () =>
    new JobBusUnavailable({ message: `the Kafka job bus at ${brokerList} is still reading job statuses from ${names.status} (more than ${viewCatchUpMs} ms behind); try again shortly` });

  const enqueueNormalized = async (request: NormalizedJobRequest, at: number): Promise<EnqueueResult> => {
    const jobId = request.idempotencyKey !== undefined ? jobIdForIdempotencyKey(request.idempotencyKey) : uuidv7(at);
    if (request.idempotencyKey !== undefined) {
      const existing = await lookup(jobId);
      if (existing) {
        // A waiting job's message may be missing (its enqueue died between the two sends): send it again; workers skip duplicates.
        if (existing.job.status === "waiting") await sendJob(existing);
        return { job: existing.job, alreadyEnqueued: true };
      }
    } else {
      await connected();
    }
    const entry: StatusEntry = {
      job: {
        jobId,
        kind: request.kind,
        key: request.key,
        ...(request.cubeId !== undefined ? { cubeId: request.cubeId } : {}),
        payload: request.payload,
        priority: request.priority,
        notBefore: iso(request.notBeforeMs),
        ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
        status: "waiting",
        attempts: 0,
        maxAttempts: request.maxAttempts,
        enqueuedAt: iso(at),
        updatedAt: iso(at),
      },
      enqueueOrder: clock.next(at),
    };
    // Status first: a worker's later writes (running, done) then always come after it in the status topic.
    await writeStatus(entry);
    await sendJob(entry);
    return { job: entry.job, alreadyEnqueued: false };
  };

  const workerEnvironment: KafkaWorkerEnvironment = {
    kafka,
    producer,
    names,
    topics,
    view,
    groupId: options.groupId ?? "memledger-workers",
    policy,
    timing,
    delayTiming,
    joinTimeoutMs,
    writeStatus,
    sendDeadLetter: async (job) => {
      await topics.ensure(names.dead);
      await producer.send({ topic: names.dead, acks: -1, messages: [deadLetterMessage(job)] });
    },
    catchUpView,
    warn,
  };

  let closing: Promise<void> | undefined;
  const port: JobBusPort = {
    engine: `kafka:${brokerList}/${prefix}`,
    health: () =>
      attempt("describe the Kafka cluster", async () => {
        await connected();
        const cluster = await admin.describeCluster();
        return `${cluster.brokers.length} broker${cluster.brokers.length === 1 ? "" : "s"}, controller ${cluster.controller ?? "unknown"}`;
      }),
    // One FIFO topic per kind: a waiting job cannot overtake older ones of its partition.
    capabilities: { priorities: false },
    enqueue: (request) =>
      Effect.suspend((): Effect.Effect<EnqueueResult, InvalidJob | JobBusUnavailable> => {
        const at = Date.now();
        const normalized = normalizeJobRequest(request, policy, at);
        if ("_tag" in normalized) return Effect.fail(normalized);
        return attempt("store the job", () => {
          const key = normalized.idempotencyKey !== undefined ? jobIdForIdempotencyKey(normalized.idempotencyKey) : undefined;
          const earlier = key !== undefined ? enqueuing.get(key) : undefined;
          if (earlier) return earlier.then(({ job }) => ({ job, alreadyEnqueued: true }));
          const enqueue = enqueueNormalized(normalized, at);
          if (key === undefined) return enqueue;
          enqueuing.set(key, enqueue);
          return enqueue.finally(() => enqueuing.delete(key));
        });
      }),
    get: (jobId) =>
      attempt(`read job ${jobId}`, () => lookup(jobId)).pipe(Effect.flatMap((entry) => (entry ? Effect.succeed(entry.job) : Effect.fail(jobNotFound(jobId))))),
    list: (listOptions: ListJobsOptions = {}) =>
      attempt("list jobs", async () => {
        if (!(await catchUpView(viewCatchUpMs))) throw viewStillLoading();
        return view.list(listOptions);
      }),
    retry: (jobId) =>
      attempt(`retry job ${jobId}`, async (): Promise<JobRecord | JobNotFound | JobNotRetriable> => {
        // Decided on an up-to-date view: another instance may have retried or finished the job a moment ago.
        if (!(await catchUpView(viewCatchUpMs))) throw viewStillLoading();
        const entry = view.get(jobId);
        if (!entry) return jobNotFound(jobId);
        if (entry.job.status !== "dead") return jobNotRetriable(jobId, entry.job.status);
        const at = iso(Date.now());
        const { finishedAt: _finishedAt, ...unfinished } = entry.job;
        const waiting: StatusEntry = { job: { ...unfinished, status: "waiting", attempts: 0, notBefore: at, updatedAt: at }, enqueueOrder: entry.enqueueOrder };
        await writeStatus(waiting);
        await sendJob(waiting);
        return waiting.job;
      }).pipe(Effect.flatMap((result) => ("_tag" in result ? Effect.fail(result) : Effect.succeed(result)))),
    startWorker: (workerOptions) =>
      attempt("start a worker", async () => {
        await connected();
        // A broker that just created a topic can briefly answer "does not host this topic-partition"
        // (retriable); a few tries with a fresh worker ride over that instead of failing the start.
        for (let attemptNumber = 1; ; attemptNumber += 1) {
          const worker = new KafkaJobWorker(workerEnvironment, workerOptions, () => workers.delete(worker));
          workers.add(worker);
          try {
            await worker.start();
            return worker;
          } catch (error) {
            await worker.stop({ graceMs: 0 }).catch(() => undefined);
            workers.delete(worker);
            const retriable = (error as { retriable?: unknown }).retriable === true;
            if (!retriable || attemptNumber >= workerStartAttempts) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500 * attemptNumber));
          }
        }
      }),
    close: () =>
      Effect.promise(
        () =>
          (closing ??= (async () => {
            const wasConnecting = connecting;
            closed = true;
            await wasConnecting?.catch(() => undefined);
            await Promise.all([...workers].map((worker) => worker.stop({ graceMs: 0 })));
            await viewConsumer?.disconnect().catch(() => undefined);
            await producer.disconnect().catch(() => undefined);
            await admin.disconnect().catch(() => undefined);
          })()),
      ),
  };
  return port;
}

/** Tries at starting a worker while the broker reports retriable metadata errors. */
const workerStartAttempts = 5;

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

export const layerKafkaJobBus = (options: KafkaJobBusOptions) =>
  Layer.scoped(
    JobBus,
    Effect.acquireRelease(
      Effect.sync(() => openKafkaJobBus(options)),
      (bus) => bus.close(),
    ),
  );
