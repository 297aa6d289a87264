import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { cachedEmbedder, contentHash, openEmbeddingCache, type EmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";

// Real engines: SQLite via better-sqlite3 (file, WAL) and all-MiniLM-L6-v2 via onnxruntime-node.

/** Wraps an embedder and records every text it was actually asked to embed. */
function countingEmbedder(inner: Embedder): Embedder & { readonly embedded: string[] } {
  const embedded: string[] = [];
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embedded,
    embed: async (texts) => {
      embedded.push(...texts);
      return inner.embed(texts);
    },
    close: async () => {},
  };
}

describe("contentHash", () => {
  it("is the lowercase hex sha256 of the UTF-8 text", () => {
    expect(contentHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(contentHash("é")).not.toBe(contentHash("e\u0301")); // exact text, no normalisation
  });
});

describe("embedding cache (SQLite file) in front of all-MiniLM-L6-v2", () => {
  let model: Embedder;
  let dir: string;
  let cachePath: string;
  let cache: EmbeddingCache;
  let counting: ReturnType<typeof countingEmbedder>;
  let embedder: Embedder;

  beforeAll(async () => {
    model = await openOnnxEmbedder({ modelDir: await ensureEmbeddingModel() });
  }, 600_000);
  afterAll(async () => {
    await model?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "memledger-embedding-cache-"));
    cachePath = join(dir, "embeddings.db");
    cache = openEmbeddingCache(cachePath);
    counting = countingEmbedder(model);
    embedder = cachedEmbedder(counting, cache);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const texts = ["Remember to buy milk.", "The meeting moved to Thursday.", "Alice prefers tea over coffee."];

  it("embeds misses once and answers repeats from the cache with identical vectors", async () => {
    const first = await embedder.embed(texts);
    const second = await embedder.embed(texts);
    expect(counting.embedded).toEqual(texts);
    second.forEach((vector, i) => expect(Array.from(vector)).toEqual(Array.from(first[i]!)));
  });

  it("embeds only the texts it has not seen, each distinct text once", async () => {
    await embedder.embed(texts.slice(0, 2));
    const vectors = await embedder.embed([texts[2]!, texts[0]!, texts[2]!, ""]);
    expect(counting.embedded).toEqual([texts[0], texts[1], texts[2], ""]);
    expect(vectors).toHaveLength(4);
    expect(Array.from(vectors[0]!)).toEqual(Array.from(vectors[2]!));
    expect(vectors[0]).not.toBe(vectors[2]); // each position owns its array
  });

  it("keeps vectors of different models apart", async () => {
    await embedder.embed(texts);
    expect(cache.getMany("some-other-model", texts)).toEqual([undefined, undefined, undefined]);
    expect(cache.getMany(model.modelId, texts).every((vector) => vector?.length === 384)).toBe(true);
  });

  it("survives closing and reopening the file", async () => {
    const before = await embedder.embed(texts);
    cache.close();
    cache = openEmbeddingCache(cachePath);
    const reopened = cachedEmbedder(counting, cache);
    const after = await reopened.embed(texts);
    expect(counting.embedded).toEqual(texts);
    after.forEach((vector, i) => expect(Array.from(vector)).toEqual(Array.from(before[i]!)));
  });

  it("forgets erased content for every model, so it is embedded afresh next time", async () => {
    await embedder.embed(texts);
    cache.putMany("some-other-model", [texts[1]!], [new Float32Array([0.6, 0.8])]);

    expect(cache.deleteByHashes([contentHash(texts[1]!), contentHash("never cached")])).toBe(2);

    expect(cache.getMany("some-other-model", [texts[1]!])).toEqual([undefined]);
    expect(cache.getMany(model.modelId, texts).map((vector) => vector !== undefined)).toEqual([true, false, true]);
    await embedder.embed(texts);
    expect(counting.embedded).toEqual([...texts, texts[1]]);
  });

  it("leaves no fragment of an erased vector in the database or its WAL", async () => {
    const secret = "Bob's home address is 12 Elm Street.";
    const [vector] = await embedder.embed([secret, ...texts]);
    const vectorBytes = Buffer.from(vector!.buffer, vector!.byteOffset, vector!.byteLength);
    // Rows this size spill onto overflow pages, so look for every 32-byte piece, not the whole blob.
    const fragmentsIn = (file: string): number => {
      if (!existsSync(file)) return 0;
      const bytes = readFileSync(file);
      let found = 0;
      for (let offset = 0; offset + 32 <= vectorBytes.length; offset += 32) if (bytes.includes(vectorBytes.subarray(offset, offset + 32))) found++;
      return found;
    };
    expect(fragmentsIn(cachePath) + fragmentsIn(`${cachePath}-wal`)).toBeGreaterThan(0); // the probe can see it before erasure

    cache.deleteByHashes([contentHash(secret)]);

    // Checked while the cache is still open: closing would checkpoint anyway and hide a missing one.
    expect(fragmentsIn(cachePath)).toBe(0);
    expect(fragmentsIn(`${cachePath}-wal`)).toBe(0);
  });

  it("treats a cached vector of the wrong width as a miss and replaces it", async () => {
    cache.putMany(model.modelId, [texts[0]!], [new Float32Array([1, 0])]);
    const [vector] = await embedder.embed([texts[0]!]);
    expect(vector).toHaveLength(384);
    expect(counting.embedded).toEqual([texts[0]]);
    expect(cache.getMany(model.modelId, [texts[0]!])[0]).toHaveLength(384);
  });
});
