import { describe, expect, it } from "vitest";
import { tempLedger } from "./support/tempLedger.js";

/** Hybrid search with no embedding model: BM25 hits seed graph expansion, and the graph's finds reach the answer. */
describe("retrieval: BM25 + graph without an embedder", () => {
  it("finds a unit that shares no query word with the query through an entity of a BM25 hit", async () => {
    const t = await tempLedger();
    try {
      await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const added = await t.ledger.memories.add("c", {
        mode: "sync",
        memories: [
          { text: "Priya Raman joined Kestrel Robotics as a firmware lead" },
          { text: "Kestrel Robotics builds warehouse drones in Leeds" },
          { text: "The cafeteria serves soup on Fridays" },
        ],
      });
      if (added.mode !== "sync") throw new Error("expected a sync add");
      const [joined, drones] = added.memories.map((m) => m.memoryId);
      const response = await t.ledger.search({ query: "firmware lead", cubeIds: ["c"] });
      expect(response.mode).toBe("hybrid");
      const ids = response.results.map((r) => r.memory.memoryId);
      expect(ids[0]).toBe(joined);
      // "drones in Leeds" has neither query word: only the graph (via Kestrel Robotics, seeded by the BM25 hit) can bring it.
      const viaGraph = response.results.find((r) => r.memory.memoryId === drones);
      expect(viaGraph?.why.bm25).toBeUndefined();
      expect(viaGraph?.why.graph).toBeDefined();
      // Asking for BM25 alone leaves the graph out.
      const bm25Only = await t.ledger.search({ query: "firmware lead", cubeIds: ["c"], mode: "bm25" });
      expect(bm25Only.results.map((r) => r.memory.memoryId)).toEqual([joined]);
    } finally {
      await t.dispose();
    }
  });
});
