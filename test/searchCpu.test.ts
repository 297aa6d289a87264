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
    // Only the memory view's decoding counts: background work of the same process (a job polling its queue) parses JSON too.
    let memoryViewParses = 0;
    const parseJson = JSON.parse;
    const parse = vi.spyOn(JSON, "parse").mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
      if (new Error().stack?.includes("sqliteMemoryViewStore")) memoryViewParses += 1;
      return parseJson(text, reviver);
    });
    try {
      const answer = await t.ledger.search({ query: "garden river coffee", cubeIds: ["c"], topK, mode: "hybrid", minScore: -2 });
      expect(answer.results).toHaveLength(topK);
      // Each row holds four JSON columns (state, tags, sources, metadata); the candidates number 100 per retriever here.
      expect(memoryViewParses).toBeGreaterThanOrEqual(topK);
      expect(memoryViewParses).toBeLessThanOrEqual(4 * topK);
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

  it("issue 17 (speed): candidates are read without their content; the content is read for the fused shortlist only", async () => {
    const probe = new Database(":memory:");
    const statementPrototype = Object.getPrototypeOf(probe.prepare("SELECT 1")) as { all: (...params: unknown[]) => unknown[]; get: (...params: unknown[]) => unknown };
    probe.close();
    let candidateRows = 0;
    let rowsWithContent = 0;
    const { all, get } = statementPrototype;
    const fromMemoryView = (source: string) => source.includes("memory_intervals i");
    const spies = [
      vi.spyOn(statementPrototype, "all").mockImplementation(function (this: { source: string }, ...params: unknown[]) {
        const rows = all.apply(this, params);
        if (fromMemoryView(this.source)) {
          if (this.source.includes("c.text")) rowsWithContent += rows.length;
          else candidateRows += rows.length;
        }
        return rows;
      }),
      vi.spyOn(statementPrototype, "get").mockImplementation(function (this: { source: string }, ...params: unknown[]) {
        const row = get.apply(this, params);
        if (fromMemoryView(this.source) && this.source.includes("c.text") && row !== undefined) rowsWithContent += 1;
        return row;
      }),
    ];
    try {
      // A query no other test asks: a cached answer would read nothing.
      const answer = await t.ledger.search({ query: "train music paper window", cubeIds: ["c"], topK, mode: "hybrid", minScore: -2 });
      expect(answer.results).toHaveLength(topK);
      expect(answer.results.every((hit) => hit.memory.content?.text.startsWith("Note "))).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // The shortlist is 3 × topK (what MMR and a reranker read); every candidate beyond it stays four columns.
    expect(candidateRows).toBeGreaterThan(3 * topK);
    expect(rowsWithContent).toBeGreaterThan(0);
    expect(rowsWithContent).toBeLessThanOrEqual(3 * topK);
  });

  it("hardening #11 (serving under load): the rows a search returns are whole (content, tags, metadata, attributes)", async () => {
    const answer = await t.ledger.search({ query: "Bruno violin autumn", cubeIds: ["c"], topK, mode: "hybrid", minScore: -3 });
    for (const hit of answer.results) {
      const listed = await t.ledger.memories.get(hit.memory.memoryId);
      expect(hit.memory).toEqual(listed);
    }
  });
});
