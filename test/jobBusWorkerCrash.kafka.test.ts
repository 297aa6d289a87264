import { Effect } from "effect";
import { logLevel } from "kafkajs";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobBusPort, JobRecord, JobWorker } from "../src/jobs/jobBusPort.js";
import { openKafkaJobBus } from "../src/jobs/kafkaJobBus.js";
import { lineFrom } from "./support/childProcessOutput.js";
import { openJobEffects, type JobEffects } from "./support/jobEffects.js";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";

const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");
const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The broker's minimum: the killed worker's partitions move to the new one once this has passed without heartbeats.
const sessionTimeoutMs = 6_000;

async function jobReaches(bus: JobBusPort, jobId: string, predicate: (job: JobRecord) => boolean, timeoutMs: number): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await run(bus.get(jobId));
    if (predicate(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${job.status} (attempts ${job.attempts}) after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("a Kafka job worker killed mid-job (real broker: Kafka 3.9.1 KRaft)", () => {
  let broker: KafkaTestBroker | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];

  // Generous: the first run fetches the broker's jars with Maven.
  beforeAll(async () => {
    broker = await startKafkaBroker();
  }, 180_000);
  afterAll(() => broker?.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("a worker process killed (SIGKILL) in the middle of a job: a restarted worker completes it, each effect exactly once", async () => {
    if (!broker) throw new Error("the Kafka test broker did not start");
    const prefix = `crash-${randomBytes(4).toString("hex")}`;
    const settings = { brokers: broker.brokers, topicPrefix: prefix, groupId: `${prefix}.workers`, sessionTimeoutMs, kafkaLogLevel: logLevel.NOTHING };
    const kind = "billing.charge";
    const dir = mkdtempSync(join(tmpdir(), "memledger-kafka-crash-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const effectsPath = join(dir, "effects.db");
    const effects: JobEffects = openJobEffects(effectsPath);
    cleanups.push(() => effects.close());

    const bus = openKafkaJobBus(settings);
    cleanups.push(() => run(bus.close()));
    const { job } = await run(bus.enqueue({ kind, key: "invoice-17", payload: { amountCents: 4_200 } }));

    const child = spawn(viteNode, [join("test", "support", "kafkaJobWorkerProcess.ts")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        KAFKA_BROKERS: broker.brokers.join(","),
        JOB_TOPIC_PREFIX: prefix,
        JOB_GROUP_ID: settings.groupId,
        JOB_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
        JOB_KIND: kind,
        JOB_EFFECTS_DB: effectsPath,
      },
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    expect(await lineFrom(child, "EFFECT-APPLIED", 60_000)).toBe(`EFFECT-APPLIED ${job.jobId} 1`);
    child.kill("SIGKILL");
    await exited;

    // Killed mid-job: its first attempt is on record and its first effect happened; nothing was committed.
    await jobReaches(bus, job.jobId, (j) => j.status === "running" && j.attempts === 1, 5_000);
    expect(effects.effects(job.jobId)).toEqual([{ step: "charge-card" }]);

    let worker: JobWorker | undefined;
    cleanups.push(async () => void (await worker?.stop({ graceMs: 0 })));
    worker = await run(
      bus.startWorker({
        handlers: {
          [kind]: async (j, context) => {
            effects.recordRun(j.jobId, context.attempt, "restarted worker");
            effects.applyOnce(j.jobId, "charge-card");
            effects.applyOnce(j.jobId, "send-receipt");
            return { charged: (j.payload as { amountCents: number }).amountCents };
          },
        },
      }),
    );

    const done = await jobReaches(bus, job.jobId, (j) => j.status === "done", 45_000);
    expect(done).toMatchObject({ attempts: 2, result: { charged: 4_200 } });
    expect(effects.effects(job.jobId)).toEqual([{ step: "charge-card" }, { step: "send-receipt" }]);
    expect(effects.runs(job.jobId)).toEqual([
      { attempt: 1, runner: "killed worker" },
      { attempt: 2, runner: "restarted worker" },
    ]);
  }, 120_000);
});
