/**
 * `npx vite-node bench/esdbStreamChainBench.ts -- [--rounds 5] [--appends 2000] [--before <commit>]`:
 * what the EventStoreDB stream hash chain costs an append, before/after in the same run.
 * Both adapters (this tree's, and the one of `--before`, default the commit before the chain, checked out
 * with `git archive` into a temporary tree sharing node_modules) append to the same in-memory stand-in of
 * the client (test/support/fakeEventStoreDbClient.ts): no network, so the figures are the adapter's own CPU
 * per append — retry scan, encoding, and (after) the chain — which a real server's round trip (about a
 * millisecond on a LAN) comes on top of. Also: the walk's throughput over an in-memory `$all`.
 */
import { Effect } from "effect";
import { EventStoreDBClient } from "@eventstore/db-client";
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openEventStoreDbEventStore } from "../src/eventStore/eventStoreDbEventStore.js";
import type { EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import { walkEsdbChain } from "../src/tamperEvidence/esdbChainWalk.js";
import { chainBatch } from "../src/eventStore/esdbStreamChain.js";
import { FakeEventStoreDbClient } from "../test/support/fakeEventStoreDbClient.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg("rounds", "5"));
const appends = Number(arg("appends", "2000"));
const before = arg("before", "7be0a8e~1");

const event = (i: number): NewEvent => ({
  eventId: randomUUID(),
  type: "MemoryCreated",
  schemaVersion: 1,
  data: { memoryId: randomUUID(), cubeId: "cube-1", content: { ciphertext: "x".repeat(240), keyId: randomUUID(), nonce: "n".repeat(16) }, tags: ["a", "b"], n: i },
  metadata: { tenantId: "t1", actor: "bench", correlationId: randomUUID(), recordedAt: new Date(0).toISOString() },
});

type Open = (options: { url: string }) => EventStorePort;

/** µs per append for one workload: single events to 50 streams with `any`, then 100-event batches with expected revisions. */
async function measure(open: Open, workload: "single" | "batch100"): Promise<number> {
  const fake = new FakeEventStoreDbClient();
  // The old adapter has no `client` option: hand both the stand-in through the client's factory.
  const original = EventStoreDBClient.connectionString;
  (EventStoreDBClient as unknown as { connectionString: () => unknown }).connectionString = () => fake.asClient();
  const store = open({ url: "esdb://bench:2113?tls=false" });
  EventStoreDBClient.connectionString = original;
  const batches = workload === "single" ? appends : Math.max(1, Math.floor(appends / 100));
  const payload = Array.from({ length: batches }, (_, i) => (workload === "single" ? [event(i)] : Array.from({ length: 100 }, (_, j) => event(i * 100 + j))));
  const started = performance.now();
  for (let i = 0; i < batches; i++) {
    if (workload === "single") await Effect.runPromise(store.append(`s-${i % 50}`, payload[i]!, "any"));
    else await Effect.runPromise(store.append(`b-${i % 5}`, payload[i]!, i < 5 ? "no_stream" : Math.floor(i / 5) * 100 - 1));
  }
  return ((performance.now() - started) * 1000) / batches;
}

const tree = mkdtempSync(join(tmpdir(), "esdb-chain-before-"));
try {
  execSync(`git archive ${before} src projections domain | tar -x -C ${tree}`);
  symlinkSync(resolve("node_modules"), join(tree, "node_modules"));
  const old = (await import(pathToFileURL(join(tree, "src/eventStore/eventStoreDbEventStore.ts")).href)) as { openEventStoreDbEventStore: Open };
  const adapters: [string, Open][] = [
    [`before (${before})`, old.openEventStoreDbEventStore],
    ["after (chained)", (o) => openEventStoreDbEventStore(o)],
  ];
  console.log(`# ${cpus().length} × ${cpus()[0]?.model ?? "?"}; ${rounds} rounds of ${appends} appends each, interleaved; median µs per append`);
  for (const workload of ["single", "batch100"] as const) {
    const times = new Map<string, number[]>(adapters.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) for (const [name, open] of r % 2 === 0 ? adapters : [...adapters].reverse()) times.get(name)!.push(await measure(open, workload));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [b, a] = adapters.map(([name]) => median(times.get(name)!));
    console.log(`${workload === "single" ? "1-event append, `any`" : "100-event batch, expected revision"}: before ${b!.toFixed(1)} µs, after ${a!.toFixed(1)} µs, ratio ${(a! / b!).toFixed(2)}`);
  }
  // The chain alone, and the JSON encoding the client does for every append anyway, on the same events.
  const sample = Array.from({ length: 100 }, (_, i) => event(i)).map((e) => ({ id: e.eventId, type: e.type, data: e.data, metadata: { ...e.metadata, schemaVersion: 1 } as Record<string, unknown> }));
  const perEvent = (work: () => void) => {
    const started = performance.now();
    for (let i = 0; i < 200; i++) work();
    return ((performance.now() - started) * 1000) / (200 * sample.length);
  };
  for (let r = 0; r < 2; r++) {
    const chain = perEvent(() => chainBatch("s", undefined, sample));
    const encode = perEvent(() => sample.forEach((e) => Buffer.from(JSON.stringify(e.data)) && Buffer.from(JSON.stringify(e.metadata))));
    console.log(`chainBatch alone: ${chain.toFixed(1)} µs per event; the client's JSON encoding of the same events: ${encode.toFixed(1)} µs per event (ratio ${(chain / encode).toFixed(1)})`);
  }
  // The walk: one pass over an in-memory $all of chained events.
  const fake = new FakeEventStoreDbClient();
  const store = openEventStoreDbEventStore({ url: "esdb://bench:2113?tls=false", client: fake.asClient() });
  for (let i = 0; i < 200; i++) await Effect.runPromise(store.append(`w-${i % 20}`, Array.from({ length: 100 }, (_, j) => event(i * 100 + j)), "any"));
  const started = performance.now();
  const { report } = await walkEsdbChain(fake.reader());
  const seconds = (performance.now() - started) / 1000;
  console.log(`walk over ${report.events} chained events: ${seconds.toFixed(2)} s, ${Math.round(report.events / seconds).toLocaleString("en")} events/s (ok: ${report.ok})`);
} finally {
  rmSync(tree, { recursive: true, force: true });
}
