import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { cachedEmbedder, contentHash, openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openReadModelDb } from "../src/readModels/sqliteReadModelDb.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { filesContaining } from "./support/dataDirectoryScan.js";
import { tempLedger } from "./support/tempLedger.js";

/*
 * A kill -9 between an erasure's commit and the WAL purge that follows it leaves
 * the erased pages in the WAL, and after a restart nothing erases them again (the
 * checkpoint is past the erasure). These tests copy a database and its WAL while
 * the writer still holds them open: the files a SIGKILL would leave.
 */

const directories: string[] = [];
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), "memledger-crash-image-"));
  directories.push(dir);
  return dir;
}

/** Copies `file` and its WAL into a fresh directory, as a crash would leave them. */
function crashImageOf(file: string, name: string): string {
  const dir = tempDirectory();
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, name));
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, join(dir, `${name}-wal`));
  return join(dir, name);
}

it("hardening #1: a read model killed after committing an erasure but before purging its WAL purges the erased pages when it opens again", () => {
  const secret = Buffer.from("crash-window-secret-Quillon-Farthingale");
  const live = join(tempDirectory(), "graph-1.db");
  const db = openReadModelDb(live, "graph", 1);
  db.exec("CREATE TABLE nodes (label TEXT NOT NULL)");
  db.prepare("INSERT INTO nodes (label) VALUES (?)").run(secret.toString());
  // The erasure is committed; the process dies before purgeWriteAheadLog runs.
  db.prepare("DELETE FROM nodes").run();
  const image = crashImageOf(live, "graph-1.db");
  db.close();
  // Control: the crash image holds the erased label in its WAL.
  expect(filesContaining(join(image, ".."), secret)).toEqual([`${image}-wal`]);

  const reopened = openReadModelDb(image, "graph", 1);
  try {
    expect(filesContaining(join(image, ".."), secret)).toEqual([]);
    expect(reopened.prepare("SELECT count(*) AS n FROM nodes").get()).toEqual({ n: 0 });
  } finally {
    reopened.close();
  }
});

it("hardening #1: an embedding cache killed after deleting erased vectors but before purging its WAL purges them when it opens again", () => {
  const live = join(tempDirectory(), "embeddings.db");
  const cache = openEmbeddingCache(live);
  const vector = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + 0.5));
  const vectorBytes = Buffer.from(vector.buffer, 0, 64);
  cache.putMany("model", ["erased text"], [vector]);
  // The delete is committed by another connection (as deleteByHashes' transaction would be); the purge never runs.
  const writer = new Database(live);
  writer.pragma("secure_delete = ON");
  writer.prepare("DELETE FROM embedding_cache").run();
  const image = crashImageOf(live, "embeddings.db");
  writer.close();
  cache.close();
  expect(filesContaining(join(image, ".."), vectorBytes)).toEqual([`${image}-wal`]);

  const reopened = openEmbeddingCache(image);
  try {
    expect(filesContaining(join(image, ".."), vectorBytes)).toEqual([]);
    expect(reopened.getMany("model", ["erased text"])).toEqual([undefined]);
  } finally {
    reopened.close();
  }
});

const constantEmbedder: Embedder = {
  modelId: "constant",
  dimensions: 4,
  embed: async (texts) => texts.map(() => Float32Array.of(0.5, 0.5, 0.5, 0.5)),
  close: async () => undefined,
};

it("hardening #1: HNSW index files half-written by a process that was killed are removed when the vector read model opens again", () => {
  const file = join(tempDirectory(), "vector-1.db");
  openSqliteVectorStore(file, constantEmbedder).close();
  // A process that is gone: its pid is free (the crash left its temporary files behind).
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
  const leftovers = [`${file}.ann.tmp-${deadPid}`, `${file}.ann.meta.json.tmp-${deadPid}`];
  for (const leftover of leftovers) writeFileSync(leftover, "vectors of text erased since");
  // Another live process may be writing its own copy right now: its files stay.
  const inFlight = `${file}.ann.tmp-${process.ppid}`;
  writeFileSync(inFlight, "being written");

  const store = openSqliteVectorStore(file, constantEmbedder);
  try {
    const names = readdirSync(join(file, ".."));
    for (const leftover of leftovers) expect(names).not.toContain(basename(leftover));
    expect(names).toContain(basename(inFlight));
  } finally {
    store.close();
  }
});

it("hardening #1: an embedding that finishes after its text was erased is not put into the cache", async () => {
  const path = join(tempDirectory(), "embeddings.db");
  const cache = openEmbeddingCache(path);
  let finish: () => void = () => undefined;
  const slow: Embedder = {
    ...constantEmbedder,
    // An ingestion step's embedding still running while the subject is erased.
    embed: (texts) => new Promise((resolve) => (finish = () => resolve(texts.map(() => Float32Array.of(0.25, 0.5, 0.75, 1))))),
  };
  const embedding = cachedEmbedder(slow, cache).embed(["Quillon Farthingale's secret"]);
  // Meanwhile the vector read model folds the erasure and drops the text's cached vectors.
  cache.deleteByHashes([contentHash("Quillon Farthingale's secret")]);
  finish();
  await embedding;
  expect(cache.getMany("constant", ["Quillon Farthingale's secret"])).toEqual([undefined]);
  cache.close();
  expect(filesContaining(join(path, ".."), Buffer.from(Float32Array.of(0.25, 0.5, 0.75, 1).buffer))).toEqual([]);
});

it("hardening #1: a rebuild generation left behind by a killed process is deleted at the next start, so an erasure leaves no copy in it; a generation another connection has open stays", async () => {
  const first = await tempLedger();
  const readModels = join(first.dataDir, "readmodels");
  await first.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "bob" } });
  await first.ledger.memories.create({ cubeId: "c", text: "Bob told Quillon Farthingale a secret", userId: "bob", tags: ["bob-stray-tag"] });
  await first.ledger.readModels.catchUp();
  await first.ledger.close();
  // What a rebuild killed half-way leaves: the next generation's files, which the pointer never named.
  for (const name of ["lexical", "graph"]) copyFileSync(join(readModels, `${name}-1.db`), join(readModels, `${name}-2.db`));
  // A generation some other connection (another process's rebuild) is writing right now.
  const inUse = new Database(join(readModels, "memory_view-2.db"));
  inUse.pragma("journal_mode = WAL");
  inUse.exec("CREATE TABLE rebuilding (secret TEXT)");
  inUse.prepare("INSERT INTO rebuilding VALUES (?)").run("not-bob");

  const second = await tempLedger({ dataDir: first.dataDir });
  try {
    expect(readdirSync(readModels)).not.toContain("lexical-2.db");
    expect(readdirSync(readModels)).not.toContain("graph-2.db");
    expect(readdirSync(readModels)).toContain("memory_view-2.db");
    await second.ledger.subjects.erase("bob");
    expect(filesContaining(first.dataDir, Buffer.from("Quillon Farthingale"))).toEqual([]);
    expect(filesContaining(first.dataDir, Buffer.from("bob-stray-tag"))).toEqual([]);
  } finally {
    inUse.close();
    await second.dispose();
  }
});

it("hardening #1: a vector read model killed after committing an erasure but before rewriting its HNSW file scrubs the erased vectors from that file when it opens again", async () => {
  const file = join(tempDirectory(), "vector-1.db");
  const secretVector = Float32Array.of(0.5, -0.5, 0.5, -0.5);
  const embedder: Embedder = { ...constantEmbedder, embed: async (texts) => texts.map((t) => (t === "secret" ? secretVector.slice() : Float32Array.of(0.5, 0.5, 0.5, 0.5))) };
  const secretBytes = Buffer.from(secretVector.buffer);
  const log = projectionEventLog();
  const apply = async (batch: ProjectionEvent[]) => {
    const store = openSqliteVectorStore(file, embedder);
    await store.prepare?.(batch);
    store.apply(batch);
    store.close();
  };
  await apply([log.created("m1", contentOf("secret")), log.created("m2", contentOf("other"))]);
  const beforeErasure = [`${file}.ann`, `${file}.ann.meta.json`].map((f) => ({ f, bytes: readFileSync(f) }));
  expect(readFileSync(`${file}.ann`).includes(secretBytes)).toBe(true);
  await apply([log.erased("m1")]);
  // The crash image: the erasure is committed in the database, the index file is still the one from before.
  for (const { f, bytes } of beforeErasure) writeFileSync(f, bytes);
  expect(readFileSync(`${file}.ann`).includes(secretBytes)).toBe(true);

  const reopened = openSqliteVectorStore(file, embedder);
  try {
    expect(filesContaining(join(file, ".."), secretBytes)).toEqual([]);
    expect((await reopened.search(secretVector, 10)).map((hit) => hit.label)).toEqual([2]);
  } finally {
    reopened.close();
  }
});
