/**
 * `npx vite-node bench/embedderIdleBench.ts [-- --rounds 5]`: what the worker embedder's idle
 * exit (MEMLEDGER_EMBEDDER_IDLE_MS) costs and gives back, with the local model. The first
 * request after the worker idled out starts a new worker (thread, model load, onnxruntime
 * session, arena regrown) and is timed against the same request on a worker kept loaded,
 * in the same run; the process's RSS busy and after the idle exit.
 * From sources (vite-node) the worker also compiles its TypeScript with tsx on start; the
 * built server (dist/) loads the compiled worker, so its cold start is a little cheaper.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { openWorkerEmbedder, type WorkerEmbedder } from "../src/embedding/workerEmbedder.js";
import { fmtMs, fmtRatio, formatTable, median, nowMs, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { rounds: { type: "string", default: "5" } },
});
const rounds = Number(args.rounds);
const idleMs = 300;
const repoRoot = join(new URL(".", import.meta.url).pathname, "..");
const modelDir = resolveEmbeddingModelDir(process.env, repoRoot);
if (!existsSync(join(modelDir, "model.onnx"))) throw new Error(`no embedding model in ${modelDir}: run npm run fetch-model first`);

const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn"];
let serial = 0;
/** A search-sized query, new each time so nothing is shared between runs. */
const query = () => `what did Alice say about the ${words[serial % 8]} on day ${serial++}?`;
/** 64 memories of about 1.5 KB: one micro-batch of a bulk add. */
const batch = () => Array.from({ length: 64 }, (_, i) => `memory ${serial++} ${i}: ` + Array.from({ length: 230 }, (_, j) => words[(i * 7 + j * 3) % 8]).join(" "));
const rssMb = () => Number(readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!.split(/\s+/)[1]) / 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(embedder: WorkerEmbedder, texts: readonly string[]): Promise<number> {
  const started = nowMs();
  await embedder.embed(texts);
  return nowMs() - started;
}

/** Waits until the worker has idled out, so the next request starts a new one. */
async function idleOut(embedder: WorkerEmbedder): Promise<void> {
  await sleep(idleMs + 200);
  while (embedder.workerThreadId() !== undefined) await sleep(50);
  await sleep(500); // the old worker's exit and its memory's release are done
}

const rssBefore = rssMb();
const embedder = await openWorkerEmbedder({ modelDir, idleMs });
try {
  const warmQuery: number[] = [];
  const warmBatch: number[] = [];
  const coldQuery: number[] = [];
  const coldBatch: number[] = [];
  let rssBusy = 0;
  let rssIdle = 0;
  for (let round = 0; round < rounds; round++) {
    await idleOut(embedder);
    coldQuery.push(await timed(embedder, [query()]));
    for (let i = 0; i < 20; i++) warmQuery.push(await timed(embedder, [query()]));
    await idleOut(embedder);
    coldBatch.push(await timed(embedder, batch()));
    for (let i = 0; i < 3; i++) warmBatch.push(await timed(embedder, batch()));
    rssBusy = Math.max(rssBusy, rssMb());
    await idleOut(embedder);
    rssIdle = rssMb();
  }
  const row = (name: string, warm: number[], cold: number[]) => [name, fmtMs(median(warm)), fmtMs(median(cold)), fmtRatio(median(cold) / median(warm)), fmtMs(median(cold) - median(warm))];
  const markdown = formatTable({
    title: `Embedding worker idle exit: the first request after it (new worker) vs a kept worker, medians of ${rounds} rounds`,
    headers: ["request", "worker kept loaded (baseline)", "first after the idle exit", "ratio", "cold-start cost"],
    rows: [row("1 query (search)", warmQuery, coldQuery), row("64 memories of 1.5 KB (one bulk-add batch)", warmBatch, coldBatch)],
    notes: [
      `Process RSS: ${rssBefore.toFixed(0)} MB before opening the embedder, ${rssBusy.toFixed(0)} MB at the busiest, ${rssIdle.toFixed(0)} MB after the idle exit (${fmtRatio(rssIdle / rssBusy)} of busy).`,
      `Worker from sources (tsx in the worker), idleMs ${idleMs}; Node ${process.version}; load average at the end ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`,
    ],
  });
  console.log(`\n${markdown}`);
  console.log(`\nwritten to ${writeResults("embedder-idle", markdown)}`);
} finally {
  await embedder.close();
}
