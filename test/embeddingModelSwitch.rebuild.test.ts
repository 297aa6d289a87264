import { Effect } from "effect";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyRing } from "../src/crypto/keyRing.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { startProjectionRunner } from "../src/readModels/projectionRunner.js";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import type { VectorReadModel } from "../src/readModels/vector/vectorReadModel.js";
import { tempLedger } from "./support/tempLedger.js";

/** An embedder that holds every call until `release` is called: the re-embedding is "still running" until then. */
function heldEmbedder(inner: Embedder): Embedder & { release: () => void; calls: () => number } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embed: async (texts, purpose) => {
      calls += 1;
      await released;
      return inner.embed(texts, purpose);
    },
    close: () => inner.close(),
    release,
    calls: () => calls,
  };
}

const currentFile = (dataDir: string) => readFileSync(join(dataDir, "readmodels", "vector.current"), "utf8").trim();

describe("switching the embedding model", () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("keeps serving the previous model's generation while a new one is re-embedded in the background, then switches to it", async () => {
    const t = await tempLedger({ worker: false });
    cleanups.push(() => rmSync(t.dataDir, { recursive: true, force: true }));
    await t.ledger.cubes.create({ cubeId: "a", name: "a", owner: { kind: "user", id: "ann" } });
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push((await t.ledger.memories.create({ cubeId: "a", text: `Unit ${i} is about Lisbon tram line ${i}`, userId: "ann" })).memoryId);
    await t.ledger.close();

    const store = openSqliteEventStore({ path: join(t.dataDir, "events.db") });
    const keyRing = new KeyRing(openSqliteKeyStore(join(t.dataDir, "keys", "keys.db")));
    cleanups.push(() => Effect.runPromise(store.close()));
    const head = await Effect.runPromise(store.headPosition());
    const cache = openEmbeddingCache(":memory:");
    cleanups.push(() => cache.close());
    const vectorOnly = (embedder: Embedder) => embeddedReadModels({ embedder, cache }).filter((d) => d.name === "vector");
    const directory = join(t.dataDir, "readmodels");

    const modelA = hashingEmbedder({ modelId: "test/model-a" });
    const first = await startProjectionRunner({ eventStore: store, keyRing, directory, definitions: vectorOnly(modelA) });
    expect(await first.waitFor(head, 30_000)).toBe(true);
    await first.stop();
    const firstGeneration = currentFile(t.dataDir);

    // Restart with another model whose embedding is held back.
    const modelB = heldEmbedder(hashingEmbedder({ modelId: "test/model-b" }));
    const second = await startProjectionRunner({ eventStore: store, keyRing, directory, definitions: vectorOnly(modelB) });
    cleanups.push(() => second.stop());

    // Meanwhile the previous generation answers, in its own model's space, and readers are not held up.
    const serving = second.store("vector") as VectorReadModel;
    expect(serving.modelId).toBe("test/model-a");
    expect(serving.size).toBe(12);
    const [query] = await modelA.embed(["Lisbon tram line 7"], "query");
    const hits = await serving.search(query!, 3);
    expect(hits).toHaveLength(3);
    expect(await second.waitFor(head, 5_000)).toBe(true);
    const during = (await second.lag()).find((l) => l.name === "vector")!;
    expect(during.rebuilding).toBe(true);
    expect(currentFile(t.dataDir)).toBe(firstGeneration);
    await expect.poll(() => modelB.calls(), { timeout: 10_000 }).toBeGreaterThan(0);

    // When the re-embedding has caught up, readers switch to the new generation and the old one's files go.
    modelB.release();
    await second.rebuild("vector");
    const switched = second.store("vector") as VectorReadModel;
    expect(switched.modelId).toBe("test/model-b");
    expect(switched.size).toBe(12);
    expect(currentFile(t.dataDir)).not.toBe(firstGeneration);
    expect(existsSync(join(directory, firstGeneration))).toBe(false);
    expect((await second.lag()).find((l) => l.name === "vector")!.rebuilding).toBe(false);
  }, 60_000);
});
