/**
 * Embedding throughput of the local models on the same texts in the same run
 * (docs/benchmarks.md, "Retrieval round two: embedding model").
 *
 *   npx vite-node bench/embeddingThroughputBench.ts [-- --texts 256 --rounds 2 --threads 1]
 *     [--models .cache/models/all-MiniLM-L6-v2,.cache/models/bge-small-en-v1.5,.cache/models/bge-small-en-v1.5-q]
 *
 * Texts are LoCoMo dev turns ("speaker: text", as the LoCoMo evaluation stores them), embedded
 * as passages in batches of 32. The models take turns round by round, so load on a shared machine
 * falls on each alike; the best round of each is reported with the median.
 */
import { resolve } from "node:path";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { loadLocomo } from "./locomoDataset.js";
import { nowMs } from "./stats.js";

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const textCount = Number(argument("texts") ?? 256);
const rounds = Number(argument("rounds") ?? 2);
const threads = argument("threads") === undefined ? undefined : Number(argument("threads"));
const modelDirs = (argument("models") ?? ".cache/models/all-MiniLM-L6-v2,.cache/models/bge-small-en-v1.5,.cache/models/bge-small-en-v1.5-q").split(",").map((dir) => resolve(dir));
const dataset = loadLocomo(resolve(argument("data") ?? "../shared/bench/locomo-dev.json"));
const texts = dataset.turns.slice(0, textCount).map((t) => `${t.speaker}: ${t.text}`);

const embedders = await Promise.all(modelDirs.map((modelDir) => openOnnxEmbedder({ modelDir, ...(threads !== undefined ? { intraOpThreads: threads } : {}) })));
const seconds: number[][] = embedders.map(() => []);
try {
  for (const embedder of embedders) await embedder.embed(texts.slice(0, 32)); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [i, embedder] of embedders.entries()) {
      const started = nowMs();
      await embedder.embed(texts);
      seconds[i]!.push((nowMs() - started) / 1000);
    }
  }
  console.log(`${texts.length} LoCoMo turns, batch 32, ${rounds} rounds, intra-op threads ${threads ?? "default"}`);
  console.log("| model | best texts/s | median texts/s | vs first model (best) |");
  console.log("|---|---|---|---|");
  const best = seconds.map((s) => texts.length / Math.min(...s));
  embedders.forEach((embedder, i) => {
    const sorted = [...seconds[i]!].sort((a, b) => a - b);
    const median = texts.length / sorted[Math.floor(sorted.length / 2)]!;
    console.log(`| ${embedder.modelId} | ${best[i]!.toFixed(1)} | ${median.toFixed(1)} | ${(best[i]! / best[0]!).toFixed(2)}x |`);
  });
} finally {
  for (const embedder of embedders) await embedder.close();
}
