import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger, ScopedLedger } from "../src/app/memLedger.js";
import { connectMemLedger } from "../src/client/httpClient.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { lineFrom } from "./support/childProcessOutput.js";
import { binaryNeedles, filesContaining, filesUnder, textNeedle, tracesOf, type Needle } from "./support/dataDirectoryScan.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");

function keyMaterialOf(dataDir: string, subjectId: string): Buffer[] {
  const db = new Database(join(dataDir, "keys", "keys.db"), { readonly: true });
  try {
    return db.prepare<[string], { material: Buffer }>("SELECT material FROM data_keys WHERE subject_id = ?").all(subjectId).map((r) => r.material);
  } finally {
    db.close();
  }
}

/** The stored embeddings of a memory's content versions, read from the live vector generation. */
function vectorsOf(dataDir: string, memoryIds: readonly string[]): Buffer[] {
  const readModels = join(dataDir, "readmodels");
  const file = join(readModels, readFileSync(join(readModels, "vector.current"), "utf8").trim());
  const db = new Database(file, { readonly: true });
  try {
    const select = db.prepare<[string], { embedding: Buffer }>("SELECT embedding FROM vector_items WHERE memory_id = ?");
    return memoryIds.flatMap((id) => select.all(id).map((r) => r.embedding));
  } finally {
    db.close();
  }
}

// One made-up name per unit, each with its own first letter, so the full-text index stores each name's term whole.
const firstNames = ["Quillon", "Xandrel", "Wulfrida", "Yzolde", "Zephram"];

const asyncText = "Bob asked Ulricka Thistlewood about bob-async-secret";

/** Bob's five units (edited once each, so two content versions), one more added async, and Carol's one, written through any MemLedger (library or HTTP). */
async function writeBobAndCarol(ledger: ScopedLedger): Promise<{ bobUnits: string[]; carolId: string }> {
  await ledger.cubes.create({ cubeId: "support", name: "CONTROL-cube-name-in-clear", owner: { kind: "project", id: "helpdesk" } });
  const bobUnits: string[] = [];
  for (const [n, first] of firstNames.entries()) {
    const text = `Bob met ${first} Farthingale${n} at the Ravelstone${n} Bakery. bob-secret-${n}-lives-at-12-rue-des-Lilas`;
    const unit = await ledger.memories.create({
      cubeId: "support",
      text,
      userId: "bob",
      key: `bob-title-${n}`,
      tags: [`bob-tag-${n}`],
      sources: [{ kind: "url", ref: `https://bob-diary-${n}.example/entry` }],
      metadata: { phone: `+33-6-${n}0000000` },
    });
    await ledger.memories.edit(unit.memoryId, { content: { text: `${text} bob-edited-${n}` } });
    bobUnits.push(unit.memoryId);
  }
  // One more through an async add: a job in jobs.db and the ingestion's embedding step.
  const added = await ledger.memories.add("support", { mode: "async", memories: [{ text: asyncText, userId: "bob", tags: ["bob-async-tag"] }] });
  if (added.mode !== "async") throw new Error("expected an async add");
  expect((await ledger.jobs.wait(added.job.jobId, 30_000)).job.status).toBe("done");
  bobUnits.push(...added.memoryIds);
  const carol = await ledger.memories.create({ cubeId: "support", text: "carol-likes-chess and Ottoline Brackenbury", userId: "carol", tags: ["carol-tag"] });
  return { bobUnits, carolId: carol.memoryId };
}

/** What Bob's erasure must remove from every file: texts, titles, tags, metadata, entity names (as labelled and as node ids), full-text terms. */
function bobPlaintextNeedles(): Needle[] {
  return firstNames.flatMap((first, n) =>
    [
      `bob-secret-${n}`,
      `bob-edited-${n}`,
      `bob-title-${n}`,
      `bob-tag-${n}`,
      `+33-6-${n}0000000`,
      `${first} Farthingale${n}`,
      `${first.toLowerCase()} farthingale${n}`,
      `Ravelstone${n} Bakery`,
      `bob-diary-${n}.example`,
      // A stem-proof prefix of the full-text index's term for the name.
      first.toLowerCase().slice(0, 5),
    ].map(textNeedle),
  ).concat(["bob-async-secret", "Ulricka Thistlewood", "ulricka thistlewood", "bob-async-tag", "ulric"].map(textNeedle));
}

/** Before erasure: the scanner sees Bob's names and tags in the graph files, his terms in the full-text files, his keys and vectors: a miss afterwards means absence. */
function expectBobVisible(dataDir: string, keys: readonly Buffer[], vectors: readonly Buffer[]): void {
  const holders = (needle: string | Buffer) => filesContaining(dataDir, typeof needle === "string" ? Buffer.from(needle) : needle).map((p) => p.slice(dataDir.length + 1));
  for (const [n, first] of firstNames.entries()) {
    expect(holders(`${first} Farthingale${n}`).filter((p) => p.startsWith(`readmodels${sep}graph-`))).not.toEqual([]);
    expect(holders(`bob-tag-${n}`).filter((p) => p.startsWith(`readmodels${sep}graph-`))).not.toEqual([]);
    expect(holders(first.toLowerCase().slice(0, 5)), first).toContainEqual(expect.stringMatching(/^readmodels.lexical-/));
    // The log holds content only as ciphertext.
    expect(holders(`bob-secret-${n}`).filter((p) => !p.startsWith(`readmodels${sep}`))).toEqual([]);
  }
  expect(holders("Ulricka Thistlewood").filter((p) => p.startsWith(`readmodels${sep}graph-`))).not.toEqual([]);
  expect(holders(`bob-diary-0.example`).filter((p) => p.startsWith(`readmodels${sep}graph-`))).not.toEqual([]);
  expect(holders("ulric")).toContainEqual(expect.stringMatching(/^readmodels.lexical-/));
  expect(keys.length).toBe(6);
  for (const key of keys) expect(holders(key)).toContain(join("keys", "keys.db"));
  expect(vectors.length).toBe(11);
  for (const vector of vectors) expect(new Set(vectorWindows(vector).flatMap(holders)).size).toBeGreaterThanOrEqual(2);
}

/**
 * 32-byte windows along a stored vector: each is unique, and a file that splits the vector
 * (SQLite moves the tail of a long record to an overflow page) still holds some whole.
 */
const vectorWindows = (vector: Buffer): Buffer[] => Array.from({ length: Math.floor(vector.length / 256) }, (_, i) => vector.subarray(i * 256, i * 256 + 32));

const erasedTraces = (dataDir: string, keys: readonly Buffer[], vectors: readonly Buffer[]): string[] =>
  tracesOf(dataDir, [
    ...bobPlaintextNeedles(),
    ...keys.flatMap((key, i) => binaryNeedles(`bob's key ${i}`, key)),
    ...vectors.flatMap((vector, i) => vectorWindows(vector).map((bytes, w) => ({ name: `embedding ${i} of bob's text (window ${w})`, bytes }))),
  ]);

/** What stays in clear after Bob's erasure, so the scan that finds nothing of Bob is shown to find things. */
function expectControlsVisible(dataDir: string): void {
  expect(filesContaining(dataDir, Buffer.from("CONTROL-cube-name-in-clear")).length).toBeGreaterThan(0);
  expect(filesContaining(dataDir, Buffer.from("Ottoline Brackenbury")).some((p) => p.includes(`${sep}graph-`))).toBe(true);
  expect(filesContaining(dataDir, Buffer.from("carol-tag")).some((p) => p.includes(`${sep}graph-`))).toBe(true);
}

describe("crypto-shredding: erasing a subject leaves nothing readable in the data directory", () => {
  let cleanup: (() => Promise<void>) | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    child?.kill("SIGKILL");
    child = undefined;
    await cleanup?.();
    cleanup = undefined;
  });

  it("hardening #1: right after the erase returns, while the ledger still runs, and again after a clean close, no file (log, keys, jobs, read models and their WAL, vector index, embedding cache) holds the plaintext, entity names, tags, vectors or keys", async () => {
    const { ledger, dataDir, dispose } = await tempLedger({ embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
    cleanup = dispose;
    const { bobUnits, carolId } = await writeBobAndCarol(ledger);
    await ledger.readModels.catchUp();
    expect((await ledger.search({ query: "rue des Lilas", cubeIds: ["support"] })).results.length).toBeGreaterThan(0);
    expect((await ledger.memories.get(bobUnits[0]!)).content?.text).toContain("bob-edited-0");
    const keys = keyMaterialOf(dataDir, "bob");
    const vectors = vectorsOf(dataDir, bobUnits);
    expectBobVisible(dataDir, keys, vectors);

    const certificate = await ledger.subjects.erase("bob", { tenantId: "default", actor: "dpo:eve", reason: "GDPR art. 17 request #118" });
    // Still running: nothing of Bob is left in any file, WAL files included.
    expect(erasedTraces(dataDir, keys, vectors)).toEqual([]);
    expectControlsVisible(dataDir);
    expect(filesUnder(dataDir).some((f) => /graph-\d+\.db-wal$/.test(f.path))).toBe(true);

    expect([...certificate.erasedMemoryIds].sort()).toEqual([...bobUnits].sort());
    expect(certificate.destroyedKeyIds.length).toBe(6);
    expect(certificate.erasedBy).toBe("dpo:eve");
    for (const id of bobUnits) {
      const unit = await ledger.memories.get(id);
      expect(unit.status).toBe("erased");
      expect(unit.content).toBeNull();
      // Time travel cannot bring it back either.
      expect((await ledger.memories.get(id, { revision: 0 })).content).toBeNull();
      expect((await ledger.memories.history(id)).at(-1)).toMatchObject({ type: "MemoryErased", actor: "dpo:eve" });
    }
    expect((await ledger.memories.get(carolId)).content?.text).toContain("carol-likes-chess");
    expect((await ledger.subjects.certificates("bob")).length).toBe(1);
    // Search no longer finds the erased units, by any retriever.
    const after = await ledger.search({ query: "bob secret rue des Lilas Farthingale", cubeIds: ["support"], filters: { statuses: "any" } });
    expect(after.results.map((r) => r.memory.memoryId)).toEqual([carolId]);

    await ledger.close();
    cleanup = async () => dispose().catch(() => undefined);
    expect(erasedTraces(dataDir, keys, vectors)).toEqual([]);
    expectControlsVisible(dataDir);
    // Carol's key is untouched.
    expect(keyMaterialOf(dataDir, "carol").length).toBe(1);
  });

  it("hardening #1: a server killed with SIGKILL right after POST /subjects/bob/erase answered leaves nothing of Bob in any file, nor after it is opened again", async () => {
    const modelDir = await ensureEmbeddingModel();
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-test-"));
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
    child = spawn(viteNode, [join("test", "support", "erasureServerProcess.ts"), dataDir, modelDir], { stdio: ["ignore", "pipe", "pipe"] });
    const url = (await lineFrom(child, "LISTENING ", 120_000)).slice("LISTENING ".length).trim();
    const server = await connectMemLedger(url, { apiKey: readFileSync(join(dataDir, "admin.key"), "utf8").trim() });
    const { bobUnits, carolId } = await writeBobAndCarol(server);
    expect(await server.readModels.catchUp(30_000)).toBe(true);
    const keys = keyMaterialOf(dataDir, "bob");
    const vectors = vectorsOf(dataDir, bobUnits);
    expectBobVisible(dataDir, keys, vectors);

    const certificate = await server.subjects.erase("bob");
    expect([...certificate.erasedMemoryIds].sort()).toEqual([...bobUnits].sort());
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    child = undefined;
    // What a crash leaves: the WAL files are still there, and hold nothing of Bob.
    expect(filesUnder(dataDir).some((f) => /graph-\d+\.db-wal$/.test(f.path))).toBe(true);
    expect(erasedTraces(dataDir, keys, vectors)).toEqual([]);
    expectControlsVisible(dataDir);

    const reopened = await tempLedger({ dataDir, embedder: { kind: "onnx", modelDir } });
    cleanup = reopened.dispose;
    expect(await reopened.ledger.readModels.catchUp()).toBe(true);
    expect((await reopened.ledger.memories.get(bobUnits[0]!)).status).toBe("erased");
    const found = await reopened.ledger.search({ query: "bob secret rue des Lilas Farthingale", cubeIds: ["support"], filters: { statuses: "any" } });
    expect(found.results.map((r) => r.memory.memoryId)).toEqual([carolId]);
    expect(erasedTraces(dataDir, keys, vectors)).toEqual([]);
    await reopened.ledger.close();
    cleanup = async () => reopened.dispose().catch(() => undefined);
    expect(erasedTraces(dataDir, keys, vectors)).toEqual([]);
    expectControlsVisible(dataDir);
  });

  it("erases a single unit by destroying only its key", async () => {
    const { ledger, dataDir, dispose } = await tempLedger();
    cleanup = dispose;
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "dan" } });
    const a = await ledger.memories.create({ cubeId: "c", text: "dan-a", userId: "dan" });
    const b = await ledger.memories.create({ cubeId: "c", text: "dan-b", userId: "dan" });
    const keysBefore = keyMaterialOf(dataDir, "dan");
    const erased = await ledger.memories.erase(a.memoryId, { tenantId: "default", actor: "user:dan", reason: "forget this one" });
    expect(erased).toMatchObject({ status: "erased", content: null });
    expect((await ledger.memories.get(b.memoryId)).content?.text).toBe("dan-b");
    const keysAfter = keyMaterialOf(dataDir, "dan");
    expect(keysAfter.length).toBe(1);
    const destroyed = keysBefore.find((k) => !keysAfter.some((other) => other.equals(k)))!;
    await ledger.close();
    cleanup = async () => dispose().catch(() => undefined);
    expect(filesContaining(dataDir, destroyed)).toEqual([]);
  });

  it("finishes an erasure that crashed after destroying the keys, when it is run again after a restart", async () => {
    const first = await tempLedger();
    await first.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "fay" } });
    const unit = await first.ledger.memories.create({ cubeId: "c", text: "fay-secret", userId: "fay" });
    await first.ledger.close();
    // The crash window: keys destroyed, erasure events not yet written.
    const keyStore = openSqliteKeyStore(join(first.dataDir, "keys", "keys.db"));
    await Effect.runPromise(keyStore.destroySubjectKeys("fay", "2026-03-01T09:00:00.000Z"));
    await Effect.runPromise(keyStore.close());

    const second = await tempLedger({ dataDir: first.dataDir });
    cleanup = second.dispose;
    const unreadable = await second.ledger.memories.get(unit.memoryId);
    expect(unreadable).toMatchObject({ status: "activated", content: null });
    // Nothing new may be written under a destroyed key.
    await expect(second.ledger.memories.edit(unit.memoryId, { content: { text: "new secret" } })).rejects.toMatchObject({ _tag: "TransitionRejected", command: "edit" });
    const certificate = await second.ledger.subjects.erase("fay");
    expect(certificate.erasedMemoryIds).toEqual([unit.memoryId]);
    expect(certificate.destroyedKeyIds).toEqual([]);
    expect((await second.ledger.memories.get(unit.memoryId)).status).toBe("erased");
  });
});
