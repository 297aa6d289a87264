import Database from "better-sqlite3";
import { Effect } from "effect";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyRing } from "../src/crypto/keyRing.js";
import type { EventStorePort } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { openSqliteLexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";
import { ReadModelUnavailable, startProjectionRunner, type ReadModelDefinition } from "../src/readModels/projectionRunner.js";
import { decodeForProjection } from "../src/readModels/projectionEventDecoder.js";
import type { ReadModelFactory } from "../src/readModels/readModelStore.js";
import { lineFrom } from "./support/childProcessOutput.js";
import { tempLedger } from "./support/tempLedger.js";

const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");

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

/** The read model folded from scratch over the log's events up to `position`, in one go. */
async function referenceDump(open: ReadModelFactory, store: EventStorePort, keyRing: KeyRing, position: number): Promise<Record<string, unknown[]>> {
  const dir = mkdtempSync(join(tmpdir(), "memledger-reference-"));
  const file = join(dir, "reference.db");
  const model = await open(file);
  try {
    const events = (await Effect.runPromise(store.readAll({ after: 0 }))).filter((e) => e.position <= position);
    await model.apply(await decodeForProjection(keyRing, events));
    const rows = dump(file);
    return rows;
  } finally {
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const currentFile = (dataDir: string, name: string) => join(dataDir, "readmodels", readFileSync(join(dataDir, "readmodels", `${name}.current`), "utf8").trim());

/** A log with edits, merges, archives and an erasure: 40 units in two cubes. */
async function writeLog(): Promise<{ dataDir: string; head: number }> {
  const t = await tempLedger({ worker: false });
  await t.ledger.cubes.create({ cubeId: "a", name: "a", owner: { kind: "user", id: "ann" } });
  await t.ledger.cubes.create({ cubeId: "b", name: "b", owner: { kind: "user", id: "ben" } });
  const ids: string[] = [];
  for (let i = 0; i < 40; i += 1) {
    const unit = await t.ledger.memories.create({ cubeId: i % 2 ? "a" : "b", text: `Unit ${i} mentions Lisbon and Porto, tag ${i % 5}`, tags: [`t${i % 5}`], userId: i % 2 ? "ann" : "ben" });
    ids.push(unit.memoryId);
    if (i % 3 === 0) await t.ledger.memories.edit(unit.memoryId, { content: { text: `Unit ${i} edited: now about Madrid` } });
    // Merge into a unit of the same cube (two back: the cubes alternate), never into an archived one.
    if (i % 7 === 0 && i > 1 && (i - 2) % 5 !== 4) await t.ledger.memories.merge(ids[i - 2]!, unit.memoryId);
    if (i % 5 === 4) await t.ledger.memories.archive(unit.memoryId);
  }
  await t.ledger.memories.erase(ids[3]!);
  const head = (await t.ledger.memories.history(ids[3]!)).at(-1)!.position;
  await t.ledger.close();
  // The crash test projects from zero in a worker process.
  rmSync(join(t.dataDir, "readmodels"), { recursive: true, force: true });
  return { dataDir: t.dataDir, head };
}

describe("projection runtime", () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  /** The test log in a fresh data directory, removed after the test. */
  const writtenLog = async () => {
    const written = await writeLog();
    cleanups.push(() => rmSync(written.dataDir, { recursive: true, force: true }));
    return written;
  };
  /** The data directory's event store and key ring, closed after the test. */
  const openLog = (dataDir: string) => {
    const store = openSqliteEventStore({ path: join(dataDir, "events.db") });
    const keyRing = new KeyRing(openSqliteKeyStore(join(dataDir, "keys", "keys.db")));
    cleanups.push(() => Effect.runPromise(store.close()));
    return { store, keyRing };
  };

  it("a worker killed in the middle of a batch leaves each read model equal to the fold up to its checkpoint, and resumes to the same state as a rebuild", async () => {
    const { dataDir, head } = await writtenLog();
    const hangAt = Math.floor(head / 2);
    const child = spawn(viteNode, [join("test", "support", "projectionWorkerProcess.ts"), dataDir, String(hangAt)], { stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => void child.kill("SIGKILL"));
    await lineFrom(child, "MID-BATCH", 60_000);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    const { store, keyRing } = openLog(dataDir);

    // After the crash: the half-written batch is gone, and what is there is exactly the fold up to the checkpoint.
    for (const definition of definitions) {
      const file = currentFile(dataDir, definition.name);
      const rows = dump(file);
      const checkpoint = (rows.projection_checkpoint as Array<{ position: number }>)[0]!.position;
      if (definition.name === "memory_view") expect(checkpoint).toBeLessThan(hangAt);
      expect(rows, `${definition.name} at checkpoint ${checkpoint}`).toEqual(await referenceDump(definition.open, store, keyRing, checkpoint));
    }

    // Restart: each read model catches up from its checkpoint to the same state as a fold of the whole log.
    const runner = await startProjectionRunner({ eventStore: store, keyRing, directory: join(dataDir, "readmodels"), definitions, batchSize: 50 });
    expect(await runner.waitFor(head, 30_000)).toBe(true);
    await runner.stop();
    for (const definition of definitions) {
      expect(dump(currentFile(dataDir, definition.name)), definition.name).toEqual(await referenceDump(definition.open, store, keyRing, head));
    }
  }, 120_000);

  it("rebuilds a read model side by side while writes go on, switches to it, and reports lag", async () => {
    const t = await tempLedger();
    cleanups.push(() => t.dispose());
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
    for (let i = 0; i < 30; i += 1) await t.ledger.memories.add("c", { mode: "sync", memories: [{ text: `fact number ${i} about Vienna` }] });
    expect(await t.ledger.readModels.catchUp()).toBe(true);
    const firstFile = currentFile(t.dataDir, "lexical");
    const rebuilding = t.ledger.readModels.rebuild("lexical");
    // Writes during the rebuild are not lost: the new generation catches up past them before the switch.
    for (let i = 30; i < 40; i += 1) await t.ledger.memories.add("c", { mode: "sync", memories: [{ text: `fact number ${i} about Vienna` }] });
    const report = await rebuilding;
    expect(report.events).toBeGreaterThan(0);
    expect(currentFile(t.dataDir, "lexical")).not.toBe(firstFile);
    expect(existsSync(firstFile)).toBe(false);
    const response = await t.ledger.search({ query: "Vienna", cubeIds: ["c"], mode: "bm25", topK: 100 });
    expect(response.results).toHaveLength(40);
    const lags = await t.ledger.readModels.lag();
    expect(lags.map((l) => l.name).sort()).toEqual(["compliance", "graph", "lexical", "memory_view"]);
    for (const lag of lags) expect(lag).toMatchObject({ behind: 0, rebuilding: false });
  });

  it("a read model built by an older projection version is projected again into a new generation at start", async () => {
    const { dataDir, head } = await writtenLog();
    const { store, keyRing } = openLog(dataDir);
    const first = await startProjectionRunner({ eventStore: store, keyRing, directory: join(dataDir, "readmodels"), definitions });
    expect(await first.waitFor(head, 30_000)).toBe(true);
    await first.stop();
    const oldFile = currentFile(dataDir, "lexical");
    const db = new Database(oldFile);
    db.prepare("UPDATE projection_checkpoint SET projection_version = 0").run();
    db.close();

    const second = await startProjectionRunner({ eventStore: store, keyRing, directory: join(dataDir, "readmodels"), definitions });
    expect(await second.waitFor(head, 30_000)).toBe(true);
    await second.stop();
    expect(currentFile(dataDir, "lexical")).not.toBe(oldFile);
    expect(existsSync(oldFile)).toBe(false);
    expect(dump(currentFile(dataDir, "lexical"))).toEqual(await referenceDump(openSqliteLexicalStore, store, keyRing, head));
    // The others were current and kept their generation.
    expect(currentFile(dataDir, "graph")).toMatch(/graph-1\.db$/);
  });

  it("lag tells how much a read model still indexes in the background (vector points outside the HNSW graph), and says nothing once it is done", async () => {
    const { dataDir, head } = await writtenLog();
    const { store, keyRing } = openLog(dataDir);
    let staged = 7;
    const lexical = definitions.find((d) => d.name === "lexical")!;
    const indexingLexical: ReadModelDefinition = { name: "lexical", open: async (file) => Object.assign(await lexical.open(file), { backgroundIndexing: () => staged }) };
    const runner = await startProjectionRunner({ eventStore: store, keyRing, directory: join(dataDir, "readmodels"), definitions: [indexingLexical] });
    try {
      expect(await runner.waitFor(head, 30_000)).toBe(true);
      expect((await runner.lag())[0]).toMatchObject({ name: "lexical", behind: 0, indexPending: 7 });
      staged = 0;
      expect((await runner.lag())[0]!.indexPending).toBeUndefined();
    } finally {
      await runner.stop();
    }
  });

  it("a read model whose engine is down at start does not hold the others back: it reports the failure, retries, then catches up", async () => {
    const { dataDir, head } = await writtenLog();
    const { store, keyRing } = openLog(dataDir);
    // Stands in for Neo4j or Qdrant refusing connections for the first three attempts.
    let refusals = 3;
    const flakyGraph: ReadModelDefinition = {
      name: "graph",
      open: async (file) => {
        if (refusals > 0) {
          refusals -= 1;
          throw new Error("connect ECONNREFUSED 127.0.0.1:7687");
        }
        return openSqliteGraphStore(file);
      },
    };
    const failures: string[] = [];
    const runner = await startProjectionRunner({
      eventStore: store,
      keyRing,
      directory: join(dataDir, "readmodels"),
      definitions: [...definitions.filter((d) => d.name !== "graph"), flakyGraph],
      onError: (name, error) => failures.push(`${name}: ${String(error)}`),
    });
    try {
      expect(() => runner.store("graph")).toThrow(ReadModelUnavailable);
      expect(runner.store("lexical").checkpoint()).toBeGreaterThanOrEqual(0);
      const whileDown = (await runner.lag()).find((l) => l.name === "graph")!;
      expect(whileDown).toMatchObject({ checkpoint: 0, behind: head });
      expect(whileDown.lastError).toContain("ECONNREFUSED");
      // Waiting on a failing read model answers at once instead of sitting out the timeout.
      const started = Date.now();
      expect(await runner.waitFor(head, 10_000)).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000);
      // Backoff retries open it, and it folds the whole log.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !(await runner.waitFor(head, 500))) await new Promise((r) => setTimeout(r, 100));
      expect(await runner.waitFor(head, 1_000)).toBe(true);
      expect((await runner.lag()).every((l) => l.behind === 0 && l.lastError === undefined)).toBe(true);
      expect(failures.filter((f) => f.startsWith("graph: ")).length).toBe(3);
    } finally {
      await runner.stop();
    }
    expect(dump(currentFile(dataDir, "graph"))).toEqual(await referenceDump(openSqliteGraphStore, store, keyRing, head));
  }, 60_000);

  it("folding the same events twice changes nothing (idempotent handlers, checkpoint guard)", async () => {
    const { dataDir, head } = await writtenLog();
    const { store, keyRing } = openLog(dataDir);
    const events = await decodeForProjection(keyRing, await Effect.runPromise(store.readAll({ after: 0 })));
    for (const definition of definitions) {
      const dir = mkdtempSync(join(tmpdir(), "memledger-twice-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const model = await definition.open(join(dir, "m.db"));
      await model.apply(events.slice(0, 100));
      await model.apply(events.slice(50, 200));
      await model.apply(events);
      await model.apply(events);
      await model.close();
      expect(dump(join(dir, "m.db")), definition.name).toEqual(await referenceDump(definition.open, store, keyRing, head));
    }
  });
});
