import { describe, expect, it } from "vitest";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { EmbeddingFailed } from "../src/embedding/embeddingErrors.js";
import { microBatchingEmbedder } from "../src/embedding/microBatchingEmbedder.js";

/** A stand-in embedder that records each call; a text's vector is [its length, its first char code]. */
function recordingEmbedder(failOn?: string): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    modelId: "recording",
    dimensions: 2,
    calls,
    async embed(texts) {
      calls.push([...texts]);
      await new Promise((later) => setTimeout(later, 5));
      if (failOn !== undefined && texts.includes(failOn)) throw new EmbeddingFailed(`cannot embed ${failOn}`);
      return texts.map((text) => Float32Array.from([text.length, text.charCodeAt(0) || 0]));
    },
    close: async () => undefined,
  };
}

const expectVectorsOf = (texts: readonly string[], vectors: readonly Float32Array[]) =>
  expect(vectors.map((v) => [...v])).toEqual(texts.map((t) => [t.length, t.charCodeAt(0) || 0]));

describe("micro-batching embedder", () => {
  it("hardening #11: concurrent requests share one call to the embedder, each getting its own vectors in order", async () => {
    const inner = recordingEmbedder();
    const batcher = microBatchingEmbedder(inner, { windowMs: 5 });
    const requests = [["a", "bb"], ["ccc"], ["dddd", "a", "eeeee"]];
    const results = await Promise.all(requests.map((texts) => batcher.embed(texts)));
    expect(inner.calls).toHaveLength(1);
    expect(inner.calls[0]).toEqual(["a", "bb", "ccc", "dddd", "eeeee"]); // "a" asked twice, embedded once
    results.forEach((vectors, i) => expectVectorsOf(requests[i]!, vectors));
  });

  it("hardening #11: no call carries more than maxBatchTexts, and a short request is not queued behind a bulk one", async () => {
    const inner = recordingEmbedder();
    const batcher = microBatchingEmbedder(inner, { maxBatchTexts: 8, windowMs: 5 });
    const bulk = Array.from({ length: 40 }, (_, i) => `bulk ${i}`);
    const bulkDone = batcher.embed(bulk);
    const query = batcher.embed(["the query"]);
    await query;
    expect(inner.calls[0]).toContain("the query"); // in the first call, beside the bulk's first share
    expectVectorsOf(bulk, await bulkDone);
    expect(inner.calls.every((call) => call.length <= 8)).toBe(true);
    expect(inner.calls.flat()).toHaveLength(41);
  });

  it("hardening #11: a failing batch rejects only the requests in it; later requests are served", async () => {
    const inner = recordingEmbedder("poison");
    const batcher = microBatchingEmbedder(inner, { windowMs: 5 });
    const [bad, alsoInBatch] = await Promise.allSettled([batcher.embed(["poison"]), batcher.embed(["fine"])]);
    expect(bad.status).toBe("rejected");
    expect(alsoInBatch.status).toBe("rejected");
    expectVectorsOf(["later"], await batcher.embed(["later"]));
  });

  it("hardening #11: answers no texts without calling the embedder", async () => {
    const inner = recordingEmbedder();
    expect(await microBatchingEmbedder(inner).embed([])).toEqual([]);
    expect(inner.calls).toHaveLength(0);
  });
});
