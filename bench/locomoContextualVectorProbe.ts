/**
 * Would contextual vectors help? (issue 17, "Context": a turn's neighbours in its vector representation.)
 *
 *   npx vite-node bench/locomoContextualVectorProbe.ts [-- --model-dir .cache/models/<model>] [--split conv-26,conv-30] [--previous 1] [--mix 0.15,0.3]
 *
 * A probe, not the product: before building contextual vectors into the vector read model (which would
 * re-embed a turn whenever a neighbour changes or is erased), measure what they would give. The ledger
 * ingests the LoCoMo dev turns as bench/locomoEval.ts does (default model, default contextual full-text
 * index) and answers each question's BM25 and vector lists (top 100). Beside it the probe embeds every
 * turn a second time with its `previous` turns of the same session in front ("speaker: text" lines, the
 * same model and passage prefix) and ranks them by exact cosine; and, for each `--mix` weight w, the
 * turn's own vector plus w times its previous turns' (the sum normalised): context added after
 * embedding, so the turn's own words keep their weight. Each vector list is fused with the
 * same BM25 list by the product's weighted reciprocal-rank fusion (k and weights as the product's
 * defaults for the model), without the graph and time lanes, so the fused columns differ only in
 * the vectors. The product's own hybrid search is printed beside them as the reference.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openMemLedger } from "../src/app/memLedger.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { defaultRetrieverWeights, defaultRrfK } from "../src/search/normalizeSearchRequest.js";
import { reciprocalRankFusion } from "../src/search/rankFusion.js";
import { ensureBgeModel } from "../test/support/bgeModel.js";
import { loadLocomo, type LocomoTurn } from "./locomoDataset.js";
import { ingestLocomo, locomoLineOf, locomoSessionOf } from "./locomoIngest.js";
import { nowMs } from "./stats.js";

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const ks = [5, 10, 20] as const;
const listDepth = 100;
const previous = Number(argument("previous") ?? 1);
const mixes = (argument("mix") ?? "0.15,0.3").split(",").map(Number);
const dataset = loadLocomo(resolve(argument("data") ?? "../shared/bench/locomo-dev.json"));
const modelDir = argument("model-dir") !== undefined ? resolve(argument("model-dir")!) : await ensureBgeModel("q");
const manifestFile = join(modelDir, "memledger-model.json");
const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, "utf8")) as { searchVectorWeight?: number }) : {};
const vectorWeight = manifest.searchVectorWeight ?? defaultRetrieverWeights.vector;
const tunedOn = argument("split")?.split(",");

/** Indexes of the `previous` turns of the same session before each turn, oldest first. */
function previousTurns(turns: readonly LocomoTurn[]): number[][] {
  return turns.map((turn, i) => {
    const window: number[] = [];
    for (let j = i - 1; j >= 0 && window.length < previous; j -= 1) {
      if (turns[j]!.conversationId !== turn.conversationId || locomoSessionOf(turns[j]!) !== locomoSessionOf(turn)) break;
      window.unshift(j);
    }
    return window;
  });
}

/** A turn's own vector plus `weight` times each of its previous turns', normalised. */
function mixed(own: readonly Float32Array[], windows: readonly number[][], weight: number): Float32Array[] {
  return own.map((vector, i) => {
    const sum = Float32Array.from(vector);
    for (const j of windows[i]!) own[j]!.forEach((x, d) => (sum[d] = sum[d]! + weight * x));
    const norm = Math.hypot(...sum);
    return sum.map((x) => x / norm);
  });
}

/** The product's weighted reciprocal-rank fusion of the two lists, at its default k and the model's vector weight. */
function fuse(vector: readonly string[], bm25: readonly string[]): string[] {
  return reciprocalRankFusion(
    [
      { name: "vector", ids: vector, weight: vectorWeight },
      { name: "bm25", ids: bm25, weight: defaultRetrieverWeights.bm25 },
    ],
    defaultRrfK,
  ).map((item) => item.id);
}

const recallAt = (ranked: readonly string[], evidence: readonly string[], k: number) => {
  const top = new Set(ranked.slice(0, k));
  return evidence.filter((e) => top.has(e)).length / evidence.length;
};

const dataDir = mkdtempSync(join(tmpdir(), "memledger-locomo-ctxvec-"));
const ledger = await openMemLedger({ dataDir, eventStore: { kind: "sqlite", durability: "normal" }, embedder: { kind: "onnx", modelDir }, worker: false });
const embedder = await openOnnxEmbedder({ modelDir });
try {
  const started = nowMs();
  const conversations = [...new Set(dataset.turns.map((t) => t.conversationId))];
  await ingestLocomo(ledger, dataset, conversations);
  const windows = previousTurns(dataset.turns);
  const contextual = await embedder.embed(
    dataset.turns.map((turn, i) => [...windows[i]!.map((j) => locomoLineOf(dataset.turns[j]!)), locomoLineOf(turn)].join("\n")),
    "passage",
  );
  const own = await embedder.embed(dataset.turns.map(locomoLineOf), "passage");
  const variants: Array<[string, Float32Array[]]> = [["contextual vector", contextual], ...mixes.map((w): [string, Float32Array[]] => [`mixed vector ${w}`, mixed(own, windows, w)])];
  console.error(`ingested and embedded with context in ${((nowMs() - started) / 1000).toFixed(0)} s`);

  type Row = { category: number; conversationId: string; recall: Record<string, number[]> };
  const rows: Row[] = [];
  const columns = ["product hybrid", "vector", "vector + BM25 (fused here)", ...variants.flatMap(([name]) => [name, `${name} + BM25 (fused here)`])];
  for (const q of dataset.questions) {
    const ask = async (mode: "hybrid" | "bm25" | "vector", topK: number) =>
      (await ledger.search({ query: q.question, cubeIds: [q.conversationId], topK, mode })).results.map((r) => r.memory.content?.sources[0]?.ref ?? "");
    const [queryVector] = await embedder.embed([q.question], "query");
    const rankedBy = (vectors: readonly Float32Array[]) =>
      dataset.turns
        .map((turn, i) => ({ turn, i }))
        .filter(({ turn }) => turn.conversationId === q.conversationId)
        .map(({ turn, i }) => ({ id: turn.diaId, similarity: vectors[i]!.reduce((sum, x, d) => sum + x * queryVector![d]!, 0) }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, listDepth)
        .map((hit) => hit.id);
    const bm25 = await ask("bm25", listDepth);
    const vector = await ask("vector", listDepth);
    const lists: Record<string, string[]> = {
      "product hybrid": await ask("hybrid", 20),
      vector,
      "vector + BM25 (fused here)": fuse(vector, bm25),
    };
    for (const [name, vectors] of variants) {
      lists[name] = rankedBy(vectors);
      lists[`${name} + BM25 (fused here)`] = fuse(lists[name]!, bm25);
    }
    const recall: Record<string, number[]> = {};
    for (const column of columns) recall[column] = ks.map((k) => recallAt(lists[column]!, q.evidence, k));
    rows.push({ category: q.category, conversationId: q.conversationId, recall });
  }

  const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  const cell = (column: string, pick: (r: Row) => boolean) => ks.map((_, i) => mean(rows.filter(pick).map((r) => r.recall[column]![i]!)).toFixed(3)).join(" / ");
  const groups: Array<[string, (r: Row) => boolean]> = [
    ["categories 1–4", (r) => r.category !== 5],
    ["1 multi-hop", (r) => r.category === 1],
    ["2 temporal", (r) => r.category === 2],
    ["3 open-domain", (r) => r.category === 3],
    ["4 single-hop", (r) => r.category === 4],
    ...(tunedOn === undefined
      ? []
      : ([
          [`1–4, tuned on (${tunedOn.join(", ")})`, (r: Row) => r.category !== 5 && tunedOn.includes(r.conversationId)],
          ["1–4, held-out view", (r: Row) => r.category !== 5 && !tunedOn.includes(r.conversationId)],
        ] as Array<[string, (r: Row) => boolean]>)),
  ];
  const lines = [
    `model ${modelDir}, vector weight ${vectorWeight}, rrfK ${defaultRrfK}, previous turns in the contextual vectors: ${previous}`,
    "",
    `| questions | n | ${columns.map((c) => `${c} R@5 / R@10 / R@20`).join(" | ")} |`,
    `|---|---|${columns.map(() => "---|").join("")}`,
    ...groups.map(([name, pick]) => `| ${name} | ${rows.filter(pick).length} | ${columns.map((c) => cell(c, pick)).join(" | ")} |`),
  ];
  console.log(lines.join("\n"));
} finally {
  await embedder.close();
  await ledger.close();
  rmSync(dataDir, { recursive: true, force: true });
}
