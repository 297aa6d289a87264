/**
 * `npx vite-node bench/syncAddLoopBench.ts [-- --memories 200]`: one synchronous add of
 * `--memories` memories of about 1.5 KB through the ledger with the local model, and how
 * long the event loop was held meanwhile (largest gap of a 10 ms timer, loop delay p99).
 * Baseline in the same run: the same add with inference on the main thread (the ONNX
 * embedder in-process as the ingestion step), as it ran before the worker thread.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openMemLedger, type MemLedgerOptions } from "../src/app/memLedger.js";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { embeddingStep } from "../src/ingestion/embeddingStep.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRatio, formatTable, nowMs, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { memories: { type: "string", default: "200" } },
});
const count = Number(args.memories);
const repoRoot = join(new URL(".", import.meta.url).pathname, "..");
const modelDir = resolveEmbeddingModelDir(process.env, repoRoot);
if (!existsSync(join(modelDir, "model.onnx"))) throw new Error(`no embedding model in ${modelDir}: run npm run fetch-model first`);

const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn"];
/** About 1.5 KB, different per run and index, so nothing comes from a cache. */
const memoryText = (run: string, i: number) => `${run} memory ${i}: ` + Array.from({ length: 230 }, (_, j) => words[(i * 7 + j * 3) % 8]).join(" ");

interface Measured {
  readonly ms: number;
  readonly largestGapMs: number;
  readonly delayP99Ms: number;
}

async function measure(run: string, options: Omit<MemLedgerOptions, "dataDir">): Promise<Measured> {
  const dataDir = tempDir(`memledger-sync-add-${run}-`);
  const ledger = await openMemLedger({ dataDir, syncAdd: { maxMemories: count, maxTextBytes: 2 ** 30 }, ...options });
  try {
    await ledger.cubes.create({ cubeId: "bulk", name: "bulk", owner: { kind: "user", id: "bench" } });
    await ledger.memories.add("bulk", { mode: "sync", memories: [{ text: "warm-up" }] });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let largestGapMs = 0;
    let last = nowMs();
    const ticker = setInterval(() => {
      const now = nowMs();
      largestGapMs = Math.max(largestGapMs, now - last);
      last = now;
    }, 10);
    delay.enable();
    const started = nowMs();
    await ledger.memories.add("bulk", { mode: "sync", memories: Array.from({ length: count }, (_, i) => ({ text: memoryText(run, i) })) });
    const ms = nowMs() - started;
    delay.disable();
    clearInterval(ticker);
    return { ms, largestGapMs: Math.max(largestGapMs, nowMs() - last), delayP99Ms: delay.percentile(99) / 1e6 };
  } finally {
    await ledger.close();
    removeDir(dataDir);
  }
}

const onMainThread = await openOnnxEmbedder({ modelDir });
const baseline = await measure("main-thread", { ingestionSteps: [embeddingStep(onMainThread)] }).finally(() => onMainThread.close());
const worker = await measure("worker", { embedder: { kind: "onnx", modelDir } });

const row = (name: string, m: Measured) => [name, `${(m.ms / 1000).toFixed(1)} s`, fmtMs(m.largestGapMs), fmtMs(m.delayP99Ms)];
const markdown = formatTable({
  title: `One sync add of ${count} memories of about 1.5 KB`,
  headers: ["inference", "add took", "largest 10 ms timer gap", "event-loop delay p99"],
  rows: [row("on the main thread (baseline)", baseline), row("in the worker thread, micro-batched", worker)],
  notes: [`largest gap: worker / main thread = ${fmtRatio(worker.largestGapMs / baseline.largestGapMs)}; add time: ${fmtRatio(worker.ms / baseline.ms)}.`],
});
console.log(markdown);
console.log(`\nwritten to ${writeResults("sync-add-loop", markdown)}`);
