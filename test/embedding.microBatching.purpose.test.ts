import { describe, expect, it } from "vitest";
import type { Embedder, EmbeddingPurpose } from "../src/embedding/embedderPort.js";
import { microBatchingEmbedder } from "../src/embedding/microBatchingEmbedder.js";

/** Records each inner call's texts and purpose; a query's vector starts with 1, a passage's with 0. */
function recordingEmbedder(): Embedder & { calls: Array<{ texts: readonly string[]; purpose: EmbeddingPurpose | undefined }> } {
  const calls: Array<{ texts: readonly string[]; purpose: EmbeddingPurpose | undefined }> = [];
  return {
    modelId: "test/recording",
    dimensions: 2,
    calls,
    embed: async (texts, purpose) => {
      calls.push({ texts, purpose });
      await new Promise((resolve) => setTimeout(resolve, 1));
      return texts.map(() => Float32Array.from([purpose === "query" ? 1 : 0, 1]));
    },
    close: async () => undefined,
  };
}

describe("micro-batcher and the embedding purpose", () => {
  it("never mixes queries and passages in one inner call, and each request gets vectors of its own purpose", async () => {
    const inner = recordingEmbedder();
    const batcher = microBatchingEmbedder(inner, { maxBatchTexts: 64, windowMs: 5 });
    const [passages, query, passage] = await Promise.all([
      batcher.embed(["p1", "p2"]),
      batcher.embed(["where is p1?"], "query"),
      batcher.embed(["p3"], "passage"),
    ]);
    expect(passages.map((v) => v[0])).toEqual([0, 0]);
    expect(query.map((v) => v[0])).toEqual([1]);
    expect(passage.map((v) => v[0])).toEqual([0]);
    for (const call of inner.calls) expect(new Set(call.texts.map((t) => t.endsWith("?")))).toHaveProperty("size", 1);
    expect(inner.calls.find((c) => c.texts.includes("where is p1?"))!.purpose).toBe("query");
    await batcher.close();
  });

  it("a query waiting beside a bulk import runs in the next batch, not after the whole import", async () => {
    const inner = recordingEmbedder();
    const batcher = microBatchingEmbedder(inner, { maxBatchTexts: 4, windowMs: 5 });
    const bulk = batcher.embed(Array.from({ length: 40 }, (_, i) => `passage ${i}`));
    const query = batcher.embed(["what about passage 3?"], "query");
    await Promise.all([bulk, query]);
    const queryCall = inner.calls.findIndex((c) => c.purpose === "query");
    expect(queryCall).toBeLessThanOrEqual(1); // the first batch is all passages, the second is the query
    expect(inner.calls).toHaveLength(11);
    await batcher.close();
  });
});
