/**
 * What reranking the fused top N buys and costs on the LoCoMo dev set (docs/benchmarks.md, "Reranking").
 *
 *   npx vite-node bench/locomoRerankEval.ts -- --rerank llm-local|env [--rerank-top-n 30] [--sample 10] [--conversations conv-26]
 *
 * Hybrid search runs twice per question in the same process, in fused order (`rerank: false`) and
 * reranked, so the two rows share the machine's load. `--rerank env` takes MEMLEDGER_RERANKER (http:
 * any /rerank server; llm: the chat model of MEMLEDGER_CHAT_MODEL_*) from the environment;
 * `llm-local` scores with the in-process llama.cpp model of scripts/fetch-chat-model.sh
 * (SmolLM2-135M: the plumbing's cost, not a judge worth having). `--sample n` keeps every n-th
 * question: a model-sized reranker over all of them takes hours on two cores. Ingestion is the same
 * as bench/locomoEval.ts (one memory per dialog turn, the turn id as its source); recall@k is the
 * share of a question's evidence among the top k sources; categories 1–4 form the headline.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openMemLedger, type MemLedgerOptions } from "../src/app/memLedger.js";
import { openLlamaCppChatModel } from "../src/chatModel/llamaCppChatModel.js";
import { chatModelFromEnv, rerankerFromEnv } from "../src/config.js";
import { llmReranker } from "../src/reranking/llmReranker.js";
import { ensureEmbeddingModel } from "../test/support/embeddingModel.js";
import { loadLocomo } from "./locomoDataset.js";
import { ingestLocomo } from "./locomoIngest.js";
import { nowMs } from "./stats.js";

const ks = [5, 10, 20] as const;

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rerank = argument("rerank");
const topN = Number(argument("rerank-top-n") ?? 30);
const sampleEvery = Number(argument("sample") ?? 1);
const only = argument("conversations")?.split(",");
const dataset = loadLocomo(resolve(argument("data") ?? "../shared/bench/locomo-dev.json"));
const modelDir = await ensureEmbeddingModel();

const localChat = rerank === "llm-local" ? await openLlamaCppChatModel({ modelPath: resolve(".cache/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"), contextSize: 8192 }) : undefined;
const fromEnv = rerank === "env" ? rerankerFromEnv(process.env) : undefined;
const chatFromEnv = rerank === "env" ? chatModelFromEnv(process.env) : undefined;
let rerankOptions: Partial<MemLedgerOptions>;
if (localChat !== undefined) {
  // The reranker object is the in-process model's; the configuration carries only the top N.
  rerankOptions = { reranker: llmReranker(localChat, { timeoutMs: 600_000 }), rerankerConfig: { kind: "llm", topN } };
} else if (fromEnv !== undefined) {
  rerankOptions = { rerankerConfig: { ...fromEnv, topN: argument("rerank-top-n") === undefined ? fromEnv.topN : topN }, ...(chatFromEnv ? { chatModel: chatFromEnv } : {}) };
} else {
  throw new Error("give --rerank llm-local, or --rerank env with MEMLEDGER_RERANKER=http or llm set (docs/retrieval.md)");
}

const dataDir = mkdtempSync(join(tmpdir(), "memledger-locomo-rerank-"));
// The same embedding cache as bench/locomoEval.ts: only the first run of either pays for the turns' vectors.
const sharedCache = resolve(".cache/bench/locomo-embeddings.db");
if (existsSync(sharedCache)) copyFileSync(sharedCache, join(dataDir, "embeddings.db"));
const ledger = await openMemLedger({ dataDir, eventStore: { kind: "sqlite", durability: "normal" }, embedder: { kind: "onnx", modelDir }, worker: false, ...rerankOptions });
try {
  const conversations = [...new Set(dataset.turns.map((t) => t.conversationId))].filter((c) => only === undefined || only.includes(c));
  await ingestLocomo(ledger, dataset, conversations);
  process.stderr.write(`ingested ${conversations.join(", ")}\n`);

  const questions = dataset.questions.filter((q) => conversations.includes(q.conversationId) && q.category !== 5).filter((_, i) => i % sampleEvery === 0);
  const recall = { fused: [] as number[][], reranked: [] as number[][] };
  const searchMs = { fused: [] as number[], reranked: [] as number[] };
  const rerankerMs: number[] = [];
  let failed = 0;
  let moved = 0;
  let reranker = "";
  for (const q of questions) {
    for (const run of ["fused", "reranked"] as const) {
      const t0 = nowMs();
      const response = await ledger.search({ query: q.question, cubeIds: [q.conversationId], topK: 20, mode: "hybrid", rerank: run === "reranked" });
      searchMs[run].push(nowMs() - t0);
      const sources = response.results.map((r) => r.memory.content?.sources[0]?.ref ?? "");
      recall[run].push(ks.map((k) => q.evidence.filter((e) => new Set(sources.slice(0, k)).has(e)).length / q.evidence.length));
      if (run === "reranked") {
        if (response.rerank) {
          rerankerMs.push(response.rerank.ms);
          reranker = response.rerank.reranker;
        }
        if (response.degraded?.some((d) => d.readModel === "reranker")) failed++;
        if (response.results.some((r) => r.why.rerank !== undefined && r.why.rerank !== response.results[0]!.why.rerank)) moved++;
        process.stderr.write(`question ${rerankerMs.length}/${questions.length}: reranker ${response.rerank?.ms.toFixed(0) ?? "-"} ms${response.degraded ? ` (degraded: ${response.degraded.map((d) => d.error).join("; ").slice(0, 200)})` : ""}\n`);
      }
    }
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const p50 = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (x: number) => x.toFixed(3);
  console.log(
    [
      `LoCoMo dev, hybrid search, ${questions.length} questions (cat. 1-4, every ${sampleEvery}. of ${conversations.join(", ")}); reranker ${reranker} on the fused top ${topN}`,
      "",
      "| run | R@5 | R@10 | R@20 | search p50 (ms) | search mean (ms) |",
      "|---|---|---|---|---|---|",
      ...(["fused", "reranked"] as const).map((run) => `| ${run} | ${ks.map((_, i) => fmt(mean(recall[run].map((r) => r[i]!)))).join(" | ")} | ${p50(searchMs[run]).toFixed(1)} | ${mean(searchMs[run]).toFixed(1)} |`),
      "",
      `reranker time per search: p50 ${p50(rerankerMs).toFixed(1)} ms, mean ${mean(rerankerMs).toFixed(1)} ms; added search latency p50 ${(p50(searchMs.reranked) - p50(searchMs.fused)).toFixed(1)} ms (${(p50(searchMs.reranked) / p50(searchMs.fused)).toFixed(1)}x)`,
      `reranker failed (fused order kept, listed under degraded): ${failed} of ${questions.length}; searches whose reranker scores were not all equal: ${moved}`,
    ].join("\n"),
  );
} finally {
  await ledger.close();
  await localChat?.close();
  mkdirSync(resolve(".cache/bench"), { recursive: true });
  copyFileSync(join(dataDir, "embeddings.db"), sharedCache);
  rmSync(dataDir, { recursive: true, force: true });
}
