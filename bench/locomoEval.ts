/**
 * Retrieval quality on the LoCoMo dev set (docs/benchmarks.md, "Retrieval quality").
 *
 *   npx vite-node bench/locomoEval.ts [-- --modes vector,bm25,hybrid] [--mmr 0.9] [--hops 2] [--time off,boost,boost-keep,filter]
 *     [--model-dir .cache/models/bge-small-en-v1.5] [--split conv-26,conv-30]
 *     [--context 1] [--context-following 0] [--context-weight 0.5] [--modes hybrid,hybrid-nograph] [--entities caps|nlp]
 *
 * --context n / --context-following n: each turn's full-text entry also holds the words of the
 * n earlier / later turns of its session (src/contextualIndex/); turns are ingested with their
 * session ("S<n>" from the dialog id) as sessionId either way. The pseudo-mode hybrid-nograph is
 * hybrid search with the graph lane off (graphHops 0), to read the graph's contribution.
 * --entities: how the graph finds names, capitalised runs (default) or typed NLP entities.
 *
 * --model-dir picks the embedding model (default: MEMLEDGER_EMBEDDING_MODEL_DIR, else the product's default,
 * bge-small-en-v1.5 int8, fetched on first use); its manifest's searchVectorWeight applies unless --weights is given.
 * --context defaults to the product's contextual indexing (the previous turn); --context 0 turns it off.
 * --split prints the headline twice more: the named conversations (the ones tuned on) and the
 * rest (a held-out view; the real held-out set is kept outside the project).
 *
 * --time compares what a time expression in a question does (src/timeAwareSearch/), each
 * setting a row of its own: relative expressions are read against the conversation's last
 * session date (the clock would be years after it). Without --time the library default runs.
 *
 * Every dialog turn becomes one memory in its conversation's cube, with the
 * turn id (D<session>:<turn>) as its source and the session date as its event
 * time. For each question with evidence, recall@k is the share of its
 * evidence ids among the sources of the top k results. Categories 1–4 form
 * the headline; category 5 (adversarial) is reported on its own.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { openMemLedger } from "../src/app/memLedger.js";
import { defaultContextualIndex } from "../src/contextualIndex/contextualIndexSettings.js";
import type { SearchMode } from "../src/search/searchRequest.js";
import type { GraphEntityExtraction } from "../projections/graph.js";
import { ensureBgeModel } from "../test/support/bgeModel.js";
import { loadLocomo, type LocomoQuestion } from "./locomoDataset.js";
import { ingestLocomo } from "./locomoIngest.js";
import { nowMs } from "./stats.js";

const ks = [5, 10, 20] as const;
const categoryNames: Record<number, string> = { 1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial" };

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const modes = (argument("modes") ?? "vector,bm25,hybrid").split(",") as SearchMode[];
const mmrLambda = argument("mmr") === undefined ? undefined : Number(argument("mmr"));
const graphHops = argument("hops") === undefined ? undefined : Number(argument("hops"));
// --weights 0.5,1,0.2 = vector,bm25,graph
const weights = argument("weights") === undefined ? undefined : (([vector, bm25, graph]) => ({ vector: vector!, bm25: bm25!, graph: graph! }))(argument("weights")!.split(",").map(Number));
const timeSettings = argument("time")?.split(",") ?? [undefined];
const timeOption = (setting: string) =>
  setting === "off" ? { use: "off" as const } : setting === "filter" ? { use: "filter" as const } : { use: "boost" as const, keepExpression: setting === "boost-keep" };
const datasetPath = resolve(argument("data") ?? "../shared/bench/locomo-dev.json");

const dataset = loadLocomo(datasetPath);
// With no flags the eval measures what a user gets: the default model with its own vector weight, the default context.
const configuredModelDir = argument("model-dir") ?? process.env.MEMLEDGER_EMBEDDING_MODEL_DIR;
const modelDir = configuredModelDir !== undefined ? resolve(configuredModelDir) : await ensureBgeModel("q");
const tunedOn = argument("split")?.split(",");
const dataDir = mkdtempSync(join(tmpdir(), "memledger-locomo-"));
// Embeddings of the turns are kept between runs (model id + text hash), so only the first run pays for them.
// Another model gets a cache file of its own, so runs of two models at once do not overwrite each other's.
const sharedCache = resolve(`.cache/bench/locomo-embeddings-${basename(modelDir)}.db`);
if (existsSync(sharedCache)) copyFileSync(sharedCache, join(dataDir, "embeddings.db"));

const graphEntities = (argument("entities") ?? "caps") as GraphEntityExtraction;
const contextualIndex = {
  previousTurns: Number(argument("context") ?? defaultContextualIndex.previousTurns),
  followingTurns: Number(argument("context-following") ?? 0),
  ...(argument("context-weight") !== undefined ? { contextWeight: Number(argument("context-weight")) } : {}),
};
const ledger = await openMemLedger({ dataDir, eventStore: { kind: "sqlite", durability: "normal" }, embedder: { kind: "onnx", modelDir }, worker: false, contextualIndex, graphEntities });
try {
  const started = nowMs();
  const conversations = [...new Set(dataset.turns.map((t) => t.conversationId))];
  await ingestLocomo(ledger, dataset, conversations);
  const ingestSeconds = (nowMs() - started) / 1000;

  const recallAt = (sources: readonly string[], evidence: readonly string[], k: number) => {
    const top = new Set(sources.slice(0, k));
    return evidence.filter((e) => top.has(e)).length / evidence.length;
  };
  type Row = { mode: SearchMode; category: number; conversationId: string; recall: number[] };
  const rows: Row[] = [];
  const latencies: Record<string, number[]> = {};
  const lastSession = new Map<string, string>();
  for (const t of dataset.turns) if (t.sessionTime && t.sessionTime > (lastSession.get(t.conversationId) ?? "")) lastSession.set(t.conversationId, t.sessionTime);
  const labels: SearchMode[] = [];
  for (const listedMode of modes) for (const setting of timeSettings) {
    const withoutGraph = (listedMode as string) === "hybrid-nograph";
    const searchMode: SearchMode = withoutGraph ? "hybrid" : listedMode;
    const mode = (setting === undefined ? listedMode : `${listedMode}+time:${setting}`) as SearchMode;
    labels.push(mode);
    latencies[mode] = [];
    for (const q of dataset.questions) {
      const now = lastSession.get(q.conversationId);
      const t0 = nowMs();
      const response = await ledger.search({
        query: q.question,
        cubeIds: [q.conversationId],
        topK: 20,
        mode: searchMode,
        ...(setting !== undefined ? { time: { ...timeOption(setting), ...(now ? { now } : {}) } } : {}),
        ...(mmrLambda !== undefined ? { mmrLambda } : {}),
        ...(withoutGraph ? { graphHops: 0 } : graphHops !== undefined ? { graphHops } : {}),
        ...(weights !== undefined ? { weights } : {}),
        ...(argument("rrf-k") !== undefined ? { rrfK: Number(argument("rrf-k")) } : {}),
      });
      latencies[mode]!.push(nowMs() - t0);
      const sources = response.results.map((r) => r.memory.content?.sources[0]?.ref ?? "");
      rows.push({ mode, category: q.category, conversationId: q.conversationId, recall: ks.map((k) => recallAt(sources, q.evidence, k)) });
    }
  }

  const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  const cell = (mode: SearchMode, pick: (r: Row) => boolean) => {
    const selected = rows.filter((r) => r.mode === mode && pick(r));
    return { n: selected.length, recall: ks.map((_, i) => mean(selected.map((r) => r.recall[i]!))) };
  };
  const fmt = (x: number) => x.toFixed(3);
  const lines: string[] = [];
  lines.push(`LoCoMo dev: ${dataset.turns.length} turns in ${conversations.length} cubes, ${dataset.questions.length} questions with evidence; ingest + indexing ${ingestSeconds.toFixed(1)} s`);
  lines.push(`evidence ids normalised: ${dataset.normalisations.split} entries split, ${dataset.normalisations.repaired} repaired (D:11:26 -> D11:26), ${dataset.normalisations.dropped} dropped`);
  lines.push(`embedding model: ${modelDir}`);
  lines.push(`contextual index: ${JSON.stringify(contextualIndex)}, graph entities: ${graphEntities}`);
  lines.push(`settings: mmrLambda ${mmrLambda ?? "default"}, graphHops ${graphHops ?? "default"}, weights ${weights ? JSON.stringify(weights) : "default"}, rrfK ${argument("rrf-k") ?? "default"}`);
  lines.push("", "| mode | questions (cat. 1–4) | R@5 | R@10 | R@20 | search p50 (ms) |", "|---|---|---|---|---|---|");
  for (const mode of labels) {
    const headline = cell(mode, (r) => r.category !== 5);
    const sorted = [...latencies[mode]!].sort((a, b) => a - b);
    lines.push(`| ${mode} | ${headline.n} | ${headline.recall.map(fmt).join(" | ")} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} |`);
  }
  if (tunedOn !== undefined) {
    const groups = [
      { name: `tuned on (${tunedOn.join(", ")})`, pick: (r: Row) => tunedOn.includes(r.conversationId) },
      { name: `held-out view (${conversations.filter((c) => !tunedOn.includes(c)).join(", ")})`, pick: (r: Row) => !tunedOn.includes(r.conversationId) },
    ];
    lines.push("", "| mode | conversations | questions (cat. 1–4) | R@5 | R@10 | R@20 |", "|---|---|---|---|---|---|");
    for (const mode of labels) {
      for (const group of groups) {
        const headline = cell(mode, (r) => r.category !== 5 && group.pick(r));
        lines.push(`| ${mode} | ${group.name} | ${headline.n} | ${headline.recall.map(fmt).join(" | ")} |`);
      }
    }
  }
  lines.push("", "| category | n | " + labels.map((m) => `${m} R@5 / R@10 / R@20`).join(" | ") + " |", "|---|---|" + labels.map(() => "---|").join(""));
  for (const category of [1, 2, 3, 4, 5]) {
    const n = cell(labels[0]!, (r) => r.category === category).n;
    lines.push(`| ${category} ${categoryNames[category]} | ${n} | ` + labels.map((m) => cell(m, (r) => r.category === category).recall.map(fmt).join(" / ")).join(" | ") + " |");
  }
  console.log(lines.join("\n"));
} finally {
  await ledger.close();
  mkdirSync(resolve(".cache/bench"), { recursive: true });
  copyFileSync(join(dataDir, "embeddings.db"), sharedCache);
  rmSync(dataDir, { recursive: true, force: true });
}

export type { LocomoQuestion };
