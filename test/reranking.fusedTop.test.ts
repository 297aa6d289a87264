import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rerankFusedTop } from "../src/reranking/rerankFusedTop.js";
import type { Reranker } from "../src/reranking/rerankerPort.js";

const scoring = (scoreOf: (text: string) => number): Reranker => ({ name: "test", rerank: async (_q, candidates) => candidates.map((c) => scoreOf(c.text)) });

describe("rerankFusedTop", () => {
  it("reorders exactly the first N by score (ties in fused order) and leaves the rest below in fused order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), fc.func(fc.integer({ min: 0, max: 3 })), async (order, topN, scoreOf) => {
        const result = await rerankFusedTop(scoring(scoreOf), "q", order, (id) => id, topN);
        expect(result.outcome).toBe("reranked");
        if (result.outcome !== "reranked") return;
        const head = order.slice(0, topN);
        expect(result.order.slice(head.length)).toEqual(order.slice(topN));
        expect([...result.order.slice(0, head.length)].sort()).toEqual([...head].sort());
        for (let i = 1; i < head.length; i++) {
          const [a, b] = [result.order[i - 1]!, result.order[i]!];
          expect(scoreOf(a)).toBeGreaterThanOrEqual(scoreOf(b));
          if (scoreOf(a) === scoreOf(b)) expect(head.indexOf(a)).toBeLessThan(head.indexOf(b));
        }
        expect([...result.scores.keys()].sort()).toEqual([...head].sort());
        expect(result.cost).toMatchObject({ reranker: "test", candidates: head.length });
      }),
      { numRuns: 200 },
    );
  });

  it("leaves the whole order as it was when the reranker fails or answers the wrong number of scores", async () => {
    const order = ["a", "b", "c", "d"];
    const failing: Reranker = { name: "down", rerank: async () => Promise.reject(new Error("connection refused")) };
    const short: Reranker = { name: "short", rerank: async () => [1] };
    const notANumber: Reranker = { name: "nan", rerank: async (_q, c) => c.map(() => Number.NaN) };
    for (const reranker of [failing, short, notANumber]) {
      const result = await rerankFusedTop(reranker, "q", order, (id) => id, 3);
      expect(result.outcome).toBe("failed");
      expect(result.order).toEqual(order);
      expect(result.cost.candidates).toBe(3);
    }
    const result = await rerankFusedTop(short, "q", order, (id) => id, 3);
    expect(result.outcome === "failed" && String(result.error)).toMatch(/returned 1 scores for 3 candidates/);
  });

  it("sends the reranker the texts of the first N in fused order and measures its time", async () => {
    const seen: string[][] = [];
    let clock = 0;
    const slow: Reranker = {
      name: "slow",
      rerank: async (_q, candidates) => {
        seen.push(candidates.map((c) => c.text));
        clock += 42;
        return candidates.map(() => 0);
      },
    };
    const result = await rerankFusedTop(slow, "q", ["x", "y", "z"], (id) => `text of ${id}`, 2, () => clock);
    expect(seen).toEqual([["text of x", "text of y"]]);
    expect(result.cost.ms).toBe(42);
  });
});
