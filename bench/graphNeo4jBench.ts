/**
 * `npx vite-node bench/graphNeo4jBench.ts -- [--events 100000] [--batch 5000] [--queries 300] [--url bolt://127.0.0.1:7687] [--keep] [--verbose]`:
 * the graph read model embedded (SQLite file) against Neo4j, in the same run on the same events.
 *
 * 1. A synthetic projection-event log (no event store: the graph folds projection events, so the
 *    builder of the graph tests makes them): a cube, then per unit a MemoryCreated with a distinct
 *    synthetic sentence (its topic as tag, a message source, one of 1,000 users), later a MemoryEdited
 *    with another sentence and a MemoryArchived; 1 unit in 20 is merged into another, 1 in 500 erased.
 *    Written in rounds (all creates, all edits, all archives/merges/erasures) so a unit's events lie far apart.
 * 2. Projection throughput: the same batches (default 5,000 events, the runner's follow batch) into a
 *    fresh embedded store and a fresh Neo4j generation.
 * 3. Query latency over a few hundred random seed memories: 2-hop `relatedMemories` (default edge
 *    types, maxDegree 500) and a 2-hop `traverse` both ways over MENTIONS (maxDegree 500); each answer
 *    is checked against the embedded store's.
 *
 * Without --url it starts the test Neo4j server (test/support/neo4jServer.ts: community edition from
 * jars, loopback, C1 JIT only, small page cache), so absolute Neo4j figures are those of that setup;
 * a server started with Neo4j's own defaults projects faster (see the report for both).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import type { GraphReadModel, RelatedMemoriesQuery, TraverseQuery } from "../src/readModels/graph/graphReadModel.js";
import { neo4jHealth, openNeo4jDriver, openNeo4jGraphStore, retireNeo4jGraphGeneration } from "../src/readModels/graph/neo4jGraphStore.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, rng, summarize, type Summary, type Table, writeResults } from "./stats.js";
import { syntheticMemories } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  // vite-node passes the "--" separator through; parseArgs would read everything after it as positionals.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    events: { type: "string", default: "100000" },
    batch: { type: "string", default: "5000" },
    queries: { type: "string", default: "300" },
    url: { type: "string" },
    keep: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});
const totalEvents = Number(args.events);
const batchSize = Number(args.batch);
const queryCount = Number(args.queries);
const log = (line: string) => console.log(line);

interface Fixture {
  readonly events: ProjectionEvent[];
  readonly memoryIds: string[];
  readonly units: number;
}

/** ~3.06 events per unit: created, edited, archived; 1 in 20 merged, 1 in 500 erased. */
function buildLog(total: number): Fixture {
  const units = Math.max(10, Math.floor((total - 1) / 3.06));
  const sentences = syntheticMemories(units * 2, 7);
  const random = rng(42);
  const events = projectionEventLog({ stepMs: 10 });
  const out: ProjectionEvent[] = [events.cubeCreated("cube-1", "graph bench")];
  const memoryIds = Array.from({ length: units }, (_, i) => `u${i}`);
  const userOf = memoryIds.map(() => `user-${Math.floor(random() * 1_000)}`);
  for (let i = 0; i < units; i += 1) {
    const s = sentences[i]!;
    out.push(events.created(memoryIds[i]!, contentOf(s.text, { tags: [s.topic], sources: [{ kind: "message", ref: `msg-${i}` }], userId: userOf[i]! })));
  }
  for (let i = 0; i < units; i += 1) {
    const s = sentences[units + i]!;
    out.push(events.edited(memoryIds[i]!, contentOf(s.text, { tags: [sentences[i]!.topic], sources: [{ kind: "message", ref: `msg-${i}` }], userId: userOf[i]! })));
  }
  for (let i = 0; i < units; i += 1) {
    if (i % 500 === 499) out.push(events.erased(memoryIds[i]!));
    else if (i % 20 === 19) out.push(events.merged(memoryIds[i]!, memoryIds[Math.floor(random() * units)]!));
    else out.push(events.archived(memoryIds[i]!));
  }
  return { events: out, memoryIds, units };
}

async function project(store: GraphReadModel, events: readonly ProjectionEvent[]): Promise<{ seconds: number; batchMs: Summary }> {
  const started = nowMs();
  const batchMs: number[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    const t = nowMs();
    await store.apply(events.slice(i, i + batchSize));
    batchMs.push(nowMs() - t);
    if (args.verbose) log(`    batch at ${i.toLocaleString("en-US")}: ${fmtMs(batchMs.at(-1)!)}`);
  }
  return { seconds: (nowMs() - started) / 1000, batchMs: summarize(batchMs) };
}

async function latencies<Q>(queries: readonly Q[], ask: (q: Q) => Promise<unknown>): Promise<{ summary: Summary; answers: unknown[] }> {
  for (const q of queries.slice(0, 20)) await ask(q); // warm-up
  const durations: number[] = [];
  const answers: unknown[] = [];
  for (const q of queries) {
    const t = nowMs();
    answers.push(await ask(q));
    durations.push(nowMs() - t);
  }
  return { summary: summarize(durations), answers };
}

async function main(): Promise<void> {
  const started = nowMs();
  log(`# graph read model: embedded SQLite vs Neo4j, ${totalEvents.toLocaleString("en-US")} events, batches of ${batchSize.toLocaleString("en-US")}`);
  const fixture = buildLog(totalEvents);
  const events = fixture.events;
  log(`log: ${events.length.toLocaleString("en-US")} events, ${fixture.units.toLocaleString("en-US")} units, built in ${((nowMs() - started) / 1000).toFixed(1)} s`);

  let server: { boltUrl: string; stop(): Promise<void> } | undefined;
  if (args.url === undefined) {
    const { startNeo4jServer } = await import("../test/support/neo4jServer.js");
    log("starting the test Neo4j server…");
    server = await startNeo4jServer();
  }
  const url = args.url ?? server!.boltUrl;
  const driver = openNeo4jDriver({ url });
  const dir = mkdtempSync(join(tmpdir(), "memledger-graph-bench-"));
  const generation = `graph-bench-${process.pid}`;
  try {
    const health = await neo4jHealth(driver);
    if (!health.ok) throw new Error(`Neo4j at ${url} is not reachable: ${health.error}`);
    log(`Neo4j ${health.version} ${health.edition}, round trip ${fmtMs(health.latencyMs)}`);

    const embedded = openSqliteGraphStore(join(dir, "graph-1.db"));
    const neo = await openNeo4jGraphStore({ driver, generation });

    log("projecting into the embedded store…");
    const embeddedRun = await project(embedded, events);
    log(`  embedded: ${fmtRate(events.length / embeddedRun.seconds)} events/s (${embeddedRun.seconds.toFixed(1)} s)`);
    log("projecting into Neo4j…");
    const neoRun = await project(neo, events);
    log(`  Neo4j: ${fmtRate(events.length / neoRun.seconds)} events/s (${neoRun.seconds.toFixed(1)} s)`);
    if (neo.checkpoint() !== embedded.checkpoint()) throw new Error(`checkpoints differ: Neo4j ${neo.checkpoint()}, embedded ${embedded.checkpoint()}`);

    const random = rng(7);
    const seeds = Array.from({ length: queryCount }, () => fixture.memoryIds[Math.floor(random() * fixture.memoryIds.length)]!);
    const related = seeds.map((id): RelatedMemoriesQuery => ({ memoryIds: [id], hops: 2 }));
    const traversals = seeds.map((id): TraverseQuery => ({ from: [`memory:${id}`], hops: 2, direction: "both", edgeTypes: ["MENTIONS"], maxDegree: 500 }));

    const rows: string[][] = [];
    const notes: string[] = [];
    const rate = (seconds: number) => events.length / seconds;
    rows.push(["projection (events/s)", fmtRate(rate(embeddedRun.seconds)), fmtRate(rate(neoRun.seconds)), fmtRatio(rate(neoRun.seconds) / rate(embeddedRun.seconds))]);
    rows.push(["batch apply p50", fmtMs(embeddedRun.batchMs.p50), fmtMs(neoRun.batchMs.p50), fmtRatio(neoRun.batchMs.p50 / embeddedRun.batchMs.p50)]);
    rows.push(["batch apply p99", fmtMs(embeddedRun.batchMs.p99), fmtMs(neoRun.batchMs.p99), fmtRatio(neoRun.batchMs.p99 / embeddedRun.batchMs.p99)]);

    for (const [what, queries, ask] of [
      ["relatedMemories 2 hops", related, (store: GraphReadModel, q: unknown) => store.relatedMemories(q as RelatedMemoriesQuery)],
      ["traverse 2 hops (MENTIONS, both)", traversals, (store: GraphReadModel, q: unknown) => store.traverse(q as TraverseQuery)],
    ] as const) {
      log(`querying: ${what}…`);
      const e = await latencies(queries, (q) => ask(embedded, q));
      const n = await latencies(queries, (q) => ask(neo, q));
      const differing = e.answers.filter((answer, i) => JSON.stringify(answer) !== JSON.stringify(n.answers[i])).length;
      const sizes = e.answers.map((a) => (Array.isArray(a) ? a.length : (a as { nodes: unknown[] }).nodes.length));
      rows.push([`${what} p50`, fmtMs(e.summary.p50), fmtMs(n.summary.p50), fmtRatio(n.summary.p50 / e.summary.p50)]);
      rows.push([`${what} p99`, fmtMs(e.summary.p99), fmtMs(n.summary.p99), fmtRatio(n.summary.p99 / e.summary.p99)]);
      notes.push(
        `- ${what}: ${queries.length} random seed memories (+20 warm-up); mean answer ${(sizes.reduce((a, b) => a + b, 0) / sizes.length).toFixed(1)} ${Array.isArray(e.answers[0]) ? "memories" : "nodes"}; answers differing between the stores: ${differing}`,
      );
      if (differing > 0) log(`  WARNING: ${differing} answers differ`);
    }

    embedded.close();
    await neo.close();
    const table: Table = {
      title: "Graph read model: embedded SQLite vs Neo4j",
      headers: ["measure", "embedded (SQLite)", "Neo4j", "Neo4j / embedded"],
      rows,
      notes: [
        `- log: ${events.length.toLocaleString("en-US")} projection events, ${fixture.units.toLocaleString("en-US")} units (created, edited, archived; 1 in 20 merged, 1 in 500 erased), synthetic sentences with tag, source and user; fed in batches of ${batchSize.toLocaleString("en-US")}, each store fresh`,
        "- ratios: > 1 means Neo4j takes longer (latency) or does more (throughput)",
        ...notes,
      ],
    };
    const facts = [
      `- date: ${new Date().toISOString()}; total run ${((nowMs() - started) / 1000).toFixed(0)} s`,
      `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; shared and noisy, so compare ratios`,
      `- Neo4j ${health.version} ${health.edition} ${server ? "(the test server of test/support/neo4jServer.ts: embedded from jars, C1 JIT only, 768 MiB heap, 64 MiB page cache, loopback Bolt)" : `at ${url}`}; embedded store: SQLite file in ${tmpdir()}`,
    ];
    const markdown = ["# Graph read model on Neo4j", facts.join("\n"), formatTable(table)].join("\n\n");
    console.log(`\n${markdown}`);
    console.log(`\nwritten to ${writeResults("graph-neo4j", markdown)}`);
  } finally {
    if (!args.keep) await retireNeo4jGraphGeneration(driver, generation).catch((error) => log(`could not retire ${generation}: ${String(error)}`));
    await driver.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
