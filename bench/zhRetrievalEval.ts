/**
 * Retrieval quality on the project's Chinese set (docs/benchmarks.md, "Chinese retrieval").
 *
 *   npm run eval:zh [-- --models zh,en] [--modes vector,bm25,hybrid] [--weights 0.5,1,0.1]
 *
 * The 300 memories of bench/data/zh-retrieval/ go through the real ledger into one cube
 * (source ref = memory id, event time = the memory's date), once per embedding model:
 * zh = BAAI/bge-small-zh-v1.5 (scripts/fetch-chinese-embedding-model.sh), en = the default
 * all-MiniLM-L6-v2, the baseline. For each question, recall@k is the share of its answer ids
 * among the sources of the top k results.
 * The run says how the embedder ran each model: its id (naming the pooling) and whether
 * queries got the model's query prefix.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemLedger } from "../src/app/memLedger.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import type { SearchMode } from "../src/search/searchRequest.js";
import { ensureChineseEmbeddingModel } from "../test/support/chineseEmbeddingModel.js";
import { ensureEmbeddingModel } from "../test/support/embeddingModel.js";
import { nowMs } from "./stats.js";
import { loadZhRetrievalSet, zhCategories, type ZhQuestion } from "./zhRetrievalSet.js";

const ks = [5, 10, 20] as const;
const cubeId = "zh-users";

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const modelKeys = (argument("models") ?? "zh,en").split(",");
const modes = (argument("modes") ?? "vector,bm25,hybrid").split(",") as SearchMode[];
// --weights 1,0.5,0.1 = vector,bm25,graph for the hybrid searches (the library default is 0.5,1,0.1, tuned on LoCoMo)
const weights = argument("weights") === undefined ? undefined : (([vector, bm25, graph]) => ({ vector: vector!, bm25: bm25!, graph: graph! }))(argument("weights")!.split(",").map(Number));

const set = loadZhRetrievalSet();

async function modelDirOf(key: string): Promise<string> {
  if (key === "en") return ensureEmbeddingModel();
  if (key !== "zh") throw new Error(`--models takes zh and en, not "${key}"`);
  const zh = await ensureChineseEmbeddingModel();
  if (zh.modelDir === undefined) throw new Error(zh.absentBecause);
  return zh.modelDir;
}

interface Row {
  readonly label: string;
  readonly question: ZhQuestion;
  readonly recall: readonly number[];
}

/** How the embedder runs the model: its id (which names a pooling other than mean) and whether queries are embedded differently from passages (the query prefix). */
async function embedderBehaviour(modelDir: string): Promise<{ modelId: string; prefixesQueries: boolean }> {
  const embedder = await openOnnxEmbedder({ modelDir });
  try {
    const [asQuery] = await embedder.embed(["测试"], "query");
    const [asPassage] = await embedder.embed(["测试"], "passage");
    return { modelId: embedder.modelId, prefixesQueries: asQuery!.some((x, i) => Math.abs(x - asPassage![i]!) > 1e-6) };
  } finally {
    await embedder.close();
  }
}

const rows: Row[] = [];
const labels: string[] = [];
const summary: string[] = [];
for (const key of modelKeys) {
  const modelDir = await modelDirOf(key);
  const behaviour = await embedderBehaviour(modelDir);
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-zh-"));
  // A fresh embedding cache each run: the vectors of a model id change when its pooling support lands.
  const ledger = await openMemLedger({ dataDir, eventStore: { kind: "sqlite", durability: "normal" }, embedder: { kind: "onnx", modelDir }, worker: false });
  try {
    const started = nowMs();
    await ledger.cubes.create({ cubeId, name: "Chinese retrieval set", owner: { kind: "project", id: "zh-retrieval" } });
    // A sync add takes at most 200 memories.
    for (let i = 0; i < set.memories.length; i += 100) {
      await ledger.memories.add(cubeId, {
        mode: "sync",
        memories: set.memories.slice(i, i + 100).map((m) => ({
          text: m.text,
          sources: [{ kind: "other" as const, ref: m.id }],
          ...(m.date ? { eventTime: `${m.date}T12:00:00.000Z` } : {}),
        })),
      });
    }
    await ledger.readModels.catchUp(600_000);
    summary.push(
      `${key}: embedder ${behaviour.modelId}, queries ${behaviour.prefixesQueries ? "prefixed" : "not prefixed"}, ingest + indexing ${((nowMs() - started) / 1000).toFixed(1)} s`,
    );

    for (const mode of modes) {
      const label = `${key} ${mode}`;
      labels.push(label);
      for (const question of set.questions) {
        const response = await ledger.search({ query: question.question, cubeIds: [cubeId], topK: 20, mode, ...(weights ? { weights } : {}) });
        const top = response.results.map((r) => r.memory.content?.sources[0]?.ref ?? "");
        const recall = ks.map((k) => question.answers.filter((a) => top.slice(0, k).includes(a)).length / question.answers.length);
        rows.push({ label, question, recall });
      }
    }
  } finally {
    await ledger.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const recallOf = (label: string, pick: (q: ZhQuestion) => boolean) => {
  const selected = rows.filter((r) => r.label === label && pick(r.question));
  return { n: selected.length, recall: ks.map((_, i) => mean(selected.map((r) => r.recall[i]!))) };
};
const fmt = (x: number) => x.toFixed(3);
const noSharedWord = set.questions.filter((q) => q.sharedWords.length === 0);
const lines = [
  `Chinese retrieval set: ${set.memories.length} memories, ${set.questions.length} questions (${zhCategories.map((c) => `${set.questions.filter((q) => q.category === c).length} ${c}`).join(", ")}); ${noSharedWord.length} share no content word with their answers`,
  ...summary,
  `hybrid weights: ${weights ? JSON.stringify(weights) : "library default"}`,
  "",
  "| model | mode | R@5 | R@10 | R@20 |",
  "|---|---|---|---|---|",
  ...labels.map((label) => `| ${label.split(" ")[0]} | ${label.split(" ").slice(1).join(" ")} | ${recallOf(label, () => true).recall.map(fmt).join(" | ")} |`),
  "",
  `| category | n | ${labels.map((l) => `${l} R@5 / R@10`).join(" | ")} |`,
  `|---|---|${labels.map(() => "---|").join("")}`,
  ...zhCategories.map(
    (c) => `| ${c} | ${recallOf(labels[0]!, (q) => q.category === c).n} | ${labels.map((l) => recallOf(l, (q) => q.category === c).recall.slice(0, 2).map(fmt).join(" / ")).join(" | ")} |`,
  ),
];
console.log(lines.join("\n"));
