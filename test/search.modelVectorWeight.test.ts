import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SearchHit } from "../src/search/searchRequest.js";
import { ensureEmbeddingModel } from "./support/embeddingModel.js";
import { tempLedger } from "./support/tempLedger.js";

/*
 * The best vector weight is a property of the model (docs/benchmarks.md, "everything
 * together"): a model's memledger-model.json may name it (searchVectorWeight), and hybrid
 * search uses it when a request sets no weights. Checked through the fused score, which is
 * Σ weight / (rrfK + rank) over the lists that found a hit (rrfK 10).
 */
const rrfK = 10;
const bm25Weight = 1;
const graphWeight = 0.1;

/** The vector list's weight that explains a hit's fused score, from its ranks. */
function vectorWeightOf(hit: SearchHit): number {
  const { vector, bm25, graph, fused } = hit.why;
  if (vector === undefined || fused === undefined) throw new Error(`hit ${hit.memory.memoryId} has no vector rank or fused score`);
  const others = (bm25 ? bm25Weight / (rrfK + bm25.rank) : 0) + (graph ? graphWeight / (rrfK + graph.rank) : 0);
  return (fused - others) * (rrfK + vector.rank);
}

describe("a model's own vector weight in hybrid search", () => {
  let miniLm: string;
  const dirs: string[] = [];
  beforeAll(async () => {
    miniLm = await ensureEmbeddingModel();
  }, 15 * 60_000);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** MiniLM's files under another directory, with a manifest naming `searchVectorWeight` (or not). */
  function modelWith(searchVectorWeight: number | undefined): string {
    const dir = mkdtempSync(join(tmpdir(), "memledger-weighted-model-"));
    dirs.push(dir);
    for (const file of ["model.onnx", "tokenizer.json"]) symlinkSync(join(miniLm, file), join(dir, file));
    const manifest = { ...JSON.parse(readFileSync(join(miniLm, "memledger-model.json"), "utf8")), ...(searchVectorWeight === undefined ? {} : { searchVectorWeight }) };
    writeFileSync(join(dir, "memledger-model.json"), JSON.stringify(manifest));
    return dir;
  }

  async function hitsWith(modelDir: string, weights?: { vector: number }): Promise<readonly SearchHit[]> {
    const t = await tempLedger({ embedder: { kind: "onnx", modelDir } });
    try {
      await t.ledger.cubes.create({ cubeId: "trips", name: "trips", owner: { kind: "user", id: "ann" } });
      for (const text of ["Ann took the night train to Lisbon in May", "The tram to Belem was crowded", "Ann's sister moved to Porto last year", "Lunch was grilled sardines by the river"]) {
        await t.ledger.memories.create({ cubeId: "trips", text, userId: "ann" });
      }
      const response = await t.ledger.search({ query: "a rail journey to Portugal's capital", cubeIds: ["trips"], mode: "hybrid", ...(weights ? { weights } : {}) });
      return response.results.filter((hit) => hit.why.vector !== undefined);
    } finally {
      await t.dispose();
    }
  }

  it("uses the manifest's searchVectorWeight when the request sets none, 0.5 when the manifest names none, and the request's when it sets one", async () => {
    const weighted = await hitsWith(modelWith(0.75));
    expect(weighted.length).toBeGreaterThan(0);
    for (const hit of weighted) expect(vectorWeightOf(hit)).toBeCloseTo(0.75, 9);

    const plain = await hitsWith(modelWith(undefined));
    for (const hit of plain) expect(vectorWeightOf(hit)).toBeCloseTo(0.5, 9);

    const overridden = await hitsWith(modelWith(0.75), { vector: 0.2 });
    for (const hit of overridden) expect(vectorWeightOf(hit)).toBeCloseTo(0.2, 9);
  }, 120_000);

  it("refuses a manifest whose searchVectorWeight is not a number of at least 0, naming the file", async () => {
    await expect(tempLedger({ embedder: { kind: "onnx", modelDir: modelWith(-1) } })).rejects.toThrow(/memledger-model\.json: searchVectorWeight must be a number of at least 0, got -1/);
  }, 60_000);
});
