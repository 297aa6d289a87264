import { Effect, Either } from "effect";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { JobBusPort, JobHandler, JobRecord, JobStatus, JobWorker } from "./jobBusPort.js";

/**
 * The one contract every job-bus adapter passes: durability across a restart,
 * retries with backoff, dead letters, idempotent enqueue, per-key order, delays,
 * status by id and by cube, graceful shutdown that releases unfinished work.
 * Each test uses its own job kinds, so adapters may share a broker between tests.
 */
export interface JobBusUnderTest {
  /** Opens a bus over the suite's storage; a second call is a restart over the same storage. */
  open(): Promise<JobBusPort>;
  dispose(): Promise<void>;
}

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);
const attempt = <A, E>(effect: Effect.Effect<A, E>): Promise<Either.Either<A, E>> => Effect.runPromise(Effect.either(effect));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freshKind = (name: string) => `contract.${name}.${randomUUID().slice(0, 8)}`;

/** Polls until `probe` gives a value; shared by adapter-specific tests. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const statusIs = (bus: JobBusPort, jobId: string, status: JobStatus) =>
  until(`job ${jobId} to be ${status}`, async () => {
    const job = await run(bus.get(jobId));
    return job.status === status ? job : undefined;
  });

export function jobBusContract(name: string, setup: () => Promise<JobBusUnderTest>): void {
  describe(`job bus contract: ${name}`, () => {
    let subject: JobBusUnderTest | undefined;
    const workers: JobWorker[] = [];
    const buses: JobBusPort[] = [];

    const openBus = async () => {
      subject ??= await setup();
      const bus = await subject.open();
      buses.push(bus);
      return bus;
    };
    const startWorker = async (bus: JobBusPort, handlers: Record<string, JobHandler>, concurrency = 4) => {
      const worker = await run(bus.startWorker({ handlers, concurrency }));
      workers.push(worker);
      return worker;
    };

    afterEach(async () => {
      for (const worker of workers.splice(0)) await worker.stop({ graceMs: 0 });
      for (const bus of buses.splice(0)) await run(bus.close());
      await subject?.dispose();
      subject = undefined;
    });

    it("an enqueued job is waiting, readable by id, and an unknown id is JobNotFound", async () => {
      const bus = await openBus();
      const kind = freshKind("status");
      const { job, alreadyEnqueued } = await run(bus.enqueue({ kind, key: "k1", payload: { n: 1 }, cubeId: "c1" }));
      expect(alreadyEnqueued).toBe(false);
      expect(job).toMatchObject({ kind, key: "k1", payload: { n: 1 }, cubeId: "c1", status: "waiting", attempts: 0, priority: 5 });
      expect(await run(bus.get(job.jobId))).toMatchObject({ jobId: job.jobId, status: "waiting" });
      const missing = await attempt(bus.get(randomUUID()));
      expect(Either.isLeft(missing) && missing.left._tag).toBe("JobNotFound");
    });

    it("answers a health check with what it saw, for the readiness endpoint", async () => {
      const bus = await openBus();
      const detail = await run(bus.health());
      expect(typeof detail).toBe("string");
      expect(detail.length).toBeGreaterThan(0);
    });

    it("rejects a malformed job with the field that is wrong", async () => {
      const bus = await openBus();
      const bad = await attempt(bus.enqueue({ kind: "Bad Kind!", key: "k", payload: null }));
      expect(Either.isLeft(bad) && bad.left._tag === "InvalidJob" && bad.left.field).toBe("kind");
      const badPriority = await attempt(bus.enqueue({ kind: freshKind("p"), key: "k", payload: null, priority: 12 }));
      expect(Either.isLeft(badPriority) && badPriority.left._tag === "InvalidJob" && badPriority.left.field).toBe("priority");
    });

    it("the same idempotency key enqueues one job", async () => {
      const bus = await openBus();
      const kind = freshKind("idem");
      const idempotencyKey = randomUUID();
      const first = await run(bus.enqueue({ kind, key: "k", payload: 1, idempotencyKey }));
      const second = await run(bus.enqueue({ kind, key: "k", payload: 2, idempotencyKey }));
      expect(second.alreadyEnqueued).toBe(true);
      expect(second.job.jobId).toBe(first.job.jobId);
      let runs = 0;
      await startWorker(bus, { [kind]: async () => void (runs += 1) });
      await statusIs(bus, first.job.jobId, "done");
      await sleep(200);
      expect(runs).toBe(1);
    });

    it("a worker runs the job once and records its result", async () => {
      const bus = await openBus();
      const kind = freshKind("run");
      const { job } = await run(bus.enqueue({ kind, key: "k", payload: { x: 2 } }));
      await startWorker(bus, { [kind]: async (j) => ({ doubled: (j.payload as { x: number }).x * 2 }) });
      const done = await statusIs(bus, job.jobId, "done");
      expect(done).toMatchObject({ attempts: 1, result: { doubled: 4 } });
      expect(done.finishedAt).toBeDefined();
    });

    it("a failing job is retried with backoff until it succeeds", async () => {
      const bus = await openBus();
      const kind = freshKind("retry");
      const startedAt: number[] = [];
      await startWorker(bus, {
        [kind]: async (_job, context) => {
          startedAt.push(Date.now());
          if (context.attempt < 3) throw new Error(`transient failure ${context.attempt}`);
          return "ok";
        },
      });
      const { job } = await run(bus.enqueue({ kind, key: "k", payload: null, maxAttempts: 5 }));
      const done = await statusIs(bus, job.jobId, "done");
      expect(done.attempts).toBe(3);
      expect(done.lastError).toContain("transient failure 2");
      expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(startedAt[1]! - startedAt[0]! - 30);
    });

    it("a job that keeps failing goes dead with its last error, and a retry by hand runs it again", async () => {
      const bus = await openBus();
      const kind = freshKind("dead");
      let healthy = false;
      await startWorker(bus, {
        [kind]: async (_job, context) => {
          if (!healthy) throw new Error(`still broken at attempt ${context.attempt}`);
        },
      });
      const { job } = await run(bus.enqueue({ kind, key: "k", payload: null, maxAttempts: 2, cubeId: "cube-dead" }));
      const dead = await statusIs(bus, job.jobId, "dead");
      expect(dead.attempts).toBe(2);
      expect(dead.lastError).toContain("still broken at attempt 2");
      expect((await run(bus.list({ cubeId: "cube-dead", status: "dead" }))).map((j) => j.jobId)).toEqual([job.jobId]);
      healthy = true;
      const retried = await run(bus.retry(job.jobId));
      expect(retried.status === "waiting" || retried.status === "running" || retried.status === "done").toBe(true);
      await statusIs(bus, job.jobId, "done");
      const notDead = await attempt(bus.retry(job.jobId));
      expect(Either.isLeft(notDead) && notDead.left._tag).toBe("JobNotRetriable");
    });

    it("jobs with the same key run one at a time in enqueue order; other keys run alongside", async () => {
      const bus = await openBus();
      const kind = freshKind("order");
      const seen: Record<string, number[]> = { a: [], b: [], c: [] };
      const running = new Set<string>();
      let overlap = false;
      let failedOnce = false;
      const jobs: JobRecord[] = [];
      for (let i = 0; i < 30; i += 1) {
        const key = ["a", "b", "c"][i % 3]!;
        jobs.push((await run(bus.enqueue({ kind, key, payload: { key, i } }))).job);
      }
      await startWorker(
        bus,
        {
          [kind]: async (job) => {
            const { key, i } = job.payload as { key: string; i: number };
            if (running.has(key)) overlap = true;
            running.add(key);
            await sleep(Math.random() * 10);
            // One failure mid-stream: its retry must still come before the key's later jobs.
            if (key === "a" && i === 9 && !failedOnce) {
              failedOnce = true;
              running.delete(key);
              throw new Error("fail once");
            }
            seen[key]!.push(i);
            running.delete(key);
          },
        },
        4,
      );
      for (const job of jobs) await statusIs(bus, job.jobId, "done");
      expect(overlap).toBe(false);
      for (const key of ["a", "b", "c"]) expect(seen[key]).toEqual([...seen[key]!].sort((x, y) => x - y));
      expect(seen.a).toHaveLength(10);
    });

    it("a delayed job does not run before its time, and does not hold back its key meanwhile", async () => {
      const bus = await openBus();
      const kind = freshKind("delay");
      const ranAt = new Map<string, number>();
      await startWorker(bus, { [kind]: async (job) => void ranAt.set(job.jobId, Date.now()) });
      const enqueuedAt = Date.now();
      const delayed = (await run(bus.enqueue({ kind, key: "unit-1", payload: "later", notBefore: new Date(enqueuedAt + 1_500).toISOString() }))).job;
      const immediate = (await run(bus.enqueue({ kind, key: "unit-1", payload: "now" }))).job;
      await statusIs(bus, immediate.jobId, "done");
      expect(ranAt.has(delayed.jobId)).toBe(false);
      await statusIs(bus, delayed.jobId, "done");
      expect(ranAt.get(delayed.jobId)!).toBeGreaterThanOrEqual(enqueuedAt + 1_500 - 5);
    });

    it("jobs are listed by cube and by status, newest first", async () => {
      const bus = await openBus();
      const kind = freshKind("list");
      const cubeId = `cube-${randomUUID()}`;
      const a = (await run(bus.enqueue({ kind, key: "k1", payload: 1, cubeId }))).job;
      const b = (await run(bus.enqueue({ kind, key: "k2", payload: 2, cubeId }))).job;
      await run(bus.enqueue({ kind, key: "k3", payload: 3, cubeId: `other-${randomUUID()}` }));
      const listed = await until("both jobs listed", async () => {
        const jobs = await run(bus.list({ cubeId }));
        return jobs.length === 2 ? jobs : undefined;
      });
      expect(listed.map((j) => j.jobId)).toEqual([b.jobId, a.jobId]);
      expect(await run(bus.list({ cubeId, status: "done" }))).toEqual([]);
    });

    it("jobs survive a restart of the bus and run after it", async () => {
      const first = await openBus();
      const kind = freshKind("durable");
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await run(first.enqueue({ kind, key: `k${i}`, payload: i }))).job.jobId);
      await run(first.close());
      buses.splice(buses.indexOf(first), 1);
      const second = await openBus();
      const ran = new Set<number>();
      await startWorker(second, { [kind]: async (job) => void ran.add(job.payload as number) });
      for (const id of ids) await statusIs(second, id, "done");
      expect([...ran].sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it("stopping a worker lets short jobs finish and releases long ones to run again elsewhere", async () => {
      const bus = await openBus();
      const kind = freshKind("stop");
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => (release = resolve));
      const started = new Set<string>();
      const first = await startWorker(
        bus,
        {
          [kind]: async (job) => {
            started.add(job.payload as string);
            if (job.payload === "short") await sleep(100);
            else await stuck;
          },
        },
        2,
      );
      const short = (await run(bus.enqueue({ kind, key: "s", payload: "short" }))).job;
      const long = (await run(bus.enqueue({ kind, key: "l", payload: "long" }))).job;
      await until("both jobs to start", async () => (started.size === 2 ? true : undefined));
      const report = await first.stop({ graceMs: 600 });
      workers.splice(workers.indexOf(first), 1);
      release();
      expect(report).toEqual({ finished: 1, released: 1 });
      expect((await run(bus.get(short.jobId))).status).toBe("done");
      let secondRuns = 0;
      await startWorker(bus, { [kind]: async () => void (secondRuns += 1) });
      const done = await statusIs(bus, long.jobId, "done");
      expect(secondRuns).toBe(1);
      expect(done.status).toBe("done");
    });

    it("with priorities, a waiting high-priority job runs before older low-priority ones", async (ctx) => {
      const bus = await openBus();
      if (!bus.capabilities.priorities) ctx.skip();
      const kind = freshKind("priority");
      const order: string[] = [];
      for (let i = 0; i < 3; i += 1) await run(bus.enqueue({ kind, key: `low-${i}`, payload: `low-${i}`, priority: 1 }));
      const high = (await run(bus.enqueue({ kind, key: "high", payload: "high", priority: 9 }))).job;
      await startWorker(bus, { [kind]: async (job) => void order.push(job.payload as string) }, 1);
      await statusIs(bus, high.jobId, "done");
      await until("all four", async () => (order.length === 4 ? true : undefined));
      expect(order[0]).toBe("high");
    });
  });
}
