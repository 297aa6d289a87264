import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyRing } from "../src/crypto/keyRing.js";
import { openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { startProjectionRunner } from "../src/readModels/projectionRunner.js";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import { openSqliteVectorStore, type SqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { createAnnIndex } from "../src/vectorIndex/annIndex.js";
import { rng } from "../bench/stats.js";
import { tempLedger } from "./support/tempLedger.js";

// Real engines: SQLite and hnswlib-node. exactBelow is left at its default, so these small indexes
// answer by exact scan: what is under test is which points the index holds, not the graph walk.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "memledger-vector-adopt-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "violin", "harbour", "meadow", "lantern"];
const textOf = (i: number) => `${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7) % 11]} note ${i}`;

/**
 * A log of `units` memories, each created and, every third one, edited; memory 3 (created and edited:
 * two content versions) is erased at the end. `textAt7` is what memory 7 is created with (null: no
 * content), so two logs can differ at exactly one position.
 */
function memoryLog(units: number, textAt7: string | null = textOf(7)): ProjectionEvent[] {
  const log = projectionEventLog();
  const events: ProjectionEvent[] = [];
  for (let i = 0; i < units; i += 1) {
    const text = i === 7 ? textAt7 : textOf(i);
    events.push(log.created(`m${i}`, text === null ? null : contentOf(text)));
    if (i % 3 === 0) events.push(log.edited(`m${i}`, contentOf(`${textOf(i)} revised`)));
  }
  events.push(log.erased("m3"));
  return events;
}

async function fold(store: SqliteVectorStore, events: readonly ProjectionEvent[], batchSize: number): Promise<void> {
  for (let start = 0; start < events.length; start += batchSize) {
    const batch = events.slice(start, start + batchSize);
    await store.prepare?.(batch);
    await store.apply(batch);
  }
}

async function generation(dir: string, name: string, events: readonly ProjectionEvent[], previousGeneration?: string): Promise<SqliteVectorStore> {
  const store = openSqliteVectorStore(join(dir, name), hashingEmbedder(), previousGeneration === undefined ? {} : { previousGeneration: join(dir, previousGeneration) });
  cleanups.push(() => store.close());
  await fold(store, events, 25);
  await store.whenIndexed(); // batches of 25 are staged and go into the graph in the background
  return store;
}

/** Every query's top 10 from the index equals the exact top 10 over the table's own vectors. */
async function expectSearchesMatchTable(store: SqliteVectorStore, events: readonly ProjectionEvent[]): Promise<void> {
  const embedder = hashingEmbedder();
  const positions = events.map((e) => e.envelope.position);
  const tableVectors = await store.vectorsOf(positions);
  for (const text of ["violin concerto in the harbour", textOf(3), textOf(7), `${textOf(9)} revised`, "garden river"]) {
    const [query] = await embedder.embed([text]);
    const hits = await store.search(query!, 10);
    const exact = createAnnIndex({ dimensions: embedder.dimensions });
    for (const [position, vector] of tableVectors) exact.add(position, vector);
    expect(hits.map((h) => h.label)).toEqual(exact.search(query!, 10).map((h) => h.label));
  }
  expect(store.size).toBe(tableVectors.size);
}

describe("a vector rebuild reuses the previous generation's HNSW index only when it equals the rebuilt table", () => {
  it("a rebuild of a healthy generation adopts its saved index: no point inserted but the erased one's content, which it folds and drops again", async () => {
    const dir = scratchDir();
    const events = memoryLog(60);
    const first = await generation(dir, "vector-1.db", events);
    expect(first.indexBuild).toMatchObject({ previousIndex: "none", pendingInserts: 0 });
    // m3's two versions reached the graph before their erasure, or (still staged then) never did: the background drain decides.
    expect(first.indexBuild.pointsInserted).toBeGreaterThanOrEqual(first.size);
    expect(first.indexBuild.pointsInserted).toBeLessThanOrEqual(first.size + 2);
    first.close();

    const rebuilt = await generation(dir, "vector-2.db", events, "vector-1.db");
    // m3 was created and edited (two content versions) before its erasure: the saved index holds them only as tombstones.
    expect(rebuilt.indexBuild).toEqual({ previousIndex: "adopted", pointsInserted: 2, pendingInserts: 0 });
    await expectSearchesMatchTable(rebuilt, events);

    // The adopted index is this generation's own: it was saved, and a restart loads it.
    rebuilt.close();
    const reopened = openSqliteVectorStore(join(dir, "vector-2.db"), hashingEmbedder());
    cleanups.push(() => reopened.close());
    expect(reopened.indexBuild.pointsInserted).toBe(0);
    await expectSearchesMatchTable(reopened, events);
  });

  it("an index that differs from the rebuilt table by one vector is rejected: the rebuild inserts every point, and searches find the new vector", async () => {
    const dir = scratchDir();
    (await generation(dir, "vector-1.db", memoryLog(60, "violin concerto in the harbour"))).close();
    const events = memoryLog(60);
    const rebuilt = await generation(dir, "vector-2.db", events, "vector-1.db");
    expect(rebuilt.indexBuild.previousIndex).toBe("rejected");
    expect(rebuilt.indexBuild.pointsInserted).toBeGreaterThanOrEqual(rebuilt.size);
    await expectSearchesMatchTable(rebuilt, events);
    const [violin] = await hashingEmbedder().embed(["violin concerto in the harbour"]);
    const created7 = events.find((e) => e.kind === "memory" && e.event.type === "MemoryCreated" && e.event.data.memoryId === "m7")!.envelope.position;
    expect((await rebuilt.search(violin!, 1))[0]?.label).not.toBe(created7);
  });

  it("an index holding one label the rebuilt table lacks is rejected, and that label never comes back from a search", async () => {
    const dir = scratchDir();
    (await generation(dir, "vector-1.db", memoryLog(60))).close();
    const events = memoryLog(60, null);
    const extraLabel = events.find((e) => e.kind === "memory" && e.event.type === "MemoryCreated" && e.event.data.memoryId === "m7")!.envelope.position;
    const rebuilt = await generation(dir, "vector-2.db", events, "vector-1.db");
    expect(rebuilt.indexBuild.previousIndex).toBe("rejected");
    await expectSearchesMatchTable(rebuilt, events);
    const [query] = await hashingEmbedder().embed([textOf(7)]);
    expect((await rebuilt.search(query!, 100)).map((h) => h.label)).not.toContain(extraLabel);
  });

  it("while the rebuild has not reached them, the previous index's labels are hidden from searches and from size", async () => {
    const dir = scratchDir();
    const events = memoryLog(60);
    (await generation(dir, "vector-1.db", events)).close();
    const rebuilt = openSqliteVectorStore(join(dir, "vector-2.db"), hashingEmbedder(), { previousGeneration: join(dir, "vector-1.db") });
    cleanups.push(() => rebuilt.close());
    const firstBatch = events.slice(0, 20);
    await fold(rebuilt, firstBatch, 20);
    expect(rebuilt.indexBuild.previousIndex).toBe("checking");
    const through = rebuilt.checkpoint();
    const [query] = await hashingEmbedder().embed([textOf(40)]);
    const hits = await rebuilt.search(query!, 100);
    expect(hits.length).toBe(rebuilt.size);
    expect(hits.every((h) => h.label <= through)).toBe(true);
    expect((await rebuilt.searchExact(query!, 100, events.map((e) => e.envelope.position))).every((h) => h.label <= through)).toBe(true);
    expect(await rebuilt.search(query!, 100, new Set(events.map((e) => e.envelope.position)))).toEqual(hits);
  });

  it("the index tells bit for bit whether it holds the vector an add would store (hnswlib renormalises in float32)", () => {
    const random = rng(7);
    const index = createAnnIndex({ dimensions: 384, initialCapacity: 500 });
    const vectors = Array.from({ length: 500 }, (_, label) => Float32Array.from({ length: 384 }, () => (random() - 0.5) * 10 ** (label % 7 - 3)));
    vectors.forEach((vector, label) => index.add(label, vector));
    for (const [label, vector] of vectors.entries()) {
      expect(index.holdsVector(label, vector)).toBe(true);
      const nudged = Float32Array.from(vector);
      nudged[label % 384] = nudged[label % 384]! * (1 + 2 ** -20);
      expect(index.holdsVector(label, nudged)).toBe(false);
    }
    expect(index.holdsVector(500, vectors[0]!)).toBe(false);
  });

  it("the runner's rebuild of the vector read model adopts the live generation's index, saved just before", async () => {
    const t = await tempLedger({ worker: false });
    cleanups.push(() => rmSync(t.dataDir, { recursive: true, force: true }));
    await t.ledger.cubes.create({ cubeId: "a", name: "a", owner: { kind: "user", id: "ann" } });
    for (let i = 0; i < 30; i += 1) await t.ledger.memories.create({ cubeId: "a", text: textOf(i), userId: "ann" });
    await t.ledger.close();
    const eventStore = openSqliteEventStore({ path: join(t.dataDir, "events.db") });
    cleanups.push(() => Effect.runPromise(eventStore.close()));
    const keyRing = new KeyRing(openSqliteKeyStore(join(t.dataDir, "keys", "keys.db")));
    const cache = openEmbeddingCache(":memory:");
    cleanups.push(() => cache.close());
    const definitions = embeddedReadModels({ embedder: hashingEmbedder(), cache }).filter((d) => d.name === "vector");
    const head = await Effect.runPromise(eventStore.headPosition());
    const runner = await startProjectionRunner({ eventStore, keyRing, directory: join(t.dataDir, "readmodels"), definitions });
    cleanups.push(() => runner.stop());
    expect(await runner.waitFor(head, 10_000)).toBe(true);
    // The live generation saves its index only every 20,000 points: the rebuild has it saved first.
    expect(runner.store<SqliteVectorStore>("vector").size).toBe(30);
    await runner.store<SqliteVectorStore>("vector").whenIndexed(); // a graph still being filled is saved only as far as it goes

    await runner.rebuild("vector");
    const rebuilt = runner.store<SqliteVectorStore>("vector");
    expect(rebuilt.file).toMatch(/vector-2\.db$/);
    await rebuilt.whenIndexed();
    expect(rebuilt.indexBuild).toEqual({ previousIndex: "adopted", pointsInserted: 0, pendingInserts: 0 });
    expect(rebuilt.size).toBe(30);
  });
});
