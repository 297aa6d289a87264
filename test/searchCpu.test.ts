import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

// Real engines: the embedded default (SQLite log, memory view, full-text, graph and vector read models), the local ONNX model.
const memories = 400;
const topK = 10;
const topics = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "bicycle", "violin"];
const people = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Juno", "Kemal", "Lea", "Mateo", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tomas"];
// Each person is named in 20 memories (an entity the graph expands through, not a hub).
const memoryText = (i: number) => `Note ${i}: ${people[i % 20]} met ${people[(i * 7 + 3) % 20]} about ${topics[i % 10]} and ${topics[(i * 3) % 10]} with ${topics[(i * 7) % 10]} on day ${i % 31}`;

describe("the per-search CPU a search does not need", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  beforeAll(async () => {
    t = await tempLedger({ eventStore: { kind: "sqlite", durability: "normal" }, embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
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
    await t.ledger.search({ query: "garden river coffee", cubeIds: ["c"], topK, mode: "hybrid", minScore: -1 });
    const parse = vi.spyOn(JSON, "parse");
    try {
      const answer = await t.ledger.search({ query: "garden river coffee", cubeIds: ["c"], topK, mode: "hybrid", minScore: -2 });
      expect(answer.results).toHaveLength(topK);
      // Each row holds four JSON columns (state, tags, sources, metadata); the candidates number 100 per retriever here.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(4 * topK);
    } finally {
      parse.mockRestore();
    }
  });

  it("hardening #11 (serving under load): a search reads each unit's memory-view row once, however many retrievers find it", async () => {
    const probe = new Database(":memory:");
    const statementPrototype = Object.getPrototypeOf(probe.prepare("SELECT 1")) as { all: (...params: unknown[]) => unknown[] };
    probe.close();
    const memoryIdsRead: string[] = [];
    const all = statementPrototype.all;
    const spy = vi.spyOn(statementPrototype, "all").mockImplementation(function (this: { source: string }, ...params: unknown[]) {
      const rows = all.apply(this, params);
      if (this.source.includes("FROM memory_intervals i") || this.source.includes("CROSS JOIN memory_intervals i")) {
        for (const row of rows as { memory_id?: string }[]) if (row.memory_id !== undefined) memoryIdsRead.push(row.memory_id);
      }
      return rows;
    });
    try {
      // The graph expands from the BM25 seeds through the people they name, back to memories BM25 also found.
      const answer = await t.ledger.search({ query: "Alice garden river", cubeIds: ["c"], topK, mode: "hybrid", minScore: -4 });
      expect(answer.results.some((hit) => hit.why.graph !== undefined && hit.why.bm25 !== undefined)).toBe(true);
      expect(answer.results).toHaveLength(topK);
    } finally {
      spy.mockRestore();
    }
    expect(memoryIdsRead.length).toBeGreaterThan(topK);
    expect(memoryIdsRead.length).toBe(new Set(memoryIdsRead).size);
  });

  it("hardening #11 (serving under load): the rows a search returns are whole (content, tags, metadata, attributes)", async () => {
    const answer = await t.ledger.search({ query: "Bruno violin autumn", cubeIds: ["c"], topK, mode: "hybrid", minScore: -3 });
    for (const hit of answer.results) {
      const listed = await t.ledger.memories.get(hit.memory.memoryId);
      expect(hit.memory).toEqual(listed);
    }
  });
});
