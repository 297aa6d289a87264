import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Embedder } from "./embedderPort.js";
import { cosineSimilarity } from "./vectorMath.js";

/**
 * What every Embedder adapter must do, run against a real model. Thresholds are
 * loose enough for any competent sentence-embedding model.
 */
export function embedderContract(adapterName: string, makeEmbedder: () => Promise<Embedder>): void {
  describe(`Embedder contract: ${adapterName}`, () => {
    let embedder: Embedder;
    // Opening may fetch or convert a model, or start a server, on a cold machine.
    beforeAll(async () => {
      embedder = await makeEmbedder();
    }, 600_000);
    afterAll(async () => {
      await embedder?.close();
    });

    const sentences = [
      "A man is playing a guitar.",
      "The new movie is awesome.",
      "Interest rates were raised by the central bank.",
      "Short.",
      "A considerably longer sentence that needs more tokens than the others, so that batches have to be padded to its length.",
    ];

    it("returns one Float32Array of `dimensions` finite values per text", async () => {
      const vectors = await embedder.embed(sentences);
      expect(embedder.dimensions).toBeGreaterThan(0);
      expect(vectors).toHaveLength(sentences.length);
      for (const vector of vectors) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector).toHaveLength(embedder.dimensions);
        expect(vector.every(Number.isFinite)).toBe(true);
      }
    });

    it("returns unit-length vectors", async () => {
      for (const vector of await embedder.embed(sentences)) expect(norm(vector)).toBeCloseTo(1, 4);
    });

    it("gives the same vector for a text whether it is embedded alone or in a batch", async () => {
      const batched = await embedder.embed(sentences);
      for (const [i, sentence] of sentences.entries()) {
        const [alone] = await embedder.embed([sentence]);
        expectSameVector(alone!, batched[i]!);
      }
    });

    it("keeps the input order", async () => {
      const forward = await embedder.embed(sentences);
      const reversed = await embedder.embed([...sentences].reverse());
      reversed.reverse().forEach((vector, i) => expectSameVector(vector, forward[i]!));
    });

    it("returns nothing for no texts", async () => {
      expect(await embedder.embed([])).toEqual([]);
    });

    it("embeds the empty string", async () => {
      const [vector] = await embedder.embed([""]);
      expect(vector).toHaveLength(embedder.dimensions);
      expect(norm(vector!)).toBeCloseTo(1, 4);
    });

    it("places a paraphrase closer than an unrelated sentence", async () => {
      const [anchor, paraphrase, unrelated] = await embedder.embed([
        "A man is playing a guitar.",
        "Someone is strumming a guitar.",
        "The stock market fell sharply today.",
      ]);
      expect(cosineSimilarity(anchor!, paraphrase!)).toBeGreaterThan(cosineSimilarity(anchor!, unrelated!) + 0.2);
    });

    it("embeds a text longer than the model's token limit without error", async () => {
      const longText = Array.from({ length: 400 }, (_, i) => `Sentence ${i} of a very long memory about gardening.`).join(" ");
      const [vector] = await embedder.embed([longText]);
      expect(vector).toHaveLength(embedder.dimensions);
      expect(norm(vector!)).toBeCloseTo(1, 4);
    });

    it("embeds non-Latin scripts, accents and emoji", async () => {
      const texts = ["我喜欢吃苹果。", "Ünïcödé café naïve résumé", "😀🎉 party time", "Привет, мир"];
      const vectors = await embedder.embed(texts);
      const [empty] = await embedder.embed([""]);
      for (const vector of vectors) {
        expect(vector.every(Number.isFinite)).toBe(true);
        expect(norm(vector)).toBeCloseTo(1, 4);
        expect(cosineSimilarity(vector, empty!)).toBeLessThan(0.999);
      }
    });
  });
}

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

function expectSameVector(actual: Float32Array, expected: Float32Array): void {
  expect(actual).toHaveLength(expected.length);
  const largestDifference = actual.reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i]!)), 0);
  expect(largestDifference).toBeLessThan(1e-5);
}
