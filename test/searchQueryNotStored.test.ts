import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash } from "../src/embedding/embeddingCache.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

// Real engine: all-MiniLM-L6-v2 on onnxruntime-node; the embedding cache is SQLite (embeddings.db).
describe("hardening #11: search queries are embedded without a disk write", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  beforeAll(async () => {
    t = await tempLedger({ embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    await t.ledger.memories.add("c", { mode: "sync", memories: [{ text: "Alice keeps bees in her garden" }] });
  }, 600_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it("hardening #11: a search's query text leaves no vector in embeddings.db, while memory contents do", async () => {
    const query = "who looks after the bees in zanzibar";
    const response = await t.ledger.search({ query, cubeIds: ["c"], mode: "vector" });
    expect(response.results[0]?.memory.content?.text).toBe("Alice keeps bees in her garden");
    const db = new Database(join(t.dataDir, "embeddings.db"), { readonly: true });
    try {
      const stored = (text: string) => db.prepare("SELECT count(*) AS n FROM embedding_cache WHERE content_hash = ?").get(contentHash(text)) as { n: number };
      expect(stored("Alice keeps bees in her garden").n).toBe(1);
      expect(stored(query).n).toBe(0);
    } finally {
      db.close();
    }
  });
});
