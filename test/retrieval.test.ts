import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** Hybrid search end to end through the library and REST, with the real local embedding model. */
describe("retrieval: hybrid search over the read models", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let ledger: MemLedger;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};
  let beforeEdit = "";

  beforeAll(async () => {
    t = await tempLedger({ embedder: { kind: "onnx", modelDir: await ensureEmbeddingModel() } });
    ledger = t.ledger;
    await ledger.cubes.create({ cubeId: "alice", name: "alice", owner: { kind: "user", id: "alice" } });
    await ledger.cubes.create({ cubeId: "bob", name: "bob", owner: { kind: "user", id: "bob" } });
    const add = async (cubeId: string, name: string, item: { text: string; tags?: string[]; memoryType?: "preference" | "long_term"; metadata?: Record<string, string> }) => {
      const result = await ledger.memories.add(cubeId, { mode: "sync", memories: [item] });
      if (result.mode !== "sync") throw new Error("expected a sync add");
      ids[name] = result.memories[0]!.memoryId;
    };
    await add("alice", "peanuts", { text: "Alice is allergic to peanuts and carries an EpiPen", tags: ["health"] });
    await add("alice", "berlin", { text: "Alice moved to Berlin in 2023 with her partner Bob", tags: ["life"] });
    await add("alice", "coffee", { text: "Alice prefers oat milk in her coffee", memoryType: "preference", tags: ["food"], metadata: { source: "chat" } });
    await add("alice", "duck", { text: "Alice 喜欢在北京吃烤鸭", tags: ["food"] });
    await add("alice", "painting", { text: "Alice paints watercolour landscapes on Sundays", tags: ["hobby"] });
    await add("bob", "siemens", { text: "Bob works at Siemens as a software engineer", tags: ["work"] });
    t.clock.advance(60_000);
    beforeEdit = t.clock.now().toISOString();
    t.clock.advance(60_000);
    await ledger.memories.edit(ids.painting!, { content: { text: "Alice stopped painting and now plays the cello on Sundays" } });
    await ledger.memories.archive(ids.berlin!);
    // REST requests go as the admin of tenant default (the helper adds its key).
    ({ app } = await authenticatedServer(ledger, t.dataDir));
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const texts = (response: { results: readonly { memory: { content: { text: string } | null } }[] }) => response.results.map((r) => r.memory.content?.text);

  it("finds a memory by meaning, not only by shared words, and says why it matched", async () => {
    const response = await ledger.search({ query: "which nuts must she avoid eating", cubeIds: ["alice"], topK: 3 });
    expect(response.mode).toBe("hybrid");
    expect(response.results[0]!.memory.memoryId).toBe(ids.peanuts);
    const top = response.results[0]!;
    expect(top.why.vector?.rank).toBe(1);
    expect(top.why.vector!.similarity).toBeGreaterThan(0.3);
    expect(top.why.fused).toBeGreaterThan(0);
    expect(top.version).toBe(1);
  });

  it("ranks by BM25 alone and by vectors alone when asked", async () => {
    const bm25 = await ledger.search({ query: "oat milk", cubeIds: ["alice"], mode: "bm25", topK: 5 });
    expect(bm25.results.map((r) => r.memory.memoryId)).toEqual([ids.coffee]);
    expect(bm25.results[0]!.why.bm25!.score).toBeGreaterThan(0);
    expect(bm25.results[0]!.why.vector).toBeUndefined();
    const vector = await ledger.search({ query: "dairy alternatives for a hot drink", cubeIds: ["alice"], mode: "vector", topK: 1 });
    expect(vector.results[0]!.memory.memoryId).toBe(ids.coffee);
    expect(vector.results[0]!.score).toBeCloseTo(vector.results[0]!.why.vector!.similarity, 10);
  });

  it("finds Chinese text by word", async () => {
    const response = await ledger.search({ query: "烤鸭", cubeIds: ["alice"], mode: "bm25" });
    expect(response.results.map((r) => r.memory.memoryId)).toEqual([ids.duck]);
  });

  it("leaves archived units out unless asked, and applies tag, type and metadata filters", async () => {
    const query = { query: "where does Alice live, Berlin", cubeIds: ["alice"], topK: 10 };
    expect((await ledger.search(query)).results.map((r) => r.memory.memoryId)).not.toContain(ids.berlin);
    const withArchived = await ledger.search({ ...query, includeArchived: true });
    expect(withArchived.results[0]!.memory.memoryId).toBe(ids.berlin);
    expect(withArchived.results[0]!.memory.status).toBe("archived");
    const food = await ledger.search({ query: "Alice", cubeIds: ["alice"], filters: { tags: ["food"] } });
    expect(new Set(food.results.map((r) => r.memory.memoryId))).toEqual(new Set([ids.coffee, ids.duck]));
    const preferences = await ledger.search({ query: "Alice", cubeIds: ["alice"], filters: { memoryTypes: ["preference"] } });
    expect(preferences.results.map((r) => r.memory.memoryId)).toEqual([ids.coffee]);
    const fromChat = await ledger.search({ query: "Alice", cubeIds: ["alice"], filters: { metadata: { source: "chat" } } });
    expect(fromChat.results.map((r) => r.memory.memoryId)).toEqual([ids.coffee]);
  });

  it("searches several cubes and merges them, never returning a cube that was not asked for", async () => {
    const both = await ledger.search({ query: "engineer at Siemens; peanut allergy", cubeIds: ["alice", "bob"], topK: 10 });
    const cubes = new Set(both.results.map((r) => r.memory.cubeId));
    expect(cubes).toEqual(new Set(["alice", "bob"]));
    const onlyBob = await ledger.search({ query: "peanut allergy", cubeIds: ["bob"] });
    expect(onlyBob.results.every((r) => r.memory.cubeId === "bob")).toBe(true);
  });

  it("searches the memory as it was: before the edit, the old text at version 1; now, the new one at version 2", async () => {
    const now = await ledger.search({ query: "what does Alice do on Sundays", cubeIds: ["alice"], topK: 1 });
    expect(texts(now)).toEqual(["Alice stopped painting and now plays the cello on Sundays"]);
    expect(now.results[0]!.version).toBe(2);
    const then = await ledger.search({ query: "what does Alice do on Sundays", cubeIds: ["alice"], topK: 1, asOf: { time: beforeEdit } });
    expect(texts(then)).toEqual(["Alice paints watercolour landscapes on Sundays"]);
    expect(then.results[0]!.version).toBe(1);
    // Before the archive, Berlin was retrievable by default.
    const berlinThen = await ledger.search({ query: "Berlin", cubeIds: ["alice"], mode: "bm25", asOf: { time: beforeEdit } });
    expect(berlinThen.results.map((r) => r.memory.memoryId)).toEqual([ids.berlin]);
    // As of a log position: right after the first unit's last event, it is the only unit of the cube.
    const firstPosition = (await ledger.memories.history(ids.peanuts!)).at(-1)!.position;
    const early = await ledger.search({ query: "Alice", cubeIds: ["alice"], mode: "bm25", asOf: { position: firstPosition } });
    expect(early.results.map((r) => r.memory.memoryId)).toEqual([ids.peanuts]);
    expect(early.asOf).toEqual({ position: firstPosition });
  });

  it("sees its own writes: a unit added just before the search is found", async () => {
    const result = await ledger.memories.add("bob", { mode: "sync", memories: [{ text: "Bob adopted a grey cat named Pixel" }] });
    const response = await ledger.search({ query: "Bob's cat", cubeIds: ["bob"], topK: 1 });
    expect(response.results[0]!.memory.memoryId).toBe(result.mode === "sync" ? result.memories[0]!.memoryId : "");
    expect(response.behind).toBeUndefined();
  });

  it("drops results under the score threshold", async () => {
    const response = await ledger.search({ query: "peanuts", cubeIds: ["alice"], mode: "vector", minScore: 0.4 });
    expect(response.results.length).toBeGreaterThan(0);
    expect(response.results.every((r) => r.score >= 0.4)).toBe(true);
  });

  it("rejects bad requests with the field and what to send", async () => {
    expect(await failureOf(ledger.search({ query: "", cubeIds: ["alice"] }))).toMatchObject({ _tag: "InvalidSearch", field: "query" });
    expect(await failureOf(ledger.search({ query: "x", cubeIds: [] }))).toMatchObject({ _tag: "InvalidSearch", field: "cubeIds" });
    expect(await failureOf(ledger.search({ query: "x", cubeIds: ["alice"], topK: 1000 }))).toMatchObject({ _tag: "InvalidSearch", field: "topK" });
    expect(await failureOf(ledger.search({ query: "x", cubeIds: ["alice"], asOf: { time: "yesterday" } }))).toMatchObject({ _tag: "InvalidSearch", field: "asOf" });
  });

  it("serves POST /search and GET /read-models over REST", async () => {
    const response = await app.inject({ method: "POST", url: "/search", payload: { query: "peanut allergy", cubeIds: ["alice"], topK: 2 } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.results[0].memory.memoryId).toBe(ids.peanuts);
    expect(body.results[0].why.bm25.rank).toBe(1);
    const invalid = await app.inject({ method: "POST", url: "/search", payload: { query: "x", cubeIds: ["alice"], mode: "psychic" } });
    expect(invalid.statusCode).toBe(400);
    const lag = (await app.inject({ method: "GET", url: "/read-models" })).json();
    expect(lag.readModels.map((r: { name: string }) => r.name).sort()).toEqual(["compliance", "graph", "lexical", "memory_view", "vector"]);
    expect(lag.readModels.every((r: { behind: number }) => r.behind === 0)).toBe(true);
  });
});

describe("retrieval without an embedder", () => {
  it("answers with BM25 and graph, and says how to get vector search when it is asked for", async () => {
    const t = await tempLedger();
    try {
      await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      await t.ledger.memories.add("c", { mode: "sync", memories: [{ text: "The staging database lives in Frankfurt" }] });
      const response = await t.ledger.search({ query: "staging database", cubeIds: ["c"] });
      expect(response.mode).toBe("hybrid");
      expect(response.results).toHaveLength(1);
      const failure = await failureOf(t.ledger.search({ query: "x", cubeIds: ["c"], mode: "vector" }));
      expect(failure).toMatchObject({ _tag: "SearchModeUnavailable" });
      expect(failure.message).toMatch(/MEMLEDGER_EMBEDDER/);
    } finally {
      await t.dispose();
    }
  });
});
