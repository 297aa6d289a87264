import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { hashingEmbedder, vectorStoreContract } from "../src/readModels/vector.contract.js";
import { openSqliteVectorStore, type SqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";

vectorStoreContract("embedded SQLite + HNSW (file, WAL)", async ({ embedder, onErasedContent }) => {
  const dir = mkdtempSync(join(tmpdir(), "memledger-vector-"));
  const file = join(dir, "vector-1.db");
  let store: SqliteVectorStore = openSqliteVectorStore(file, embedder, { onErasedContent });
  return {
    store,
    reopen: async () => {
      store.close();
      store = openSqliteVectorStore(file, embedder, { onErasedContent });
      return store;
    },
    cleanup: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SQLite vector store", () => {
  it("asks for a rebuild when the embedding model changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-vector-"));
    const file = join(dir, "vector-1.db");
    try {
      const first = openSqliteVectorStore(file, hashingEmbedder());
      const log = projectionEventLog();
      const batch = [log.created("m1", contentOf("Caroline painted a sunset"))];
      await first.prepare?.(batch);
      first.apply(batch);
      expect(first.storedProjectionVersion!()).toBe(first.projectionVersion);
      first.close();

      const otherModel = openSqliteVectorStore(file, hashingEmbedder({ modelId: "test/another-model" }));
      expect(otherModel.storedProjectionVersion!()).toBe(-1);
      otherModel.close();
      const otherSize = openSqliteVectorStore(file, hashingEmbedder({ dimensions: 32 }));
      expect(otherSize.storedProjectionVersion!()).toBe(-1);
      otherSize.close();

      const sameModel = openSqliteVectorStore(file, hashingEmbedder());
      expect(sameModel.storedProjectionVersion!()).toBe(sameModel.projectionVersion);
      expect(sameModel.size).toBe(1);
      sameModel.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
