import { describe, expect, it } from "vitest";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { queryVectorCache } from "../src/embedding/queryVectorCache.js";

function countingEmbedder(): Embedder & { embedded: string[]; failNext: boolean } {
  const state = {
    embedded: [] as string[],
    failNext: false,
    modelId: "counting",
    dimensions: 1,
    async embed(texts: readonly string[]) {
      await new Promise((later) => setTimeout(later, 2));
      if (state.failNext) {
        state.failNext = false;
        throw new Error("embedder down");
      }
      state.embedded.push(...texts);
      return texts.map((text) => Float32Array.of(text.length));
    },
    close: async () => undefined,
  };
  return state;
}

describe("hardening #11: search query vectors are cached in memory", () => {
  it("hardening #11: a repeated query, and concurrent identical queries, cost one inference", async () => {
    const inner = countingEmbedder();
    const queries = queryVectorCache(inner);
    await Promise.all([queries.embed(["where does alice live"]), queries.embed(["where does alice live"])]);
    await queries.embed(["where does alice live"]);
    expect(inner.embedded).toEqual(["where does alice live"]);
  });

  it("hardening #11: keeps only the most recently used queries", async () => {
    const inner = countingEmbedder();
    const queries = queryVectorCache(inner, 2);
    await queries.embed(["a"]);
    await queries.embed(["bb"]);
    await queries.embed(["a"]); // a is now the most recent
    await queries.embed(["ccc"]); // evicts bb
    await queries.embed(["a", "bb"]);
    expect(inner.embedded).toEqual(["a", "bb", "ccc", "bb"]);
  });

  it("hardening #11: does not remember a failure, and hands out copies", async () => {
    const inner = countingEmbedder();
    const queries = queryVectorCache(inner);
    inner.failNext = true;
    await expect(queries.embed(["q"])).rejects.toThrow("embedder down");
    const [first] = await queries.embed(["q"]);
    first![0] = 99;
    const [second] = await queries.embed(["q"]);
    expect(second![0]).toBe(1);
  });
});
