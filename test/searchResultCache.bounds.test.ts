import { describe, expect, it } from "vitest";
import type { SearchResponse } from "../src/search/searchRequest.js";
import { searchResultCache } from "../src/retrieval/searchResultCache.js";

/** A one-hit answer whose memory holds `textBytes` characters of text (memory texts have no length limit of their own). */
function answerWith(textBytes: number, n: number): SearchResponse {
  const at = "2026-12-01T00:00:00.000Z";
  return {
    mode: "bm25",
    results: [
      {
        memory: {
          memoryId: `m${n}`,
          cubeId: "c",
          status: "activated",
          revision: 1,
          version: 1,
          content: { text: `${n} ${"x".repeat(textBytes)}`, tags: [], sources: [], metadata: {} },
          attributes: { memoryType: "long_term", confidence: 1, visibility: "cube" },
          createdAt: at,
          createdBy: "user:a",
          updatedAt: at,
          updatedBy: "user:a",
          position: n,
        },
        version: 1,
        score: 1,
        why: { bm25: { rank: 1, score: 1 } },
      },
    ],
  };
}

describe("search result cache bounds", () => {
  it("hardening #11 (RSS after idle): holds at most its byte budget of answers, dropping the oldest first", () => {
    const cache = searchResultCache(1_000, 1024 * 1024);
    for (let n = 0; n < 40; n++) cache.put("s", `q${n}`, answerWith(100 * 1024, n));
    expect(cache.get("s", "q0")).toBeUndefined();
    expect(cache.get("s", "q39")?.results[0]?.memory.memoryId).toBe("m39");
    const kept = Array.from({ length: 40 }, (_, n) => cache.get("s", `q${n}`)).filter((answer) => answer !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(10);
  });

  it("hardening #11 (RSS after idle): by default 100 answers of 1 MB (large memories, topK 100 of smaller ones) are not all kept", () => {
    const cache = searchResultCache();
    for (let n = 0; n < 100; n++) cache.put("s", `q${n}`, answerWith(1024 * 1024, n));
    expect(cache.get("s", "q0")).toBeUndefined();
    expect(cache.get("s", "q99")?.results[0]?.memory.memoryId).toBe("m99");
  });

  it("hardening #11 (RSS after idle): an answer larger than the whole budget is not cached, and evicts nothing", () => {
    const cache = searchResultCache(1_000, 64 * 1024);
    cache.put("s", "small", answerWith(1_000, 1));
    cache.put("s", "huge", answerWith(128 * 1024, 2));
    expect(cache.get("s", "huge")).toBeUndefined();
    expect(cache.get("s", "small")?.results[0]?.memory.memoryId).toBe("m1");
  });
});
