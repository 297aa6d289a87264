import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reranker } from "./rerankerPort.js";

/**
 * What every Reranker adapter must do. `make` returns the adapter and a way to
 * make its backend fail (a server answering 500 from then on), so the contract
 * also checks that failure is an error, never a silent wrong order.
 */
export interface RerankerUnderTest {
  readonly reranker: Reranker;
  /** From now on the backend fails every call. */
  breakBackend(): void;
  close(): Promise<void>;
}

export function rerankerContract(adapterName: string, make: () => Promise<RerankerUnderTest>): void {
  describe(`Reranker contract: ${adapterName}`, () => {
    let under: RerankerUnderTest;
    beforeAll(async () => {
      under = await make();
    });
    afterAll(async () => {
      await under?.close();
    });

    const candidates = [
      { memoryId: "m-weather", text: "It rained all week in Lyon." },
      { memoryId: "m-dog", text: "Caroline adopted a dog named Oscar last spring." },
      { memoryId: "m-guitar", text: "Melanie plays the guitar at the community centre." },
      { memoryId: "m-empty", text: "" },
    ];

    it("has a name saying which reranker it is", () => {
      expect(under.reranker.name).toMatch(/\S/);
    });

    it("returns one finite score per candidate, in the candidates' order", async () => {
      const scores = await under.reranker.rerank("What is the name of Caroline's dog?", candidates);
      expect(scores).toHaveLength(candidates.length);
      for (const score of scores) expect(Number.isFinite(score)).toBe(true);
    });

    it("scores the candidate that answers the query above those that do not", async () => {
      const scores = await under.reranker.rerank("What is the name of Caroline's dog?", candidates);
      const dog = scores[1]!;
      for (const [i, score] of scores.entries()) if (i !== 1) expect(dog).toBeGreaterThan(score);
      // Order of the input must not decide: the same candidates reversed score the same way round.
      const reversed = await under.reranker.rerank("What is the name of Caroline's dog?", [...candidates].reverse());
      expect(reversed[2]).toBeGreaterThan(reversed[0]!);
      expect(reversed[2]).toBeGreaterThan(reversed[3]!);
    });

    it("answers no candidates with no scores", async () => {
      expect(await under.reranker.rerank("anything", [])).toEqual([]);
    });

    it("fails with an error naming what failed when its backend fails", async () => {
      under.breakBackend();
      await expect(under.reranker.rerank("What is the name of Caroline's dog?", candidates)).rejects.toThrow(/rerank/i);
    });
  });
}
