import type { Kafka, KafkaMessage, Producer } from "kafkajs";
import { uuidv7 } from "../ids/idGenerator.js";
import type { JobHandler, JobRecord, JobWorker, JsonValue, RetryPolicy, StopOptions, StopReport, WorkerOptions } from "./jobBusPort.js";
import { describeJobError, retryDelayMs } from "./jobRequestValidation.js";
import { abortableSleep, type ConsumerTiming } from "./kafkaConsumers.js";
import { KafkaDelayForwarder } from "./kafkaDelayForwarder.js";
import { readJobMessage, type StatusEntry } from "./kafkaJobMessages.js";
import type { KafkaJobStatusView } from "./kafkaJobStatusView.js";
import type { KafkaJobTopicNames, KafkaTopicCreator } from "./kafkaJobTopics.js";
import { KafkaLaneConsumer, type Lane, type LaneOutcome } from "./kafkaPartitionLanes.js";

/** What a worker borrows from its bus. */
export interface KafkaWorkerEnvironment {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly names: KafkaJobTopicNames;
  readonly topics: KafkaTopicCreator;
  readonly view: KafkaJobStatusView;
  readonly groupId: string;
  readonly policy: RetryPolicy;
  readonly timing: ConsumerTiming;
  readonly delayTiming: ConsumerTiming;
  readonly joinTimeoutMs: number;
  writeStatus(entry: StatusEntry): Promise<void>;
  sendDeadLetter(job: JobRecord): Promise<void>;
  /** Waits until the status view has read everything written so far; false when that took longer than `timeoutMs`. */
  catchUpView(timeoutMs: number): Promise<boolean>;
  warn(message: string, cause?: unknown): void;
}

/**
 * A failed job waits for its retry in place, holding its partition (that is what
 * keeps its key's later jobs behind it), so the wait is capped well below the
 * policy's usual maxDelayMs: other keys that share the partition wait with it.
 */
export const maxInPlaceRetryDelayMs = 30_000;

const iso = (ms: number) => new Date(ms).toISOString();

type Settled = { readonly kind: "returned"; readonly value: JsonValue } | { readonly kind: "threw"; readonly error: unknown } | { readonly kind: "aborted" };

/** A handler call in progress. */
class RunningJob {
  readonly controller = new AbortController();
  /** Set the moment the handler returns or throws: from then on only the status write is left. */
  handlerSettled = false;
  finished = false;
  private markFinished!: () => void;
  readonly whenFinished = new Promise<void>((resolve) => (this.markFinished = resolve));

  constructor(readonly entry: StatusEntry) {}

  async execute(handler: JobHandler, laneSignal: AbortSignal): Promise<Settled> {
    const { job } = this.entry;
    const onLaneClosed = () => this.controller.abort(laneSignal.reason);
    if (laneSignal.aborted) onLaneClosed();
    laneSignal.addEventListener("abort", onLaneClosed, { once: true });
    const aborted = new Promise<Settled>((resolve) => {
      if (this.controller.signal.aborted) resolve({ kind: "aborted" });
      this.controller.signal.addEventListener("abort", () => resolve({ kind: "aborted" }), { once: true });
    });
    const ran = Promise.resolve()
      .then(() => handler(job, { attempt: job.attempts, signal: this.controller.signal }))
      .then(
        (value): Settled => {
          this.handlerSettled = true;
          return { kind: "returned", value: value ?? null };
        },
        (error: unknown): Settled => {
          this.handlerSettled = true;
          return { kind: "threw", error };
        },
      );
    try {
      return await Promise.race([ran, aborted]);
    } finally {
      laneSignal.removeEventListener("abort", onLaneClosed);
    }
  }

  finish(): void {
    this.finished = true;
    this.markFinished();
  }
}

/** Counts jobs running at once across all of a worker's kinds. */
class Permits {
  private readonly waiters: Array<() => void> = [];

  constructor(private available: number) {}

  /** A release function, or undefined when `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    while (this.available === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener("abort", wake);
          const index = this.waiters.indexOf(wake);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve();
        };
        this.waiters.push(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
    if (signal.aborted) return undefined;
    this.available -= 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += 1;
      this.waiters.shift()?.();
    };
  }
}

/**
 * A worker: one consumer-group member per job kind (group `<groupId>.<kind topic>`),
 * each partition worked through serially by its own lane, plus a delay forwarder.
 *
 * A consumer per kind rather than one for all: kafkajs's assigners hand out the
 * group leader's subscription to every member, so workers with different handler
 * sets in one group would be given partitions nobody reads.
 */
export class KafkaJobWorker implements JobWorker {
  readonly workerId: string;
  private readonly permits: Permits;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<RunningJob>();
  private readonly consumers: KafkaLaneConsumer[];
  private readonly forwarder: KafkaDelayForwarder;
  private readonly cancelSignals = new WeakMap<Lane, AbortSignal>();
  /** Jobs that were being marked running when the stop began, and were handed straight back. */
  private releasedAtStart = 0;

  constructor(
    private readonly env: KafkaWorkerEnvironment,
    private readonly options: WorkerOptions,
    private readonly onStopped: () => void,
  ) {
    // Kafka has no identity to take back (kafkajs lacks static membership): the name only labels this member.
    this.workerId = `${options.workerName ?? "worker"}-${uuidv7()}`;
    this.permits = new Permits(Math.max(1, options.concurrency ?? 4));
    this.consumers = Object.entries(options.handlers).map(([kind, handler]) => {
      const topic = env.names.kind(kind);
      return new KafkaLaneConsumer({
        kafka: env.kafka,
        groupId: `${env.groupId}.${topic}`,
        topic,
        timing: env.timing,
        joinTimeoutMs: env.joinTimeoutMs,
        beforeFirstMessage: (lane) => this.catchUpView(lane),
        process: (message, lane) => this.process(handler, message, lane),
        warn: env.warn,
      });
    });
    this.forwarder = new KafkaDelayForwarder({
      kafka: env.kafka,
      producer: env.producer,
      names: env.names,
      topics: env.topics,
      groupId: `${env.groupId}.${env.names.delayed}`,
      timing: env.delayTiming,
      joinTimeoutMs: env.joinTimeoutMs,
      warn: env.warn,
    });
  }

  async start(): Promise<void> {
    const { names, topics } = this.env;
    await Promise.all([...Object.keys(this.options.handlers).map((kind) => topics.ensure(names.kind(kind))), topics.ensure(names.delayed)]);
    const starting = [this.forwarder.start(), ...this.consumers.map((consumer) => consumer.start())];
    const results = await Promise.allSettled(starting);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) {
      await this.stop({ graceMs: 0 });
      throw failed.reason;
    }
  }

  /**
   * A partition that was someone else's a moment ago may hold jobs whose last
   * status (running, failed, attempts so far) that member wrote: read up to it first.
   */
  private async catchUpView(lane: Lane): Promise<void> {
    for (let waited = 0; waited < 20_000 && !lane.signal.aborted; waited += 2_000) {
      if (await this.env.catchUpView(2_000)) return;
    }
    this.env.warn(`the job status view did not catch up before ${lane.topic} partition ${lane.partition} started; attempt counts there may be low`);
  }

  /** Aborted when the lane closes or the worker stops; one per lane, because combined signals are not free to make per message. */
  private cancelSignal(lane: Lane): AbortSignal {
    let signal = this.cancelSignals.get(lane);
    if (!signal) this.cancelSignals.set(lane, (signal = AbortSignal.any([lane.signal, this.stopping.signal])));
    return signal;
  }

  private async process(handler: JobHandler, message: KafkaMessage, lane: Lane): Promise<LaneOutcome> {
    const enqueued = readJobMessage(message);
    if (!enqueued) {
      this.env.warn(`skipped a message that is not a job at ${lane.topic} partition ${lane.partition} offset ${message.offset}`);
      return "commit";
    }
    const cancel = this.cancelSignal(lane);
    let viewCaughtUp = false;
    for (;;) {
      if (cancel.aborted) return "leave";
      // The view knows what happened to the job since it was enqueued; the message only what it was then.
      const entry = this.env.view.get(enqueued.job.jobId) ?? enqueued;
      const { job } = entry;
      if (job.status === "done" || job.status === "dead") {
        // Skip only on an up-to-date view: a dead job retried by hand on another instance is waiting again there.
        if (viewCaughtUp) return "commit";
        viewCaughtUp = true;
        if (!(await this.env.catchUpView(2_000))) throw new Error(`the job status view is behind; cannot tell whether job ${job.jobId} is finished`);
        continue;
      }
      const untilDue = Date.parse(job.notBefore) - Date.now();
      if ((job.status === "failed" || job.status === "waiting") && untilDue > 0) {
        if (!(await abortableSleep(Math.min(untilDue, maxInPlaceRetryDelayMs), cancel))) return "leave";
        continue;
      }
      const release = await this.permits.acquire(cancel);
      if (!release) return "leave";
      try {
        const outcome = await this.attempt(entry, handler, lane);
        if (outcome !== "again") return outcome;
      } finally {
        release();
      }
    }
  }

  private async attempt(entry: StatusEntry, handler: JobHandler, lane: Lane): Promise<LaneOutcome | "again"> {
    const { job, enqueueOrder } = entry;
    const { finishedAt: _finishedAt, ...unfinished } = job;
    const running: StatusEntry = { job: { ...unfinished, status: "running", attempts: job.attempts + 1, updatedAt: iso(Date.now()) }, enqueueOrder };
    // Written before the handler runs, so a crash mid-job still counts the attempt.
    await this.env.writeStatus(running);
    if (lane.signal.aborted) return "leave";
    if (this.stopping.signal.aborted) {
      await this.release(running);
      this.releasedAtStart += 1;
      return "leave";
    }
    const run = new RunningJob(running);
    this.inFlight.add(run);
    try {
      const settled = await run.execute(handler, lane.signal);
      // Aborted by a stop (which releases the job) or by losing the partition (the new owner runs it): write nothing.
      if (settled.kind === "aborted") return "leave";
      const at = Date.now();
      if (settled.kind === "returned") {
        await this.env.writeStatus({ job: { ...running.job, status: "done", result: settled.value, updatedAt: iso(at), finishedAt: iso(at) }, enqueueOrder });
        return "commit";
      }
      const lastError = describeJobError(settled.error);
      if (running.job.attempts >= running.job.maxAttempts) {
        const dead: JobRecord = { ...running.job, status: "dead", lastError, updatedAt: iso(at), finishedAt: iso(at) };
        await this.env.sendDeadLetter(dead);
        await this.env.writeStatus({ job: dead, enqueueOrder });
        return "commit";
      }
      const retryAt = at + Math.min(retryDelayMs(this.env.policy, running.job.attempts), maxInPlaceRetryDelayMs);
      await this.env.writeStatus({ job: { ...running.job, status: "failed", lastError, notBefore: iso(retryAt), updatedAt: iso(at) }, enqueueOrder });
      return "again";
    } finally {
      this.inFlight.delete(run);
      run.finish();
    }
  }

  /** Hands an unfinished job back without counting the attempt: the stop was ours, not the job's fault. */
  private async release(running: StatusEntry): Promise<void> {
    const at = iso(Date.now());
    try {
      await this.env.writeStatus({ job: { ...running.job, status: "waiting", attempts: running.job.attempts - 1, notBefore: at, updatedAt: at }, enqueueOrder: running.enqueueOrder });
    } catch (error) {
      // The message stays uncommitted either way, so the job still runs again; only its attempt is not given back.
      this.env.warn(`could not mark job ${running.job.jobId} waiting again while stopping`, error);
    }
  }

  async stop(stopOptions: StopOptions = {}): Promise<StopReport> {
    if (this.stopping.signal.aborted) return { finished: 0, released: 0 };
    this.stopping.abort(new Error("the worker is stopping"));
    for (const consumer of this.consumers) consumer.stopTaking();
    const forwarderStopped = this.forwarder.stop();

    const pending = [...this.inFlight];
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, stopOptions.graceMs ?? 10_000)));
    await Promise.race([grace, Promise.all(pending.map((run) => run.whenFinished))]);
    clearTimeout(timer);

    let finished = 0;
    let released = 0;
    const settling: Promise<void>[] = [];
    for (const run of pending) {
      if (run.finished || run.handlerSettled) {
        // A handler that returned in time counts as finished even if its status write is still on the way.
        finished += 1;
        settling.push(run.whenFinished);
        continue;
      }
      // Abort first: the attempt then writes nothing, and the release below is the job's last word from this worker.
      run.controller.abort(new Error("the worker is stopping"));
      released += 1;
      settling.push(this.release(run.entry));
    }
    await Promise.all(settling);
    // Uncommitted messages of released jobs go to whichever member gets their partitions next.
    await Promise.all([...this.consumers.map((consumer) => consumer.stop()), forwarderStopped]);
    this.onStopped();
    return { finished, released: released + this.releasedAtStart };
  }
}
