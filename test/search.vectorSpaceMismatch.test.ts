import { describe, expect, it } from "vitest";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import type { VectorReadModel } from "../src/readModels/vector/vectorReadModel.js";
import { hybridSearch, type PlannedSearch, type SearchReadModels } from "../src/search/hybridSearch.js";
import { ReadModelEngineUnavailable } from "../src/search/searchErrors.js";

const plan: PlannedSearch = {
  query: "where did Caroline go hiking",
  cubeIds: ["a"],
  topK: 5,
  mode: "vector",
  filters: {},
  mmrLambda: 1,
  graphHops: 0,
  rerank: false,
  weights: { vector: 1, bm25: 1, graph: 0 },
  rrfK: 10,
};

/** Only what the check before any read touches: the vector read model's identity. */
const servingModel = (modelId: string) => ({ modelId, dimensions: 64 }) as VectorReadModel;
// The stores behind them are never reached when the check refuses; reaching them fails loudly.
const unreachable = new Proxy({}, { get: () => () => { throw new Error("read model reached"); } });
const models = (vectorModelId: string, queryEmbedder = hashingEmbedder({ modelId: "test/model-b" })): SearchReadModels =>
  ({ memoryView: unreachable, lexical: unreachable, vector: servingModel(vectorModelId), queryEmbedder }) as unknown as SearchReadModels;

describe("a query vector is only compared with vectors of its own model", () => {
  it("vector search while the previous model's generation still serves fails with a 503-mapped error that says why and what to do", async () => {
    const queryEmbedder = hashingEmbedder({ modelId: "test/model-b" });
    const failure = await hybridSearch(models("test/model-a", queryEmbedder), plan).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReadModelEngineUnavailable);
    expect((failure as ReadModelEngineUnavailable).message).toMatch(/holds vectors of test\/model-a while queries are embedded with test\/model-b: it is being re-embedded in the background; retry/);
    expect(queryEmbedder.calls).toHaveLength(0); // refused before any inference
  });

  it("hybrid search leaves the vector lane out and says so", async () => {
    const degraded: string[] = [];
    const search = hybridSearch({ ...models("test/model-a"), onDegraded: (readModel, error) => degraded.push(`${readModel}: ${(error as Error).message}`) }, { ...plan, mode: "hybrid" });
    await search.catch(() => undefined); // the stand-in stores cannot answer BM25; only the vector decision matters here
    expect(degraded).toEqual([expect.stringMatching(/^vector: the vector read model still holds vectors of test\/model-a/)]);
  });

  it("the same model passes the check and embeds the query", async () => {
    const queryEmbedder = hashingEmbedder({ modelId: "test/model-b" });
    await hybridSearch(models("test/model-b", queryEmbedder), plan).catch(() => undefined);
    expect(queryEmbedder.calls).toEqual([[plan.query]]);
  });
});
