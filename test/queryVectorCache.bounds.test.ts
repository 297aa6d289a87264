import { describe, expect, it } from "vitest";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { queryVectorCache } from "../src/embedding/queryVectorCache.js";

function countingEmbedder(): Embedder & { embedded: number } {
  const state = {
    embedded: 0,
    modelId: "counting",
    dimensions: 384,
    async embed(texts: readonly string[]) {
      state.embedded += texts.length;
      return texts.map(() => new Float32Array(384));
    },
    close: async () => undefined,
  };
  return state;
}

describe("query vector cache bounds", () => {
  it("hardening #11 (RSS after idle): long queries are kept within a byte budget, oldest dropped first, not up to the entry count", async () => {
    const inner = countingEmbedder();
    const queries = queryVectorCache(inner, 4_096, 1024 * 1024);
    const longQuery = (n: number) => `${n} ${"what did Alice say ".repeat(5_000)}`; // ~95 KB each
    for (let n = 0; n < 30; n++) await queries.embed([longQuery(n)]);
    expect(inner.embedded).toBe(30);
    await queries.embed([longQuery(29)]);
    expect(inner.embedded).toBe(30); // the newest is still remembered
    await queries.embed([longQuery(0)]);
    expect(inner.embedded).toBe(31); // the oldest was dropped for the budget
  });

  it("hardening #11 (RSS after idle): the default budget does not let 4,096 REST-sized queries (4,000 characters) all stay", async () => {
    const inner = countingEmbedder();
    const queries = queryVectorCache(inner);
    const query = (n: number) => `${String(n).padStart(4, "0")} ${"x".repeat(3_995)}`;
    for (let n = 0; n < 4_096; n++) await queries.embed([query(n)]);
    await queries.embed([query(0)]);
    expect(inner.embedded).toBe(4_097);
  });
});
