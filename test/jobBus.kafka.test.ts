import { Effect } from "effect";
import { logLevel } from "kafkajs";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { jobBusContract, until } from "../src/jobs/jobBus.contract.js";
import type { JobBusPort, JobRecord, JobWorker } from "../src/jobs/jobBusPort.js";
import { openKafkaJobBus, type KafkaJobBusOptions } from "../src/jobs/kafkaJobBus.js";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";

// Group joins and rebalances take seconds on a real broker; the contract's own waits are 20 s.
vi.setConfig({ testTimeout: 60_000 });

const fastRetries = { maxAttempts: 5, baseDelayMs: 40, maxDelayMs: 400 };
let broker: KafkaTestBroker | undefined;

// Generous: the first run fetches the broker's jars with Maven.
beforeAll(async () => {
  broker = await startKafkaBroker();
}, 180_000);
afterAll(() => broker?.stop());

/** Fresh topics and groups for each call; buses opened with the same settings share them (a restart, or a second process). */
function freshSettings(): KafkaJobBusOptions {
  if (!broker) throw new Error("the Kafka test broker did not start");
  const prefix = `jobs-${randomBytes(4).toString("hex")}`;
  return {
    brokers: broker.brokers,
    topicPrefix: prefix,
    groupId: `${prefix}.workers`,
    retryPolicy: fastRetries,
    // The broker's minimum session; a stopped worker leaves its group at once anyway.
    sessionTimeoutMs: 6_000,
    // kafkajs logs expected protocol answers (a rebalance in progress) as errors; the bus reports real trouble through onWarning.
    kafkaLogLevel: logLevel.NOTHING,
  };
}

jobBusContract("Kafka (real broker: Kafka 3.9.1 KRaft)", async () => {
  const settings = freshSettings();
  return { open: async () => openKafkaJobBus(settings), dispose: async () => undefined };
});

describe("the Kafka job bus beyond the contract: instances, rebalances, delays (real broker: Kafka 3.9.1 KRaft)", () => {
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);
  const buses: JobBusPort[] = [];
  const workers: JobWorker[] = [];
  const open = (settings: KafkaJobBusOptions) => {
    const bus = openKafkaJobBus(settings);
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ graceMs: 0 });
    for (const bus of buses.splice(0)) await run(bus.close());
  });

  it("a second instance finds the first one's job by id and by cube, and shares its idempotency keys", async () => {
    const settings = freshSettings();
    const first = open(settings);
    const second = open(settings);
    const idempotencyKey = randomUUID();
    const cubeId = `cube-${randomUUID()}`;
    const { job } = await run(first.enqueue({ kind: "notes.index", key: "unit-1", payload: 1, idempotencyKey, cubeId }));

    expect(await run(second.get(job.jobId))).toMatchObject({ jobId: job.jobId, status: "waiting" });
    expect((await run(second.list({ cubeId }))).map((j) => j.jobId)).toEqual([job.jobId]);
    const again = await run(second.enqueue({ kind: "notes.index", key: "unit-1", payload: 2, idempotencyKey }));
    expect(again).toMatchObject({ alreadyEnqueued: true, job: { jobId: job.jobId, payload: 1 } });

    // A worker on the second instance runs it once; the first instance sees it finish.
    let runs = 0;
    workers.push(await run(second.startWorker({ handlers: { "notes.index": async () => void (runs += 1) } })));
    await until("the first instance to see the job done", async () => ((await run(first.get(job.jobId))).status === "done" ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs).toBe(1);
  });

  it("a second worker joining the group takes over part of the partitions; every job runs and each key stays in order", async () => {
    const settings = freshSettings();
    const first = open(settings);
    const second = open(settings);
    const kind = "units.embed";
    // Two keys on each of the 6 partitions (kafkajs's default partitioner), so whichever partitions move still have work left.
    const keys = ["unit-6", "unit-16", "unit-1", "unit-11", "unit-0", "unit-5", "unit-2", "unit-12", "unit-13", "unit-19", "unit-3", "unit-4"];
    const perKey = 8;
    const jobs: JobRecord[] = [];
    for (let i = 0; i < perKey; i += 1) for (const key of keys) jobs.push((await run(first.enqueue({ kind, key, payload: { key, i } }))).job);
    const seen: Array<{ key: string; i: number; worker: string }> = [];
    const handler = (worker: string) => async (job: JobRecord, context: { signal: AbortSignal }) => {
      const { key, i } = job.payload as { key: string; i: number };
      // Slow enough that every partition (16 jobs, 4 s) is still busy when the second worker has joined.
      await new Promise((resolve) => setTimeout(resolve, 250));
      // A worker that lost the partition meanwhile was told so; the job runs again on the new owner.
      if (!context.signal.aborted) seen.push({ key, i, worker });
    };
    workers.push(await run(first.startWorker({ handlers: { [kind]: handler("first") }, concurrency: 6 })));
    await until("the first worker to be busy on every partition", async () => (seen.length >= 6 ? true : undefined));
    workers.push(await run(second.startWorker({ handlers: { [kind]: handler("second") }, concurrency: 6 })));

    for (const job of jobs) await until(`job ${job.jobId} to be done`, async () => ((await run(second.get(job.jobId))).status === "done" ? true : undefined), 30_000);
    for (const key of keys) {
      const order = seen.filter((s) => s.key === key).map((s) => s.i);
      // A job cut short by the rebalance may finish on both workers, but never out of order.
      expect(order, `order of ${key}`).toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order), `jobs of ${key}`).toEqual(new Set(Array.from({ length: perKey }, (_, i) => i)));
    }
    expect(new Set(seen.map((s) => s.worker))).toEqual(new Set(["first", "second"]));
  });

  it("a delayed job due much later does not hold back one due sooner behind it on the same key", async () => {
    const bus = open(freshSettings());
    const ran = new Map<string, number>();
    workers.push(await run(bus.startWorker({ handlers: { "archive.unit": async (job) => void ran.set(job.payload as string, Date.now()) } })));
    const enqueuedAt = Date.now();
    // Same key, so both sit in one partition of the delayed topic, the far one first.
    const far = (await run(bus.enqueue({ kind: "archive.unit", key: "unit-9", payload: "far", notBefore: new Date(enqueuedAt + 60_000).toISOString() }))).job;
    const soon = (await run(bus.enqueue({ kind: "archive.unit", key: "unit-9", payload: "soon", notBefore: new Date(enqueuedAt + 2_500).toISOString() }))).job;
    const done: JobRecord = await until("the sooner job to run", async () => {
      const job = await run(bus.get(soon.jobId));
      return job.status === "done" ? job : undefined;
    });
    expect(ran.get("soon")!).toBeGreaterThanOrEqual(enqueuedAt + 2_500 - 5);
    // Moved to the tail of the delayed topic about once a second, never forwarded early.
    expect(ran.get("soon")!).toBeLessThan(enqueuedAt + 2_500 + 3_000);
    expect(done.attempts).toBe(1);
    expect((await run(bus.get(far.jobId))).status).toBe("waiting");
    expect(ran.has("far")).toBe(false);
  });
});
