/**
 * `npx vite-node bench/vectorRebuildBench.ts -- [--units 10000] [--spread 1]`: the vector read model
 * rebuilt from cached embeddings, with and without reusing the previous generation's HNSW index
 * (issue 17), in one process on one log, so that only ratios between its rows are compared.
 *
 * The log: `units` memory units written as the memory service writes them (registered, created and
 * activated, edited, archived: 5 events, 2 content versions each; every unit its own data key).
 * Embeddings: every text's vector is put into an embedding cache first, and the rebuilds read them
 * from it through `cachedEmbedder` as the ledger does; the vectors are real-ish (bench/realIshVectors.ts),
 * as this machine cannot embed tens of thousands of texts in a session.
 *
 * Rows, each in its own projection runner and directory, after the floor (reading and decoding the
 * log in the runner's page size, key ring warm, which any rebuild pays):
 * 1. the vector read model as before this change (no `openReplacing`): cold projection from zero,
 *    then `runner.rebuild`, which builds its HNSW index point by point as the cold one did;
 * 2. the vector read model as the ledger defines it: cold projection (nothing to reuse: the same work
 *    as 1, a second sample of the noise), then `runner.rebuild`, which adopts the live generation's index
 *    once it checks out, then a second rebuild (adopting the adopted one).
 *
 * Each row has two times: until the read model caught up with the log (every vector searchable; points
 * not yet in the HNSW graph are staged and scanned exactly), and until the graph holds every point. A
 * second table times top-10 searches at catch-up (while points are staged) and once the graph is complete.
 */
import { Effect } from "effect";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decide } from "../domain/memory/decide.js";
import { evolve } from "../domain/memory/evolve.js";
import { defaultAttributes } from "../domain/memory/memoryContent.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { memoryStreamId } from "../domain/memory/memoryEvents.js";
import { initialMemoryState, type MemoryState } from "../domain/memory/memoryState.js";
import { cubeStreamId } from "../domain/cube/cubeEvents.js";
import { openMemLedger } from "../src/app/memLedger.js";
import { systemClock } from "../src/clock/clock.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { eventMetadata } from "../src/command/eventMetadata.js";
import { KeyRing } from "../src/crypto/keyRing.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { cachedEmbedder, openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { randomIds } from "../src/ids/idGenerator.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { encodeMemoryEvent } from "../src/memory/memoryEventCodec.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { decodeForProjection } from "../src/readModels/projectionEventDecoder.js";
import { startProjectionRunner, type ReadModelDefinition } from "../src/readModels/projectionRunner.js";
import { vectorReadModel, type SqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import { ANN_INDEX_DEFAULTS } from "../src/vectorIndex/annIndex.js";
import { removeDir, tempDir } from "./payload.js";
import { REAL_ISH_DIMENSIONS, realIshVectors } from "./realIshVectors.js";
import { fmtMs, fmtRate, formatTable, nowMs, summarize, type Table } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    units: { type: "string", default: "10000" },
    spread: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
  },
});
const units = Number(args.units);
const cubeId = "bench";
const ctx: CommandContext = { tenantId: "tenant-bench", actor: "agent:bench" };
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const log = (line: string) => console.error(line);
const createdText = (i: number) => `unit ${i}: what was first said about topic ${i % 97}`;
const editedText = (i: number) => `unit ${i}: what was said about topic ${i % 97} after the edit`;

function accepted(state: MemoryState, command: Parameters<typeof decide>[1]): readonly MemoryEvent[] {
  const decision = decide(state, command);
  if (decision.kind === "rejected") throw new Error(`fixture command ${command.type} on ${command.memoryId} was rejected: ${decision.error.message}`);
  return decision.events;
}

/** The log, written in three rounds (creates, edits, archives) so a unit's events lie apart as in a real log. */
async function writeLog(dir: string): Promise<number> {
  const ledger = await openMemLedger({ dataDir: dir, eventStore: { kind: "sqlite", durability: "normal" }, worker: false });
  await ledger.cubes.create({ cubeId, name: "vector rebuild bench", owner: { kind: "agent", id: "agent:bench" } }, ctx);
  await ledger.close();
  removeDir(join(dir, "readmodels"));
  const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
  const keyStore = openSqliteKeyStore(join(dir, "keys", "keys.db"));
  const ids: string[] = [];
  const keys: { keyId: string; material: Buffer; subjectId: string }[] = [];
  const states: MemoryState[] = [];
  const append = async (i: number, events: readonly MemoryEvent[]) => {
    const metadata = eventMetadata(ctx, systemClock, randomIds, { cubeId, keyId: keys[i]!.keyId, subjectId: keys[i]!.subjectId });
    const encoded = events.map((event) => encodeMemoryEvent(event, randomIds.newId(), metadata, keys[i]!));
    await run(store.append(memoryStreamId(ids[i]!), encoded, states[i]!.revision < 0 ? "no_stream" : states[i]!.revision));
    states[i] = events.reduce(evolve, states[i]!);
  };
  for (let i = 0; i < units; i += 1) {
    const memoryId = randomIds.newId();
    const userId = `user-${i % 1_000}`;
    const key = await run(keyStore.createKey(userId, randomIds.newId()));
    ids.push(memoryId);
    keys.push({ keyId: key.keyId, material: key.material, subjectId: userId });
    states.push(initialMemoryState);
    const registration = { eventId: randomIds.newId(), type: "CubeMemoryRegistered", schemaVersion: 1, data: { cubeId, memoryId }, metadata: eventMetadata(ctx, systemClock, randomIds, { cubeId }) };
    await run(store.append(cubeStreamId(cubeId), [registration], "stream_exists"));
    const content = { text: createdText(i), tags: [`topic-${i % 97}`], sources: [], userId, metadata: { source: "bench" } };
    await append(i, accepted(initialMemoryState, { type: "create", memoryId, cubeId, content, attributes: defaultAttributes, activate: true }));
  }
  for (let i = 0; i < units; i += 1) await append(i, accepted(states[i]!, { type: "edit", memoryId: ids[i]!, content: { text: editedText(i) } }));
  for (let i = 0; i < units; i += 1) await append(i, accepted(states[i]!, { type: "archive", memoryId: ids[i]! }));
  const head = await run(store.headPosition());
  await run(store.close());
  await run(keyStore.close());
  return head;
}

/** Stands in for the model: answers the vector chosen for each text, so a cache filled through it holds them all. */
function tableEmbedder(vectors: ReadonlyMap<string, Float32Array>): Embedder {
  return {
    modelId: "bench/real-ish-minilm",
    dimensions: REAL_ISH_DIMENSIONS,
    embed: async (texts) =>
      texts.map((text) => {
        const vector = vectors.get(text);
        if (vector === undefined) throw new Error(`no vector chosen for ${JSON.stringify(text)}`);
        return vector;
      }),
    close: async () => undefined,
  };
}

interface Row {
  readonly what: string;
  /** Until the read model had caught up with the log: every vector searchable (staged ones by an exact scan). */
  readonly seconds: number;
  /** Until every point was in the HNSW graph as well. */
  readonly graphSeconds?: number;
  /** Points staged, not yet in the graph, when the read model caught up. */
  readonly stagedAtCatchUp?: number;
  readonly indexBuild?: SqliteVectorStore["indexBuild"];
}

interface SearchLatency {
  readonly what: string;
  readonly staged: number;
  readonly p50: number;
  readonly p99: number;
}

const searchLatencies: SearchLatency[] = [];
let queryVectors: Float32Array[] = [];

/** Top-10 searches of the store as it is (staged points scanned beside the graph walk), query embedding excluded. */
async function searchLatency(what: string, store: SqliteVectorStore): Promise<void> {
  const staged = store.indexBuild.pendingInserts;
  const durations: number[] = [];
  for (const query of queryVectors) {
    const started = nowMs();
    await store.search(query, 10);
    durations.push(nowMs() - started);
  }
  const { p50, p99 } = summarize(durations);
  searchLatencies.push({ what, staged, p50, p99 });
}

/** The catch-up row, then the wait for the graph, with a search sample on each side of it. */
async function caughtUpAndIndexed(what: string, store: SqliteVectorStore, started: number): Promise<Row> {
  const seconds = (nowMs() - started) / 1000;
  const stagedAtCatchUp = store.indexBuild.pendingInserts;
  if (stagedAtCatchUp > 0) await searchLatency(`${what}, at catch-up`, store);
  await store.whenIndexed();
  const graphSeconds = (nowMs() - started) / 1000;
  await searchLatency(`${what}, graph complete`, store);
  return { what, seconds, graphSeconds, stagedAtCatchUp, indexBuild: store.indexBuild };
}

async function measure(dir: string, label: string, definition: ReadModelDefinition, head: number, rebuilds: number): Promise<Row[]> {
  const eventStore = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
  const keyStore = openSqliteKeyStore(join(dir, "keys", "keys.db"));
  const failures: unknown[] = [];
  const runner = await startProjectionRunner({
    eventStore,
    keyRing: new KeyRing(keyStore),
    directory: join(dir, `readmodels-${label.replace(/\W+/g, "-")}`),
    definitions: [definition],
    onError: (_, error) => failures.push(error),
  });
  const rows: Row[] = [];
  try {
    const started = nowMs();
    if (!(await runner.waitFor(head, 3_600_000))) throw new Error(`${label}: no catch-up within an hour`);
    rows.push(await caughtUpAndIndexed(`${label}: cold projection from zero`, runner.store<SqliteVectorStore>(vectorReadModel), started));
    log(`${label}: cold ${rows.at(-1)!.seconds.toFixed(1)} s, graph ${rows.at(-1)!.graphSeconds!.toFixed(1)} s`);
    for (let n = 1; n <= rebuilds; n += 1) {
      const rebuildStarted = nowMs();
      const rebuilt = await runner.rebuild(vectorReadModel);
      if (rebuilt.events !== head) throw new Error(`${label}: rebuilt to ${rebuilt.events}, expected ${head}`);
      rows.push(await caughtUpAndIndexed(`${label}: runner.rebuild${rebuilds > 1 ? ` #${n}` : ""}`, runner.store<SqliteVectorStore>(vectorReadModel), rebuildStarted));
      log(`${label}: rebuild ${rows.at(-1)!.seconds.toFixed(1)} s, graph ${rows.at(-1)!.graphSeconds!.toFixed(1)} s`);
    }
    if (failures.length > 0) throw new Error(`${label}: ${failures.length} failed batches, first: ${String(failures[0])}`);
    return rows;
  } finally {
    await runner.stop();
    await run(eventStore.close());
    await run(keyStore.close());
  }
}

/** What any rebuild pays before a read model does anything: the log read and decoded, page by page, key ring warm. */
async function readAndDecode(dir: string): Promise<Row> {
  const eventStore = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
  const keyStore = openSqliteKeyStore(join(dir, "keys", "keys.db"));
  const keyRing = new KeyRing(keyStore);
  try {
    const pass = async () => {
      const started = nowMs();
      for (let after = 0; ; ) {
        const recorded = await run(eventStore.readAll({ after, maxCount: 20_000 }));
        if (recorded.length === 0) break;
        await decodeForProjection(keyRing, recorded);
        after = recorded[recorded.length - 1]!.position;
      }
      return (nowMs() - started) / 1000;
    };
    await pass(); // warms the key ring, as a rebuild beside a live generation finds it
    return { what: "read + decode the log, key ring warm (the floor)", seconds: await pass() };
  } finally {
    await run(eventStore.close());
    await run(keyStore.close());
  }
}

async function main(): Promise<void> {
  const dir = tempDir("vector-rebuild");
  try {
    const writeStarted = nowMs();
    const head = await writeLog(dir);
    log(`log: ${head.toLocaleString("en-US")} events, ${units * 2} content versions, written in ${((nowMs() - writeStarted) / 1000).toFixed(0)} s (${dir})`);

    const { next, description } = realIshVectors(Number(args.spread), 51);
    const vectors = new Map<string, Float32Array>();
    for (let i = 0; i < units; i += 1) {
      vectors.set(createdText(i), next());
      vectors.set(editedText(i), next());
    }
    const cache = openEmbeddingCache(join(dir, "embeddings.db"));
    const embedder = cachedEmbedder(tableEmbedder(vectors), cache);
    await embedder.embed([...vectors.keys()]);
    queryVectors = Array.from({ length: 50 }, () => next());
    const ledgerDefinition = embeddedReadModels({ embedder, cache }).find((d) => d.name === vectorReadModel)!;
    const { openReplacing: _reuse, ...beforeDefinition } = ledgerDefinition;

    const floor = await readAndDecode(dir);
    const rows = [
      ...(await measure(dir, "before (no index reuse)", beforeDefinition, head, 1)),
      ...(await measure(dir, "after (index reuse)", ledgerDefinition, head, 2)),
    ];
    cache.close();
    const baseline = rows[0]!.seconds;
    rows.unshift(floor);
    const table: Table = {
      title: `Vector rebuild from cached embeddings: ${head.toLocaleString("en-US")} events, ${(units * 2).toLocaleString("en-US")} vectors × ${REAL_ISH_DIMENSIONS}`,
      headers: ["run", "caught up (searchable)", "events/s", "speed vs before, cold", "staged at catch-up", "graph complete", "events/s to graph complete", "previous index", "HNSW inserts"],
      rows: rows.map((row) => [
        row.what,
        `${row.seconds.toFixed(1)} s`,
        fmtRate(head / row.seconds),
        `${(baseline / row.seconds).toFixed(2)}×`,
        row.stagedAtCatchUp?.toLocaleString("en-US") ?? "",
        row.graphSeconds === undefined ? "" : `${row.graphSeconds.toFixed(1)} s`,
        row.graphSeconds === undefined ? "" : fmtRate(head / row.graphSeconds),
        row.indexBuild?.previousIndex ?? "",
        row.indexBuild?.pointsInserted.toLocaleString("en-US") ?? "",
      ]),
      notes: [
        `- vectors: ${description}`,
        `- HNSW: m ${ANN_INDEX_DEFAULTS.m}, efConstruction ${ANN_INDEX_DEFAULTS.efConstruction}; runner rebuild batches of 20,000 events`,
        `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), node ${process.version}`,
      ],
    };
    console.log(formatTable(table));
    console.log(
      formatTable({
        title: `Top-10 vector search of the read model (${queryVectors.length} queries, embedding excluded)`,
        headers: ["when", "points staged", "p50", "p99"],
        rows: searchLatencies.map((l) => [l.what, l.staged.toLocaleString("en-US"), fmtMs(l.p50), fmtMs(l.p99)]),
        notes: ["- staged points are scanned exactly beside the graph walk until they are in the graph; the drain goes on between searches"],
      }),
    );
  } finally {
    if (!args.keep) removeDir(dir);
  }
}

await main();
