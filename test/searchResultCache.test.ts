import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SearchHit } from "../src/search/searchRequest.js";
import { tempLedger } from "./support/tempLedger.js";

// Real engines: the embedded default, BM25 + graph (no embedder).
describe("hardening #11: repeated searches are answered from a cache that never serves a stale answer", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  beforeAll(async () => {
    t = await tempLedger();
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    await t.ledger.memories.create({ cubeId: "c", text: "Alice drinks green tea", userId: "alice" });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const search = () => t.ledger.search({ query: "tea", cubeIds: ["c"], topK: 10 });

  it("hardening #11: a write between two identical searches shows in the second", async () => {
    expect((await search()).results).toHaveLength(1);
    expect((await search()).results).toHaveLength(1);
    const added = await t.ledger.memories.create({ cubeId: "c", text: "Bob brews black tea", userId: "bob" });
    expect((await search()).results.map((r) => r.memory.memoryId)).toContain(added.memoryId);
    await t.ledger.memories.archive(added.memoryId);
    expect((await search()).results.map((r) => r.memory.memoryId)).not.toContain(added.memoryId);
  });

  it("hardening #11: an erased memory is gone from the next identical search", async () => {
    const secret = await t.ledger.memories.create({ cubeId: "c", text: "Carol hides tea leaves", userId: "carol" });
    expect((await search()).results.map((r) => r.memory.memoryId)).toContain(secret.memoryId);
    await t.ledger.subjects.erase("carol");
    const after = await search();
    expect(after.results.map((r) => r.memory.memoryId)).not.toContain(secret.memoryId);
    expect(JSON.stringify(after)).not.toContain("Carol hides");
  });

  it("hardening #11: changing an answer does not change the next caller's", async () => {
    const first = await search();
    (first.results as SearchHit[]).splice(0);
    expect((await search()).results.length).toBeGreaterThan(0);
  });
});

describe("the search answer cache on erasure", () => {
  it("hardening #1: clear() drops every answer at once, so an erasure leaves no erased text in the cache until a later search", async () => {
    const { searchResultCache } = await import("../src/retrieval/searchResultCache.js");
    const cache = searchResultCache();
    const answer = { results: [{ memory: { content: { text: "Carol hides tea leaves" } } }] } as unknown as Parameters<typeof cache.put>[2];
    cache.put("state-1", "q", answer);
    expect(cache.get("state-1", "q")).toBeDefined();
    cache.clear();
    expect(cache.get("state-1", "q")).toBeUndefined();
  });
});
