import Database from "better-sqlite3";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

/** Every file under the data directory, as raw bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

function filesContaining(dir: string, needle: Buffer): string[] {
  return filesUnder(dir)
    .filter((f) => f.bytes.includes(needle))
    .map((f) => f.path);
}

function keyMaterialOf(dataDir: string, subjectId: string): Buffer[] {
  const db = new Database(join(dataDir, "keys", "keys.db"), { readonly: true });
  try {
    return db.prepare<[string], { material: Buffer }>("SELECT material FROM data_keys WHERE subject_id = ?").all(subjectId).map((r) => r.material);
  } finally {
    db.close();
  }
}

describe("crypto-shredding: erasing a subject leaves nothing readable in the data directory", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("keeps content in the log only as ciphertext, and after erasure no file (log, read models, vector index, embedding cache) holds the plaintext or the keys", async () => {
    const { ledger, dataDir, dispose } = await tempLedger({ embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
    cleanup = dispose;
    const secret = (n: number) => `bob-secret-${n}-lives-at-12-rue-des-Lilas`;
    await ledger.cubes.create({ cubeId: "support", name: "CONTROL-cube-name-in-clear", owner: { kind: "project", id: "helpdesk" } });
    const bobUnits = [];
    for (let n = 0; n < 5; n += 1) {
      const unit = await ledger.memories.create({ cubeId: "support", text: secret(n), userId: "bob", key: `bob-title-${n}`, tags: [`bob-tag-${n}`], metadata: { phone: `+33-6-${n}0000000` } });
      await ledger.memories.edit(unit.memoryId, { content: { text: `${secret(n)}-edited` } });
      bobUnits.push(unit.memoryId);
    }
    const carol = await ledger.memories.create({ cubeId: "support", text: "carol-likes-chess", userId: "carol" });

    // The scanner does find what is stored in clear (control), so a miss below means absence.
    expect(filesContaining(dataDir, Buffer.from("CONTROL-cube-name-in-clear")).length).toBeGreaterThan(0);
    // The log never holds content in clear; the read models (derived, purged on erasure) do, for search.
    await ledger.readModels.catchUp();
    const outsideReadModels = (paths: string[]) => paths.filter((p) => !p.includes(`${sep}readmodels${sep}`));
    for (let n = 0; n < 5; n += 1) {
      const holders = filesContaining(dataDir, Buffer.from(`bob-secret-${n}`));
      expect(outsideReadModels(holders)).toEqual([]);
      expect(holders.length).toBeGreaterThan(0);
    }
    expect(outsideReadModels(filesContaining(dataDir, Buffer.from("bob-title-0")))).toEqual([]);
    expect(outsideReadModels(filesContaining(dataDir, Buffer.from("+33-6-00000000")))).toEqual([]);
    expect((await ledger.search({ query: "rue des Lilas", cubeIds: ["support"] })).results.length).toBeGreaterThan(0);
    expect((await ledger.memories.get(bobUnits[0]!)).content?.text).toBe(`${secret(0)}-edited`);

    const keys = keyMaterialOf(dataDir, "bob");
    expect(keys.length).toBe(5);
    for (const key of keys) expect(filesContaining(dataDir, key).length).toBeGreaterThan(0);

    const certificate = await ledger.subjects.erase("bob", { tenantId: "default", actor: "dpo:eve", reason: "GDPR art. 17 request #118" });
    expect([...certificate.erasedMemoryIds].sort()).toEqual([...bobUnits].sort());
    expect(certificate.destroyedKeyIds.length).toBe(5);
    expect(certificate.erasedBy).toBe("dpo:eve");

    for (const id of bobUnits) {
      const unit = await ledger.memories.get(id);
      expect(unit.status).toBe("erased");
      expect(unit.content).toBeNull();
      // Time travel cannot bring it back either.
      expect((await ledger.memories.get(id, { revision: 0 })).content).toBeNull();
      expect((await ledger.memories.history(id)).at(-1)).toMatchObject({ type: "MemoryErased", actor: "dpo:eve" });
    }
    expect((await ledger.memories.get(carol.memoryId)).content?.text).toBe("carol-likes-chess");
    expect((await ledger.subjects.certificates("bob")).length).toBe(1);
    // Search no longer finds the erased units, by any retriever.
    const after = await ledger.search({ query: "bob secret rue des Lilas", cubeIds: ["support"], filters: { statuses: "any" } });
    expect(after.results.map((r) => r.memory.memoryId)).toEqual([carol.memoryId]);

    await ledger.close();
    cleanup = async () => dispose().catch(() => undefined);
    for (const key of keys) {
      expect(filesContaining(dataDir, key)).toEqual([]);
      expect(filesContaining(dataDir, Buffer.from(key.toString("base64")))).toEqual([]);
      expect(filesContaining(dataDir, Buffer.from(key.toString("hex")))).toEqual([]);
    }
    for (let n = 0; n < 5; n += 1) {
      expect(filesContaining(dataDir, Buffer.from(`bob-secret-${n}`))).toEqual([]);
      expect(filesContaining(dataDir, Buffer.from(`bob-tag-${n}`))).toEqual([]);
      expect(filesContaining(dataDir, Buffer.from(`bob-title-${n}`))).toEqual([]);
    }
    expect(filesContaining(dataDir, Buffer.from("+33-6-00000000"))).toEqual([]);
    // Carol's key is untouched.
    expect(keyMaterialOf(dataDir, "carol").length).toBe(1);
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
