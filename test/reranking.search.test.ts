import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { LedgerMetrics } from "../src/metrics/ledgerMetrics.js";
import { buildServer } from "../src/server/buildServer.js";
import { startChatCompletionsServer, lastUserText, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { startRerankServer, type RerankServer } from "./support/rerankServer.js";
import { tempLedger } from "./support/tempLedger.js";

const ctx = { tenantId: "acme", actor: "user:ops" };
const texts = [
  "Caroline adopted a dog; the dog is called Oscar",
  "the dog park near Caroline's flat opened in May",
  "Caroline walks the dog every morning",
  "Melanie asked Caroline about the dog's vet",
  "a dog barked at Melanie's cat",
  "Caroline's neighbour dislikes the dog",
];

async function seed(ledger: MemLedger): Promise<void> {
  await ledger.cubes.create({ cubeId: "home", name: "home", owner: { kind: "user", id: "caroline" } }, ctx);
  for (const text of texts) await ledger.memories.create({ cubeId: "home", text }, ctx);
  await ledger.readModels.catchUp();
}

const ids = (response: { results: readonly { memory: { memoryId: string } }[] }) => response.results.map((r) => r.memory.memoryId);

describe("search with an HTTP reranker (a real local /rerank server)", () => {
  let server: RerankServer;
  let t: Awaited<ReturnType<typeof tempLedger>>;
  const metrics = new LedgerMetrics({ processMetrics: false });
  const topN = 3;
  const rerankCount = async () => (await metrics.registry.getSingleMetric("memledger_reranker_duration_seconds")!.get()).values.find((v) => (v as { metricName?: string }).metricName === "memledger_reranker_duration_seconds_count")?.value ?? 0;

  beforeAll(async () => {
    server = await startRerankServer();
    t = await tempLedger({ defaultContext: ctx, rerankerConfig: { kind: "http", url: server.url, model: "test-reranker", topN }, telemetry: { metrics } });
    await seed(t.ledger);
  });
  afterAll(async () => {
    await t?.dispose();
    await server?.close();
  });

  it("reorders only the fused top N by the reranker's scores; the rest keep their fused order below, and the cost is reported", async () => {
    const fused = await t.ledger.search({ query: "Caroline dog", cubeIds: ["home"], rerank: false });
    expect(fused.results.length).toBe(texts.length);
    expect(fused.rerank).toBeUndefined();
    expect(server.requests).toHaveLength(0);
    const fusedIds = ids(fused);

    // The reranker thinks the fused order of the top 3 is exactly backwards.
    server.fail({ body: { results: [{ index: 0, relevance_score: 0.1 }, { index: 1, relevance_score: 0.5 }, { index: 2, relevance_score: 0.9 }] }, times: 1 });
    const before = await rerankCount();
    const reranked = await t.ledger.search({ query: "Caroline dog", cubeIds: ["home"] });
    expect(ids(reranked)).toEqual([fusedIds[2], fusedIds[1], fusedIds[0], ...fusedIds.slice(3)]);
    expect(reranked.results.map((r) => r.why.rerank)).toEqual([0.9, 0.5, 0.1, undefined, undefined, undefined]);
    expect(server.requests.at(-1)!.documents).toEqual(fused.results.slice(0, topN).map((r) => r.memory.content!.text));
    expect(reranked.rerank).toMatchObject({ reranker: "http:test-reranker", candidates: topN });
    expect(reranked.rerank!.ms).toBeGreaterThanOrEqual(0);
    expect(reranked.degraded).toBeUndefined();
    expect(await rerankCount()).toBe(before + 1);
  });

  it("keeps the fused order and lists the reranker under degraded when it fails, instead of failing the search", async () => {
    server.fail({ status: 500, times: 3 });
    const fusedIds = ids(await t.ledger.search({ query: "dog Melanie", cubeIds: ["home"], rerank: false }));
    const before = await rerankCount();
    const answer = await t.ledger.search({ query: "dog Melanie", cubeIds: ["home"] });
    expect(ids(answer)).toEqual(fusedIds);
    expect(answer.results.every((r) => r.why.rerank === undefined)).toBe(true);
    expect(answer.degraded).toEqual([{ readModel: "reranker", error: expect.stringMatching(/reranker test-reranker at .* failed after 3 call\(s\) \(HTTP 500/) }]);
    expect(answer.rerank).toMatchObject({ candidates: topN });
    expect(await rerankCount()).toBe(before + 1);
    // A degraded answer is not cached: once the reranker is back, the same search is reranked.
    const again = await t.ledger.search({ query: "dog Melanie", cubeIds: ["home"] });
    expect(again.degraded).toBeUndefined();
    expect(again.results[0]!.why.rerank).toBeTypeOf("number");
  });

  it("over REST: POST /search returns the rerank cost and the scores, and rerank: false switches it off", async () => {
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    const app: FastifyInstance = await buildServer(t.ledger, { rateLimit: false });
    try {
      const token = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
      const post = (body: Record<string, unknown>) => app.inject({ method: "POST", url: "/search", headers: { authorization: `Bearer ${token}` }, payload: body });
      const on = await post({ query: "walks every morning", cubeIds: ["home"] });
      expect(on.statusCode).toBe(200);
      expect(on.json().rerank).toMatchObject({ reranker: "http:test-reranker", candidates: expect.any(Number), ms: expect.any(Number) });
      expect(on.json().results[0].why.rerank).toBeTypeOf("number");
      const calls = server.requests.length;
      const off = await post({ query: "walks every morning", cubeIds: ["home"], rerank: false });
      expect(off.json().rerank).toBeUndefined();
      expect(server.requests.length).toBe(calls);
    } finally {
      await app.close();
    }
  });
});

describe("search with the LLM reranker (the ledger's chat model, a real local chat-completions server)", () => {
  let chat: ChatCompletionsServer;
  let t: Awaited<ReturnType<typeof tempLedger>>;

  beforeAll(async () => {
    chat = await startChatCompletionsServer({
      rules: [
        {
          schemaName: "rerank_scores",
          // The model finds only the passage naming the dog relevant.
          text: (request) => JSON.stringify({ scores: [...lastUserText(request).matchAll(/^\[(\d+)\] (.*)$/gm)].map((p) => ({ index: Number(p[1]), relevance: p[2]!.includes("Oscar") ? 10 : 1 })) }),
        },
      ],
    });
    t = await tempLedger({ defaultContext: ctx, chatModel: { kind: "openai", baseURL: chat.url, model: "scripted-judge" }, rerankerConfig: { kind: "llm", topN: 6 } });
    await seed(t.ledger);
  });
  afterAll(async () => {
    await t?.dispose();
    await chat?.close();
  });

  it("puts the passage the model judges relevant first, with the model's score", async () => {
    const answer = await t.ledger.search({ query: "what did Caroline call her dog", cubeIds: ["home"] });
    expect(answer.results[0]!.memory.content!.text).toContain("Oscar");
    expect(answer.results[0]!.why.rerank).toBe(10);
    expect(answer.rerank).toMatchObject({ reranker: "llm:scripted-judge", candidates: 6 });
    expect(chat.requests.some((r) => r.response_format?.json_schema?.name === "rerank_scores")).toBe(true);
  });
});
