/**
 * `npm run bench:scheduler`: the job bus (embedded and Kafka), async add → activated
 * latency, and the Kafka event relay, each beside a baseline measured in the same run.
 * Starts a real single-node Kafka broker (test/support/kafkaBroker.ts, jars from Maven).
 * BENCH_QUICK=1 shrinks the sizes for a smoke run (its figures mean nothing).
 * Run through vite-node because it shares the test harness that starts Kafka.
 */
import Database from "better-sqlite3";
import { Effect } from "effect";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { openMemLedger, type JobBusConfig, type MemLedger } from "../src/app/memLedger.js";
import { openSqliteCheckpointStore } from "../src/checkpoints/sqliteCheckpointStore.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import type { NewEvent } from "../src/eventStore/eventStorePort.js";
import { startKafkaEventRelay } from "../src/feed/kafkaEventRelay.js";
import { openKafkaJobBus } from "../src/jobs/kafkaJobBus.js";
import type { JobBusPort } from "../src/jobs/jobBusPort.js";
import { openSqliteJobBus } from "../src/jobs/sqliteJobBus.js";
import { startKafkaBroker } from "../test/support/kafkaBroker.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, summarize, type Table } from "./stats.js";

const quick = process.env.BENCH_QUICK === "1";
const sizes = quick
  ? { embeddedJobs: 500, kafkaJobs: 200, addLatencyCalls: 30, relayEvents: 2_000, warmup: 10 }
  : { embeddedJobs: 5_000, kafkaJobs: 2_000, addLatencyCalls: 300, relayEvents: 50_000, warmup: 30 };
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const scratch = () => mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "memledger-bench-sched-"));

async function untilTrue(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Enqueue N jobs one by one (each acknowledged), then drain them with a no-op handler. */
async function busThroughput(bus: JobBusPort, jobs: number, concurrency: number): Promise<{ enqueuePerSec: number; drainPerSec: number }> {
  const kind = `bench.noop.${randomUUID().slice(0, 8)}`;
  const t0 = nowMs();
  for (let i = 0; i < jobs; i += 1) await run(bus.enqueue({ kind, key: `unit-${i % 1000}`, payload: { i } }));
  const enqueueMs = nowMs() - t0;
  let done = 0;
  const t1 = nowMs();
  const worker = await run(bus.startWorker({ handlers: { [kind]: async () => void (done += 1) }, concurrency }));
  await untilTrue(`${jobs} jobs`, () => done >= jobs);
  const drainMs = nowMs() - t1;
  await worker.stop({ graceMs: 5_000 });
  return { enqueuePerSec: (jobs / enqueueMs) * 1000, drainPerSec: (jobs / drainMs) * 1000 };
}

/** What a durable queue costs at least here: one fsynced insert per enqueue, two fsynced updates per job run. */
function rawSqliteBaseline(dir: string, jobs: number): { enqueuePerSec: number; drainPerSec: number } {
  const db = new Database(join(dir, "raw-queue.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE q (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, status TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO q (payload, status) VALUES (?, 'waiting')");
  const claim = db.prepare("UPDATE q SET status = 'running' WHERE seq = (SELECT seq FROM q WHERE status = 'waiting' ORDER BY seq LIMIT 1) RETURNING seq");
  const finish = db.prepare("UPDATE q SET status = 'done' WHERE seq = ?");
  const t0 = nowMs();
  for (let i = 0; i < jobs; i += 1) insert.run(JSON.stringify({ i }));
  const enqueueMs = nowMs() - t0;
  const t1 = nowMs();
  for (;;) {
    const row = claim.get() as { seq: number } | undefined;
    if (!row) break;
    finish.run(row.seq);
  }
  const drainMs = nowMs() - t1;
  db.close();
  return { enqueuePerSec: (jobs / enqueueMs) * 1000, drainPerSec: (jobs / drainMs) * 1000 };
}

/** One acknowledged (acks=all) send per message: the floor under any Kafka enqueue. */
async function rawKafkaBaseline(brokers: string[], messages: number): Promise<number> {
  const kafka = new Kafka({ clientId: "bench-raw", brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.raw.${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = nowMs();
  for (let i = 0; i < messages; i += 1) await producer.send({ topic, acks: -1, messages: [{ key: `unit-${i % 1000}`, value: JSON.stringify({ i }) }] });
  const ms = nowMs() - t0;
  await producer.disconnect();
  return (messages / ms) * 1000;
}

/** Time from calling add until the unit is activated, seen through the event feed (no polling error). */
async function addLatency(ledger: MemLedger, mode: "sync" | "async", calls: number, warmup: number): Promise<number[]> {
  const activatedAt = new Map<string, number>();
  const feed = ledger.feed.subscribe({ after: 0, cubeId: "bench" });
  const reader = (async () => {
    for await (const event of feed) if (event.type === "MemoryActivated") activatedAt.set(event.memoryId, nowMs());
  })();
  const latencies: number[] = [];
  for (let i = 0; i < calls + warmup; i += 1) {
    const started = nowMs();
    const result = await ledger.memories.add("bench", { mode, memories: [{ text: `benchmark fact ${i}: the user prefers tea over coffee in the morning` }] });
    const memoryId = result.mode === "sync" ? result.memories[0]!.memoryId : result.memoryIds[0]!;
    if (result.mode === "sync") activatedAt.set(memoryId, nowMs());
    await untilTrue(`activation of ${memoryId}`, () => activatedAt.has(memoryId), 60_000);
    if (i >= warmup) latencies.push(activatedAt.get(memoryId)! - started);
  }
  await feed.close();
  await reader;
  return latencies;
}

async function latencyFor(jobBus: JobBusConfig, mode: "sync" | "async"): Promise<number[]> {
  const dir = scratch();
  const ledger = await openMemLedger({ dataDir: dir, jobBus, worker: { concurrency: 4 } });
  try {
    await ledger.cubes.create({ cubeId: "bench", name: "bench", owner: { kind: "agent", id: "bench" } });
    return await addLatency(ledger, mode, sizes.addLatencyCalls, sizes.warmup);
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Memory events as the log holds them (content-free MemoryActivated), appended in batches of 100. */
function relayFixture(dir: string, events: number) {
  const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
  return Effect.runPromise(
    Effect.gen(function* () {
      for (let written = 0; written < events; ) {
        const unit = written % 1000;
        const batch: NewEvent[] = [];
        for (let j = 0; j < 100 && written < events; j += 1, written += 1) {
          batch.push({
            eventId: randomUUID(),
            type: "MemoryActivated",
            schemaVersion: 1,
            data: { memoryId: `unit-${unit}` },
            metadata: { tenantId: "bench", cubeId: "bench", actor: "bench", correlationId: randomUUID(), recordedAt: new Date().toISOString() },
          });
        }
        yield* store.append(`memory-unit-${unit}-${written}`, batch, "any");
      }
      return store;
    }),
  );
}

/** The same messages sent raw in the same batch size: what the relay's Kafka part costs at least. */
async function rawRelayBaseline(brokers: string[], events: number): Promise<number> {
  const kafka = new Kafka({ clientId: "bench-raw-relay", brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.raw-relay.${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = JSON.stringify({ eventId: randomUUID(), type: "MemoryActivated", schemaVersion: 1, memoryId: "unit-1", tenantId: "bench", revision: 1, position: 1, recordedAt: new Date().toISOString(), actor: "bench", correlationId: randomUUID(), data: { memoryId: "unit-1" }, contentWithheld: false });
  const t0 = nowMs();
  for (let sent = 0; sent < events; sent += 500) {
    const messages = Array.from({ length: Math.min(500, events - sent) }, (_, i) => ({ key: `unit-${(sent + i) % 1000}`, value }));
    await producer.send({ topic, acks: -1, messages });
  }
  const ms = nowMs() - t0;
  await producer.disconnect();
  return (events / ms) * 1000;
}

async function main(): Promise<void> {
  const tables: Table[] = [];
  const facts = [
    `- date: ${new Date().toISOString()}`,
    `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
    "- Kafka 3.9.1 single-node KRaft broker on loopback (test/support/kafkaBroker.ts), kafkajs 2.2.4",
    quick ? "- BENCH_QUICK=1: smoke-run sizes, figures are not meaningful" : "- full sizes",
  ];
  console.log(["# scheduler benchmarks", "", ...facts, ""].join("\n"));

  console.log("embedded job bus…");
  const dir = scratch();
  const embedded4 = await busThroughput(openSqliteJobBus({ path: join(dir, "jobs-c4.db") }), sizes.embeddedJobs, 4);
  const embedded1 = await busThroughput(openSqliteJobBus({ path: join(dir, "jobs-c1.db") }), sizes.embeddedJobs, 1);
  const rawSqlite = rawSqliteBaseline(dir, sizes.embeddedJobs);
  rmSync(dir, { recursive: true, force: true });

  console.log("starting Kafka…");
  const broker = await startKafkaBroker();
  try {
    console.log("Kafka job bus…");
    const kafkaBus = openKafkaJobBus({ brokers: broker.brokers, topicPrefix: `bench.${randomUUID().slice(0, 8)}`, sessionTimeoutMs: 10_000 });
    const kafka4 = await busThroughput(kafkaBus, sizes.kafkaJobs, 4);
    await run(kafkaBus.close());
    const rawKafka = await rawKafkaBaseline(broker.brokers, sizes.kafkaJobs);

    tables.push({
      title: "Job bus throughput (no-op handler; each enqueue acknowledged before the next)",
      headers: ["bus", "jobs", "enqueue jobs/s", "run jobs/s", "baseline", "baseline jobs/s (enqueue / run)", "bus / baseline (enqueue / run)"],
      rows: [
        ["embedded SQLite, concurrency 4", String(sizes.embeddedJobs), fmtRate(embedded4.enqueuePerSec), fmtRate(embedded4.drainPerSec), "raw fsynced SQLite queue", `${fmtRate(rawSqlite.enqueuePerSec)} / ${fmtRate(rawSqlite.drainPerSec)}`, `${fmtRatio(embedded4.enqueuePerSec / rawSqlite.enqueuePerSec)} / ${fmtRatio(embedded4.drainPerSec / rawSqlite.drainPerSec)}`],
        ["embedded SQLite, concurrency 1", String(sizes.embeddedJobs), fmtRate(embedded1.enqueuePerSec), fmtRate(embedded1.drainPerSec), "raw fsynced SQLite queue", `${fmtRate(rawSqlite.enqueuePerSec)} / ${fmtRate(rawSqlite.drainPerSec)}`, `${fmtRatio(embedded1.enqueuePerSec / rawSqlite.enqueuePerSec)} / ${fmtRatio(embedded1.drainPerSec / rawSqlite.drainPerSec)}`],
        ["Kafka, concurrency 4 (6 partitions)", String(sizes.kafkaJobs), fmtRate(kafka4.enqueuePerSec), fmtRate(kafka4.drainPerSec), "raw kafkajs send, acks=all", `${fmtRate(rawKafka)} / –`, `${fmtRatio(kafka4.enqueuePerSec / rawKafka)} / –`],
      ],
      notes: [
        "Raw SQLite queue: one fsynced INSERT per enqueue; claim + finish as two fsynced UPDATEs per job, no leases, no per-key order, no priorities.",
        "Kafka enqueue writes two records (status, then the job), each acknowledged by the broker; the raw baseline writes one.",
      ],
    });

    console.log("add → activated latency…");
    const syncEmbedded = summarize(await latencyFor({ kind: "sqlite" }, "sync"));
    const asyncEmbedded = summarize(await latencyFor({ kind: "sqlite", pollIntervalMs: 200 }, "async"));
    const asyncKafka = summarize(await latencyFor({ kind: "kafka", brokers: broker.brokers, topicPrefix: `bench.lat.${randomUUID().slice(0, 8)}` }, "async"));
    tables.push({
      title: `add → activated, one memory per call, ${sizes.addLatencyCalls} calls after ${sizes.warmup} warm-up`,
      headers: ["path", "p50", "p99", "mean", "max"],
      rows: [
        ["sync add (baseline: activated inline)", fmtMs(syncEmbedded.p50), fmtMs(syncEmbedded.p99), fmtMs(syncEmbedded.mean), fmtMs(syncEmbedded.max)],
        ["async add, embedded bus", fmtMs(asyncEmbedded.p50), fmtMs(asyncEmbedded.p99), fmtMs(asyncEmbedded.mean), fmtMs(asyncEmbedded.max)],
        ["async add, Kafka bus", fmtMs(asyncKafka.p50), fmtMs(asyncKafka.p99), fmtMs(asyncKafka.mean), fmtMs(asyncKafka.max)],
      ],
      notes: [
        `async / sync p50: embedded ${fmtRatio(asyncEmbedded.p50 / syncEmbedded.p50)}, Kafka ${fmtRatio(asyncKafka.p50 / syncEmbedded.p50)}.`,
        "Measured from the call until the MemoryActivated event reaches a feed subscriber in the same process (no polling in the measurement).",
      ],
    });

    console.log("event relay…");
    const relayDir = scratch();
    const store = await relayFixture(relayDir, sizes.relayEvents);
    const head = await run(store.headPosition());
    const checkpoints = openSqliteCheckpointStore(join(relayDir, "checkpoints.db"));
    const t0 = nowMs();
    const relay = await startKafkaEventRelay({ eventStore: store, checkpoints, brokers: broker.brokers, topic: `bench.events.${randomUUID().slice(0, 8)}`, batchSize: 500 });
    await untilTrue("the relay to reach the head", () => relay.stats().position >= head);
    const relayMs = nowMs() - t0;
    await relay.stop();
    await checkpoints.close();
    await run(store.close());
    rmSync(relayDir, { recursive: true, force: true });
    const relayRate = (sizes.relayEvents / relayMs) * 1000;
    const rawRelay = await rawRelayBaseline(broker.brokers, sizes.relayEvents);
    tables.push({
      title: `Memory event relay to Kafka (${sizes.relayEvents.toLocaleString("en-US")} events already in the log, batches of 500)`,
      headers: ["path", "events/s", "relay / raw"],
      rows: [
        ["relay: read log, map to public events, send (acks=all), checkpoint", fmtRate(relayRate), fmtRatio(relayRate / rawRelay)],
        ["raw kafkajs send of the same number of messages, same batches", fmtRate(rawRelay), "1.00×"],
      ],
    });
  } finally {
    await broker.stop();
  }

  const md = ["# scheduler benchmarks (latest run)", "", "Command: `npm run bench:scheduler`", "", ...facts, "", tables.map(formatTable).join("\n\n"), ""].join("\n");
  console.log(`\n${tables.map(formatTable).join("\n\n")}\n`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/scheduler.md", md);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
