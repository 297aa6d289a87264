import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpReranker } from "../src/reranking/httpReranker.js";
import { rerankerContract } from "../src/reranking/reranker.contract.js";
import { RerankerUnavailable } from "../src/reranking/rerankerErrors.js";
import { startRerankServer, type RerankServer } from "./support/rerankServer.js";

// Against a real local HTTP server speaking the Jina/Cohere/vLLM /rerank shape (test/support/rerankServer.ts).
rerankerContract("http /rerank (local test server)", async () => {
  const server = await startRerankServer();
  return {
    reranker: httpReranker({ url: server.url, model: "test-reranker", retry: { maxRetries: 0 } }),
    breakBackend: () => server.fail({ status: 500 }),
    close: () => server.close(),
  };
});

describe("httpReranker", () => {
  let server: RerankServer;
  beforeAll(async () => {
    server = await startRerankServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const candidates = [
    { memoryId: "a", text: "the cat sat on the mat" },
    { memoryId: "b", text: "dogs bark at night" },
  ];

  it("sends { model, query, documents, top_n } with the API key as a bearer token, and maps results back by index", async () => {
    const before = server.requests.length;
    const reranker = httpReranker({ url: server.url, model: "bge-reranker-v2-m3", apiKey: "secret-key" });
    const scores = await reranker.rerank("why do dogs bark", candidates);
    expect(server.requests[before]).toMatchObject({ model: "bge-reranker-v2-m3", query: "why do dogs bark", documents: candidates.map((c) => c.text), top_n: 2 });
    expect(server.authorizations[before]).toBe("Bearer secret-key");
    // The server answers best first: b's result comes first but is the second document.
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    expect(reranker.name).toBe("http:bge-reranker-v2-m3");
  });

  it("retries a 429 after the server's Retry-After, then succeeds", async () => {
    server.fail({ status: 429, retryAfterSeconds: 1, times: 1 });
    const before = server.requests.length;
    const startedAt = Date.now();
    const scores = await httpReranker({ url: server.url, model: "m" }).rerank("why do dogs bark", candidates);
    expect(server.requests.length - before).toBe(2);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(scores).toHaveLength(2);
  });

  it("retries 5xx a bounded number of times, then fails naming the endpoint, status and calls", async () => {
    server.fail({ status: 503, times: 3 });
    const before = server.requests.length;
    const error = await httpReranker({ url: server.url, model: "m", retry: { maxRetries: 2, baseDelayMs: 10 } })
      .rerank("q", candidates)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankerUnavailable);
    expect((error as RerankerUnavailable).details).toEqual({ status: 503, calls: 3 });
    expect((error as Error).message).toMatch(/reranker m at http:\/\/127\.0\.0\.1:\d+\/v1\/rerank failed after 3 call\(s\) \(HTTP 503/);
    expect(server.requests.length - before).toBe(3);
  });

  it("does not retry a 404 and says which setting to check", async () => {
    const error = await httpReranker({ url: server.url.replace("/v1/rerank", "/rerank"), model: "m", retry: { baseDelayMs: 10 } })
      .rerank("q", candidates)
      .catch((e: unknown) => e);
    expect((error as RerankerUnavailable).details).toEqual({ status: 404, calls: 1 });
    expect((error as Error).message).toMatch(/check MEMLEDGER_RERANKER_URL/);
  });

  it("gives up on a server slower than the timeout", async () => {
    server.fail({ delayMs: 1_000, times: 1 });
    const error = await httpReranker({ url: server.url, model: "m", timeoutMs: 100, retry: { maxRetries: 0 } })
      .rerank("q", candidates)
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no answer within 100 ms/);
  });

  it("refuses an answer that is not a rerank result instead of guessing an order", async () => {
    server.fail({ body: { results: [{ index: 7, relevance_score: 0.5 }] }, times: 1 }, { body: { data: [] }, times: 1 });
    const reranker = httpReranker({ url: server.url, model: "m", retry: { maxRetries: 0 } });
    await expect(reranker.rerank("q", candidates)).rejects.toThrow(/index 7 is not one of the 2 documents sent/);
    await expect(reranker.rerank("q", candidates)).rejects.toThrow(/no results list/);
  });

  it("reads TEI's bare [{ index, score }] answer, and ranks a document the server left out last", async () => {
    server.fail({ body: [{ index: 0, score: 0.9 }], times: 1 });
    expect(await httpReranker({ url: server.url, model: "m" }).rerank("q", candidates)).toEqual([0.9, -Infinity]);
  });
});
