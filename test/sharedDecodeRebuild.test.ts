import Database from "better-sqlite3";
import { Effect } from "effect";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyRing } from "../src/crypto/keyRing.js";
import type { EventStorePort } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { embeddedReadModels, graphReadModel } from "../src/readModels/embeddedReadModels.js";
import type { GraphReadModel } from "../src/readModels/graph/graphReadModel.js";
import type { LexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";
import type { MemoryViewStore } from "../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { decodeForProjection } from "../src/readModels/projectionEventDecoder.js";
import { startProjectionRunner, type ProjectionRunner } from "../src/readModels/projectionRunner.js";
import { sharedLogPages } from "../src/readModels/sharedLogPages.js";
import { tempLedger } from "./support/tempLedger.js";

const definitions = embeddedReadModels();

/** Every row of every ordinary table (FTS5's internal tables excluded), in a stable order. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'lexical_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
}

const currentFile = (directory: string, name: string) => join(directory, readFileSync(join(directory, `${name}.current`), "utf8").trim());

/** 60 units in two cubes with edits, merges, archives and one erasure, so every read model has rows of each kind. */
async function writeLog(): Promise<{ dataDir: string; head: number; erasedId: string }> {
  const t = await tempLedger({ worker: false });
  await t.ledger.cubes.create({ cubeId: "a", name: "a", owner: { kind: "user", id: "ann" } });
  await t.ledger.cubes.create({ cubeId: "b", name: "b", owner: { kind: "user", id: "ben" } });
  const ids: string[] = [];
  for (let i = 0; i < 60; i += 1) {
    const unit = await t.ledger.memories.create({ cubeId: i % 2 ? "a" : "b", text: `Unit ${i} mentions Lisbon and Porto, tag ${i % 5}`, tags: [`t${i % 5}`], userId: i % 2 ? "ann" : "ben" });
    ids.push(unit.memoryId);
    if (i % 3 === 0) await t.ledger.memories.edit(unit.memoryId, { content: { text: `Unit ${i} edited: now about Madrid and Porto` } });
    if (i % 7 === 0 && i > 1 && (i - 2) % 5 !== 4) await t.ledger.memories.merge(ids[i - 2]!, unit.memoryId);
    if (i % 5 === 4) await t.ledger.memories.archive(unit.memoryId);
  }
  const erasedId = ids[3]!;
  await t.ledger.memories.erase(erasedId);
  const head = (await t.ledger.memories.history(erasedId)).at(-1)!.position;
  await t.ledger.close();
  rmSync(join(t.dataDir, "readmodels"), { recursive: true, force: true });
  return { dataDir: t.dataDir, head, erasedId };
}

/** The event store with every readAll counted: how many times the log was read, page by page. */
function countingEventStore(store: EventStorePort): { store: EventStorePort; reads: () => number } {
  let reads = 0;
  return {
    store: { ...store, readAll: (options) => Effect.suspend(() => ((reads += 1), store.readAll(options))) },
    reads: () => reads,
  };
}

/** What a caller sees: a listing, a full-text search and a graph expansion. */
async function answers(runner: ProjectionRunner): Promise<unknown> {
  const view = runner.store<MemoryViewStore>("memory_view");
  const listed = view.list({ cubeIds: ["a", "b"], statuses: "any", limit: 1_000 }).map((row) => ({ id: row.memoryId, status: row.view.status, text: row.view.content?.text ?? null }));
  const searched = runner.store<LexicalStore>("lexical").search("Porto Madrid", 100);
  const graph = runner.store<GraphReadModel>(graphReadModel);
  const entities = await graph.entitiesMatching("Lisbon Porto Madrid");
  const related = await graph.relatedMemories({ entityIds: entities.map((e) => e.id), hops: 1, limit: 100 });
  return { listed, searched, entities, related };
}

describe("read models projected together share one decode of the log", () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const openLog = async () => {
    const written = await writeLog();
    cleanups.push(() => rmSync(written.dataDir, { recursive: true, force: true }));
    const store = openSqliteEventStore({ path: join(written.dataDir, "events.db") });
    const keyRing = new KeyRing(openSqliteKeyStore(join(written.dataDir, "keys", "keys.db")));
    cleanups.push(() => Effect.runPromise(store.close()));
    return { ...written, store, keyRing };
  };
  const freshDirectory = () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-shared-decode-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it("all read models from zero in one runner read each page once and end equal to each read model projected alone, answering the same", async () => {
    const { store, keyRing, head } = await openLog();
    const batchSize = 40;

    const counted = countingEventStore(store);
    const togetherDir = freshDirectory();
    const together = await startProjectionRunner({ eventStore: counted.store, keyRing, directory: togetherDir, definitions, batchSize, rebuildBatchSize: batchSize });
    cleanups.push(() => together.stop());
    expect(await together.waitFor(head, 30_000)).toBe(true);
    const pagesOfLog = Math.ceil(head / batchSize);
    // One read per page (plus the reads at the head that find nothing new), not one per page per read model.
    expect(counted.reads()).toBeLessThan(pagesOfLog + 2 * definitions.length + 2);

    const aloneAnswers: Record<string, unknown> = {};
    for (const definition of definitions) {
      const aloneDir = freshDirectory();
      const alone = await startProjectionRunner({ eventStore: store, keyRing, directory: aloneDir, definitions: [definition], batchSize, rebuildBatchSize: batchSize });
      expect(await alone.waitFor(head, 30_000)).toBe(true);
      await alone.stop();
      aloneAnswers[definition.name] = dump(currentFile(aloneDir, definition.name));
    }
    const togetherAnswers = (await answers(together)) as { listed: unknown[]; searched: unknown[]; related: unknown[] };
    expect([togetherAnswers.listed.length > 50, togetherAnswers.searched.length > 10, togetherAnswers.related.length > 10]).toEqual([true, true, true]);
    await together.stop();
    for (const definition of definitions) expect(dump(currentFile(togetherDir, definition.name)), definition.name).toEqual(aloneAnswers[definition.name]);

    // The same questions asked of one runner per read model.
    const separateDirs = definitions.map(() => freshDirectory());
    const separate = await Promise.all(definitions.map((d, i) => startProjectionRunner({ eventStore: store, keyRing, directory: separateDirs[i]!, definitions: [d], batchSize })));
    for (const runner of separate) expect(await runner.waitFor(head, 30_000)).toBe(true);
    const byName = (name: string) => separate[definitions.findIndex((d) => d.name === name)]!;
    const facade = { store: (name: string) => byName(name).store(name) } as unknown as ProjectionRunner;
    expect(await answers(facade)).toEqual(togetherAnswers);
    for (const runner of separate) await runner.stop();
  }, 90_000);

  it("read models a crash left at different checkpoints resume, through the shared pages, to the state of a rebuild", async () => {
    const { store, keyRing, head } = await openLog();
    const directory = freshDirectory();
    const all = await decodeForProjection(keyRing, await Effect.runPromise(store.readAll({ after: 0 })));
    // As a crash mid-way leaves them: each read model committed up to its own checkpoint (one of them nothing).
    const stopAt = [37, 0, 101, 64];
    for (const [i, definition] of definitions.entries()) {
      const model = await definition.open(join(directory, `${definition.name}-1.db`));
      await model.apply(all.filter((e) => e.envelope.position <= stopAt[i % stopAt.length]!));
      await model.close();
    }

    const batchSize = 30;
    const resumed = await startProjectionRunner({ eventStore: store, keyRing, directory, definitions, batchSize, rebuildBatchSize: batchSize });
    cleanups.push(() => resumed.stop());
    expect(await resumed.waitFor(head, 30_000)).toBe(true);

    // The reference: each read model rebuilt into a new generation from zero by the same runner.
    const resumedDumps = Object.fromEntries(definitions.map((d) => [d.name, dump(currentFile(directory, d.name))]));
    for (const definition of definitions) {
      await resumed.rebuild(definition.name);
      expect(resumedDumps[definition.name], definition.name).toEqual(dump(currentFile(directory, definition.name)));
    }
  }, 90_000);

  it("a page decoded before an erasure destroyed its key is not handed out again: the erased content reads as shredded", async () => {
    const { store, keyRing, erasedId } = await writeLogWithLiveKey();
    const pages = sharedLogPages({ eventStore: store, keyRing, maxPages: 4 });
    const carriesText = (events: Awaited<ReturnType<typeof pages.read>>) =>
      events.some((e) => e.kind === "memory" && e.event.type === "MemoryCreated" && e.event.data.memoryId === erasedId && e.event.data.content !== null);
    expect(carriesText(await pages.read(0, 1_000))).toBe(true);
    const keyId = (await Effect.runPromise(store.readAll({ after: 0 }))).find((e) => e.streamId === `memory-${erasedId}`)!.metadata.keyId!;
    await Effect.runPromise(keyRing.destroy(keyId, new Date().toISOString()));
    expect(carriesText(await pages.read(0, 1_000))).toBe(false);
    expect(carriesText(await pages.read(5, 1_000))).toBe(false);
  });

  it("holds at most its page budget while lanes page through the log, and lets the catch-up's pages go once a lane reaches the head", async () => {
    const { store, keyRing, head } = await openLog();
    const pages = sharedLogPages({ eventStore: store, keyRing, maxPages: 3 });
    const page = 25;
    let most = 0;
    for (let after = 0; after < head - page; after += page) {
      await pages.read(after, page);
      most = Math.max(most, pages.held);
    }
    expect(most).toBe(3);
    // A lane whose checkpoint falls inside a held page takes the rest of it, exactly the events after its checkpoint.
    const fresh = sharedLogPages({ eventStore: store, keyRing, maxPages: 3 });
    const counted = countingEventStore(store);
    const sharing = sharedLogPages({ eventStore: counted.store, keyRing, maxPages: 3 });
    const start = head - 3 * page;
    expect(await sharing.read(start, page)).toEqual(await fresh.read(start, page));
    const rest = await sharing.read(start + 7, page);
    expect(counted.reads()).toBe(1);
    expect(rest).toHaveLength(page - 7);
    expect(rest).toEqual(await decodeForProjection(keyRing, await Effect.runPromise(store.readAll({ after: start + 7, maxCount: page - 7 }))));
    // The pages read so far all end before the head, so this one is new, and short.
    expect(await pages.read(head - 1, page)).toHaveLength(1);
    expect(pages.held).toBe(1);
    expect(await pages.read(head, page)).toEqual([]);
    expect(pages.held).toBe(0);
  }, 60_000);

  /** A log whose erased unit's key is still alive, so this test destroys it through the key ring itself. */
  async function writeLogWithLiveKey(): Promise<{ store: EventStorePort; keyRing: KeyRing; erasedId: string }> {
    const t = await tempLedger({ worker: false });
    cleanups.push(() => rmSync(t.dataDir, { recursive: true, force: true }));
    await t.ledger.cubes.create({ cubeId: "a", name: "a", owner: { kind: "user", id: "ann" } });
    const unit = await t.ledger.memories.create({ cubeId: "a", text: "The vault code is 4417", userId: "ann" });
    for (let i = 0; i < 5; i += 1) await t.ledger.memories.create({ cubeId: "a", text: `filler ${i}`, userId: "ann" });
    await t.ledger.close();
    const store = openSqliteEventStore({ path: join(t.dataDir, "events.db") });
    cleanups.push(() => Effect.runPromise(store.close()));
    return { store, keyRing: new KeyRing(openSqliteKeyStore(join(t.dataDir, "keys", "keys.db"))), erasedId: unit.memoryId };
  }
});
