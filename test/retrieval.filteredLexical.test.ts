import { describe, expect, it } from "vitest";
import { tempLedger } from "./support/tempLedger.js";

/**
 * A selective filter whose units rank far down the full BM25 ranking: BM25 ranks only the
 * filter's matching set (from the memory view's tag table) and finds them all, in BM25 order.
 */
describe("retrieval: BM25 under a selective tag filter", () => {
  it("returns the tagged units that the unfiltered ranking buries, best first", async () => {
    const t = await tempLedger();
    try {
      await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      for (const batch of [0, 1]) {
        await t.ledger.memories.add("c", { mode: "sync", memories: Array.from({ length: 150 }, (_, i) => ({ text: `apple apple orchard note ${batch * 150 + i}` })) });
      }
      const tagged = await t.ledger.memories.add("c", {
        mode: "sync",
        memories: [
          { text: "an apple and a long list of other fruit like pears plums cherries and figs", tags: ["rare"] },
          { text: "apple pie", tags: ["rare"] },
          { text: "banana bread", tags: ["rare"] },
        ],
      });
      if (tagged.mode !== "sync") throw new Error("expected a sync add");
      const [long, pie] = tagged.memories.map((m) => m.memoryId);
      const response = await t.ledger.search({ query: "apple", cubeIds: ["c"], mode: "bm25", filters: { tags: ["rare"] } });
      expect(response.results.map((r) => r.memory.memoryId)).toEqual([pie, long]);
      const unfiltered = await t.ledger.search({ query: "apple", cubeIds: ["c"], mode: "bm25", topK: 100 });
      expect(unfiltered.results.map((r) => r.memory.memoryId)).not.toContain(pie);
    } finally {
      await t.dispose();
    }
  });
});
