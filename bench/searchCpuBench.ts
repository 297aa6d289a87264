/**
 * `npx vite-node bench/searchCpuBench.ts -- [--baseline <dir>] [--sizes 1000,5000] [--queries 100] [--connections 32]`:
 * the synchronous CPU of one search in-process (no HTTP), with the query vector cached and the
 * search-result cache bypassed (every request carries its own minScore below any score, so the
 * answers are the same but no cached one fits). Per size: bm25 / vector / hybrid p50 and p99 one
 * at a time, hybrid throughput at `--connections` concurrent, and the query embedder alone on
 * new queries at the same concurrency (the worker thread and micro-batcher the server uses).
 * `--baseline <dir>`: a checkout of the code before (e.g. `git worktree add <dir> <commit>` with
 * node_modules linked) measured on the same data directories in the same run, in alternating
 * order (before, after; after, before; ...), so the ratios are against the same machine load.
 */
import { copyFileSync, existsSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, summarize, type Summary } from "./stats.js";
import { syntheticMemories } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    baseline: { type: "string" },
    sizes: { type: "string", default: "1000,5000" },
    queries: { type: "string", default: "100" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "2" },
  },
});
const repoRoot = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const modelDir = resolveEmbeddingModelDir(process.env, repoRoot);
const sizes = args.sizes.split(",").map(Number).sort((a, b) => b - a);
const queryCount = Number(args.queries);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const modes = ["bm25", "vector", "hybrid"] as const;
const codeRoots: { name: string; root: string }[] = [...(args.baseline ? [{ name: "before", root: resolve(args.baseline) }] : []), { name: "after", root: repoRoot }];
const log = (line: string) => console.log(line);

type Ledger = {
  search(request: Record<string, unknown>): Promise<{ results: { memory: { memoryId: string } }[] }>;
  memories: { add(cubeId: string, request: unknown): Promise<unknown> };
  cubes: { create(request: unknown): Promise<unknown> };
  readModels: { catchUp(timeoutMs: number): Promise<unknown> };
  close(): Promise<void>;
};
const openLedger = async (root: string, dataDir: string): Promise<Ledger> => {
  const { openMemLedger } = (await import(join(root, "src/app/memLedger.ts"))) as { openMemLedger: (o: unknown) => Promise<Ledger> };
  return openMemLedger({ dataDir, embedder: { kind: "onnx", modelDir } });
};

const dirs = new Map<number, string>();
const corpus = syntheticMemories(Math.max(...sizes));
let bypass = 0;
/** A minScore below every score: the same answer, a request no cached answer fits. */
const uncached = (request: Record<string, unknown>) => ({ ...request, minScore: -1e9 - ++bypass });

try {
  let embeddings: string | undefined;
  for (const size of sizes) {
    const dir = tempDir(`memledger-search-cpu-${size}-`);
    dirs.set(size, dir);
    if (embeddings) copyFileSync(embeddings, join(dir, "embeddings.db"));
    const ledger = await openLedger(repoRoot, dir);
    await ledger.cubes.create({ cubeId: "bench", name: "bench", owner: { kind: "user", id: "bench" } });
    const started = nowMs();
    for (let i = 0; i < size; i += 200) await ledger.memories.add("bench", { mode: "sync", memories: corpus.slice(i, Math.min(size, i + 200)).map((m) => ({ text: m.text, userId: "bench" })) });
    await ledger.readModels.catchUp(600_000);
    await ledger.close();
    embeddings ??= join(dir, "embeddings.db");
    log(`loaded ${size} memories in ${((nowMs() - started) / 1000).toFixed(1)} s`);
  }

  const results: { size: number; code: string; round: number; modes: Record<string, Summary>; rate: number; same: boolean }[] = [];
  const firstAnswers = new Map<string, string>();
  for (let round = 1; round <= rounds; round += 1) {
    for (const size of [...sizes].reverse()) {
      const queries = corpus.slice(0, size).filter((_, i) => i % Math.floor(size / queryCount) === 0).slice(0, queryCount).map((m) => m.question);
      // Odd rounds run the baseline first, even rounds second: what the previous ledger left to collect falls on each alike.
      for (const code of round % 2 === 1 ? codeRoots : [...codeRoots].reverse()) {
        const ledger = await openLedger(code.root, dirs.get(size)!);
        try {
          for (const query of queries) await ledger.search({ query, cubeIds: ["bench"], topK: 10 }); // query vectors into the cache, JIT warm
          const perMode: Record<string, Summary> = {};
          let same = true;
          for (const mode of modes) {
            const durations: number[] = [];
            for (const query of queries) {
              const t0 = nowMs();
              const answer = await ledger.search(uncached({ query, cubeIds: ["bench"], topK: 10, mode }));
              durations.push(nowMs() - t0);
              // The answer must not depend on the code: the same ids in the same order.
              const key = `${size}|${mode}|${query}`;
              const ids = answer.results.map((r) => r.memory.memoryId).join(",");
              if (!firstAnswers.has(key)) firstAnswers.set(key, ids);
              else if (firstAnswers.get(key) !== ids) same = false;
            }
            perMode[mode] = summarize(durations);
          }
          const until = nowMs() + 5_000;
          let done = 0;
          const t0 = nowMs();
          await Promise.all(
            Array.from({ length: connections }, async (_, lane) => {
              for (let i = lane; nowMs() < until; i += connections) {
                await ledger.search(uncached({ query: queries[i % queries.length]!, cubeIds: ["bench"], topK: 10 }));
                done += 1;
              }
            }),
          );
          const rate = done / ((nowMs() - t0) / 1000);
          results.push({ size, code: code.name, round, modes: perMode, rate, same });
          log(`round ${round}, ${size}, ${code.name}: ${modes.map((m) => `${m} p50 ${fmtMs(perMode[m]!.p50)} p99 ${fmtMs(perMode[m]!.p99)}`).join(", ")}; hybrid at ${connections}: ${fmtRate(rate)}/s; same answers: ${same}`);
        } finally {
          await ledger.close();
        }
      }
    }
  }

  // The query embedder alone on new queries: what the new-query case cannot go past.
  const { microBatchingEmbedder } = await import("../src/embedding/microBatchingEmbedder.js");
  const { openWorkerEmbedder } = await import("../src/embedding/workerEmbedder.js");
  const embedder = microBatchingEmbedder(await openWorkerEmbedder({ modelDir }));
  let embedRate = 0;
  try {
    let n = 0;
    await embedder.embed(["warm up"]);
    const until = nowMs() + 5_000;
    const t0 = nowMs();
    let done = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (nowMs() < until) {
          const m = corpus[n++ % corpus.length]!;
          await embedder.embed([`${m.question} (${n})`]);
          done += 1;
        }
      }),
    );
    embedRate = done / ((nowMs() - t0) / 1000);
  } finally {
    await embedder.close();
  }
  log(`query embedder alone, new queries at ${connections} concurrent: ${fmtRate(embedRate)}/s`);

  const best = (size: number, code: string, pick: (r: (typeof results)[number]) => number) =>
    Math.min(...results.filter((r) => r.size === size && r.code === code).map(pick));
  const rows: string[][] = [];
  for (const size of [...sizes].reverse()) {
    for (const mode of modes) {
      const row = [size.toLocaleString("en-US"), mode];
      for (const code of codeRoots) row.push(fmtMs(best(size, code.name, (r) => r.modes[mode]!.p50)), fmtMs(best(size, code.name, (r) => r.modes[mode]!.p99)));
      if (codeRoots.length === 2) row.push(fmtRatio(best(size, "after", (r) => r.modes[mode]!.p50) / best(size, "before", (r) => r.modes[mode]!.p50)));
      rows.push(row);
    }
    const rateRow = [size.toLocaleString("en-US"), `hybrid at ${connections} concurrent (searches/s)`];
    for (const code of codeRoots) rateRow.push(fmtRate(-best(size, code.name, (r) => -r.rate)), "");
    if (codeRoots.length === 2) rateRow.push(fmtRatio(best(size, "after", (r) => -r.rate) / best(size, "before", (r) => -r.rate)));
    rows.push(rateRow);
  }
  log("");
  log(
    formatTable({
      title: `Search CPU in-process, query vector cached, result cache bypassed (best of ${rounds} alternating rounds; ${cpus().length} cores)`,
      headers: ["memories", "mode", ...codeRoots.flatMap((c) => [`${c.name} p50`, `${c.name} p99`]), ...(codeRoots.length === 2 ? ["after / before"] : [])],
      rows,
      notes: [
        `- query embedder alone (worker + micro-batcher), new queries at ${connections} concurrent: ${fmtRate(embedRate)}/s`,
        `- answers identical across code versions: ${results.every((r) => r.same)}`,
      ],
    }),
  );
} finally {
  for (const dir of dirs.values()) if (existsSync(dir)) removeDir(dir);
}
