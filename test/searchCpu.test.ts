import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tempLedger } from "./support/tempLedger.js";

// Real engines: the embedded default (SQLite log, memory view, full-text and graph read models); no embedder, so BM25 + graph.
const memories = 400;
const topK = 10;
const topics = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "bicycle", "violin"];
const memoryText = (i: number) => `Note ${i}: ${topics[i % 10]} and ${topics[(i * 3) % 10]} with ${topics[(i * 7) % 10]} on day ${i % 31}`;

describe("the per-search CPU a search does not need", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  beforeAll(async () => {
    t = await tempLedger({ eventStore: { kind: "sqlite", durability: "normal" } });
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
    for (let i = 0; i < memories; i += 200) {
      await t.ledger.memories.add("c", { mode: "sync", memories: Array.from({ length: 200 }, (_, j) => ({ text: memoryText(i + j), tags: [topics[(i + j) % 10]!], metadata: { n: i + j } })) });
    }
    await t.ledger.readModels.catchUp(60_000);
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.dispose();
  });

  it("hardening #11 (serving under load): a search decodes the JSON of the rows it returns, not of every candidate", async () => {
    // Warm-up, so nothing the first search sets up once is counted.
    await t.ledger.search({ query: "garden river coffee", cubeIds: ["c"], topK, minScore: -1 });
    const parse = vi.spyOn(JSON, "parse");
    try {
      const answer = await t.ledger.search({ query: "garden river coffee", cubeIds: ["c"], topK, minScore: -2 });
      expect(answer.results).toHaveLength(topK);
      // Each row holds four JSON columns (state, tags, sources, metadata); the candidates number 100 per retriever here.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(4 * topK);
    } finally {
      parse.mockRestore();
    }
  });

  it("hardening #11 (serving under load): the rows a search returns are whole (content, tags, metadata, attributes)", async () => {
    const answer = await t.ledger.search({ query: "violin autumn", cubeIds: ["c"], topK, minScore: -3 });
    for (const hit of answer.results) {
      const listed = await t.ledger.memories.get(hit.memory.memoryId);
      expect(hit.memory).toEqual(listed);
    }
  });
});
