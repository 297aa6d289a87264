/**
 * `npm run bench:serve [-- --quick] [--duration 30] [--connections 32] [--memories 5000] [--keep]`:
 * the real server (src/server/main.ts in a child process, embedded default, local
 * all-MiniLM-L6-v2 model) under load from autocannon on 127.0.0.1. Every figure
 * sits beside a baseline taken in the same run:
 *  - POST /search over `--memories` memories vs the same queries through ledger.search
 *    in-process (no HTTP, same data directory, same concurrency);
 *  - POST /memories vs the embedder's own batched throughput on the same texts
 *    (ONNX in-process, batches of 64), and the time the vector read model needs to
 *    embed what was created;
 *  - GET /health/live latency while each case runs; the server's RSS at start, at
 *    its peak and after 10 s idle.
 * `--quick` runs 5 s cases over 1,000 memories, for trying.
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openMemLedger } from "../src/app/memLedger.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { resolveEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, summarize, type Table, writeResults } from "./stats.js";
import { syntheticMemories } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  // vite-node passes the "--" separator through; parseArgs would read everything after it as positionals.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    connections: { type: "string", default: "32" },
    memories: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const durationS = Number(args.duration ?? (args.quick ? 5 : 30));
const connections = Number(args.connections);
const corpusSize = Number(args.memories ?? (args.quick ? 1_000 : 5_000));
const queryCount = 200;
const idleS = 10;
const targets = { createVsEmbedder: 0.7, searchRate: 3 * 90, healthP99Ms: 50 } as const;
const repoRoot = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const headers = { "content-type": "application/json", "x-actor": "user:bench" };

const log = (line: string) => console.log(line);

const modelDir = resolveEmbeddingModelDir(process.env, repoRoot);
if (!existsSync(join(modelDir, "model.onnx"))) throw new Error(`no embedding model in ${modelDir}: run npm run fetch-model first (or set MEMLEDGER_EMBEDDING_MODEL_DIR)`);
const dataDir = tempDir("memledger-serve-bench-");
const corpus = syntheticMemories(corpusSize);
const queries = corpus.filter((_, i) => i % Math.max(1, Math.floor(corpus.length / queryCount)) === 0).slice(0, queryCount).map((m) => m.question);
// Texts to create under load: distinct from the corpus and from each other, so none is served from the embedding cache.
const createTexts = syntheticMemories(2_000, 99).map((m) => m.text);
const createText = (i: number) => `${createTexts[i % createTexts.length]} (note ${i})`;

const sections: string[] = [];
let server: ChildProcess | undefined;
try {
  // ------------------------------------------------ the embedder's own batched throughput (server not running)
  const embedderRate = await embedderThroughput(Array.from({ length: args.quick ? 256 : 1_024 }, (_, i) => createText(1_000_000 + i)));
  log(`embedder alone: ${fmtRate(embedderRate)} texts/s`);

  // ------------------------------------------------ the corpus, and search without HTTP
  const inProcess = await loadCorpusAndSearchInProcess();
  log(`corpus of ${corpusSize} loaded in ${(inProcess.loadMs / 1000).toFixed(1)} s; in-process search ${fmtRate(inProcess.concurrentRate)}/s at ${connections} concurrent, p50 ${fmtMs(inProcess.sequential.p50)} alone`);

  // ------------------------------------------------ the server under load
  const port = await freePort();
  server = startServer(port);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilLive(base, server);
  await settle(2_000);
  const rssStart = rssMb(server.pid!);
  const rss = sampleRss(server.pid!);

  const search = await loadCase(base, "POST /search", () => ({
    method: "POST",
    path: "/search",
    body: JSON.stringify({ query: queries[Math.floor(Math.random() * queries.length)], cubeIds: ["bench"], topK: 10 }),
  }));
  log(`search: ${fmtRate(search.rate)}/s, p50 ${fmtMs(search.p50)}, p99 ${fmtMs(search.p99)}, health p99 ${fmtMs(search.health.p99)}, errors ${search.errors}`);
  // Every request a query not asked before: no query vector and no answer can come from a cache.
  let fresh = 0;
  const coldSearch = await loadCase(base, "POST /search, new queries", () => ({
    method: "POST",
    path: "/search",
    body: JSON.stringify({ query: `${corpus[fresh++ % corpus.length]!.question} (${fresh})`, cubeIds: ["bench"], topK: 10 }),
  }));
  log(`search, new queries: ${fmtRate(coldSearch.rate)}/s, p50 ${fmtMs(coldSearch.p50)}, p99 ${fmtMs(coldSearch.p99)}, health p99 ${fmtMs(coldSearch.health.p99)}, errors ${coldSearch.errors}`);

  let created = 0;
  const create = await loadCase(base, "POST /memories", () => ({
    method: "POST",
    path: "/memories",
    body: JSON.stringify({ cubeId: "load", text: createText(created++), userId: "bench" }),
  }));
  const createdTotal = create.requests;
  const catchUpStarted = nowMs();
  await waitForReadModels(base, 600_000);
  const catchUpMs = nowMs() - catchUpStarted;
  const endToEndRate = createdTotal / ((create.durationMs + catchUpMs) / 1000);
  log(`create: ${fmtRate(create.rate)}/s, p50 ${fmtMs(create.p50)}, p99 ${fmtMs(create.p99)}, health p99 ${fmtMs(create.health.p99)}, errors ${create.errors}; vectors caught up ${(catchUpMs / 1000).toFixed(1)} s later`);

  await settle(idleS * 1000);
  const rssIdle = rssMb(server.pid!);
  const rssPeak = rss.stop();

  sections.push(
    formatTable({
      title: `Serving under load: ${connections} connections, ${durationS} s per case, ${corpusSize.toLocaleString("en-US")} memories searched`,
      headers: ["case", "requests/s", "p50", "p99", "errors", "/health/live p99 meanwhile", "baseline (same run)", "ratio", "target"],
      rows: [
        [
          `POST /search (hybrid, top 10), ${queries.length} queries drawn at random`,
          fmtRate(search.rate),
          fmtMs(search.p50),
          fmtMs(search.p99),
          String(search.errors),
          fmtMs(search.health.p99),
          `ledger.search in-process at ${connections} concurrent: ${fmtRate(inProcess.concurrentRate)}/s (p50 ${fmtMs(inProcess.concurrent.p50)}); alone p50 ${fmtMs(inProcess.sequential.p50)}`,
          fmtRatio(search.rate / inProcess.concurrentRate),
          `≥ ${targets.searchRate}/s (3× the 90/s before): ${search.rate >= targets.searchRate ? "met" : "missed"} (${fmtRatio(search.rate / 90)} of 90/s)`,
        ],
        [
          "POST /search, every query new (no cache can answer)",
          fmtRate(coldSearch.rate),
          fmtMs(coldSearch.p50),
          fmtMs(coldSearch.p99),
          String(coldSearch.errors),
          fmtMs(coldSearch.health.p99),
          `ledger.search in-process, alone: p50 ${fmtMs(inProcess.coldSequential.p50)} (${fmtRate(1000 / inProcess.coldSequential.mean)}/s)`,
          fmtRatio(coldSearch.rate / (1000 / inProcess.coldSequential.mean)),
          `≥ ${targets.searchRate}/s: ${coldSearch.rate >= targets.searchRate ? "met" : "missed"} (${fmtRatio(coldSearch.rate / 90)} of 90/s)`,
        ],
        [
          "POST /memories (one memory each)",
          fmtRate(create.rate),
          fmtMs(create.p50),
          fmtMs(create.p99),
          String(create.errors),
          fmtMs(create.health.p99),
          `embedder alone, batches of 64: ${fmtRate(embedderRate)} texts/s`,
          fmtRatio(create.rate / embedderRate),
          `≥ ${targets.createVsEmbedder}× the embedder: ${create.rate / embedderRate >= targets.createVsEmbedder ? "met" : "missed"}`,
        ],
        [
          "… created and embedded (until the vector read model caught up)",
          fmtRate(endToEndRate),
          "",
          "",
          "",
          "",
          `embedder alone: ${fmtRate(embedderRate)} texts/s`,
          fmtRatio(endToEndRate / embedderRate),
          `caught up ${(catchUpMs / 1000).toFixed(1)} s after the load`,
        ],
      ],
      notes: [
        `Server RSS: ${rssStart.toFixed(0)} MB at start, ${rssPeak.toFixed(0)} MB at peak, ${rssIdle.toFixed(0)} MB after ${idleS} s idle (${fmtRatio(rssIdle / rssStart)} of start).`,
        `/health/live targets p99 < ${targets.healthP99Ms} ms: search ${search.health.p99 < targets.healthP99Ms ? "met" : "missed"}, new-query search ${coldSearch.health.p99 < targets.healthP99Ms ? "met" : "missed"}, create ${create.health.p99 < targets.healthP99Ms ? "met" : "missed"} (probed every 100 ms, ${search.health.n}, ${coldSearch.health.n} and ${create.health.n} probes).`,
        `Corpus: ${corpusSize} synthetic memories loaded through sync adds of 200 in ${(inProcess.loadMs / 1000).toFixed(1)} s; ${queries.length} of their questions as queries, drawn at random per request.`,
        `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at the end ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`,
      ],
    } satisfies Table),
  );
  const stopMs = await stopServer(server);
  sections.push(stopMs === undefined ? "The server did not stop within 15 s of SIGTERM and was killed." : `The server stopped cleanly ${fmtMs(stopMs)} after SIGTERM (ledger.close(), embedding worker included).`);
  const markdown = sections.join("\n\n");
  console.log(`\n${markdown}`);
  console.log(`\nwritten to ${writeResults("serve-load", markdown)}`);
} finally {
  if (server) await stopServer(server);
  if (args.keep) log(`data directory kept: ${dataDir}`);
  else removeDir(dataDir);
}

// ---------------------------------------------------------------- steps

async function embedderThroughput(texts: readonly string[]): Promise<number> {
  const embedder = await openOnnxEmbedder({ modelDir, batchSize: 64 });
  try {
    await embedder.embed(texts.slice(0, 64)); // warm-up
    const started = nowMs();
    for (let i = 0; i < texts.length; i += 64) await embedder.embed(texts.slice(i, i + 64));
    return texts.length / ((nowMs() - started) / 1000);
  } finally {
    await embedder.close();
  }
}

async function loadCorpusAndSearchInProcess() {
  const ledger = await openMemLedger({ dataDir, embedder: { kind: "onnx", modelDir } });
  try {
    await ledger.cubes.create({ cubeId: "bench", name: "bench", owner: { kind: "user", id: "bench" } });
    await ledger.cubes.create({ cubeId: "load", name: "load", owner: { kind: "user", id: "bench" } });
    const started = nowMs();
    for (let i = 0; i < corpus.length; i += 200) {
      await ledger.memories.add("bench", { mode: "sync", memories: corpus.slice(i, i + 200).map((m) => ({ text: m.text, userId: "bench" })) });
    }
    await ledger.readModels.catchUp(600_000);
    const loadMs = nowMs() - started;
    const searchOnce = async (query: string) => {
      const t0 = nowMs();
      await ledger.search({ query, cubeIds: ["bench"], topK: 10 });
      return nowMs() - t0;
    };
    for (const query of queries.slice(0, 20)) await searchOnce(query); // warm-up
    const sequential = summarize(await sequentially(queries, searchOnce));
    // New queries (never asked): what a search costs when neither the query vector nor the answer is cached.
    const coldSequential = summarize(await sequentially(corpus.slice(0, 100).map((m, i) => `${m.question} [${i}]`), searchOnce));
    const concurrentStarted = nowMs();
    const concurrentLatencies: number[] = [];
    const until = concurrentStarted + Math.min(durationS, 10) * 1000;
    await Promise.all(
      Array.from({ length: connections }, async (_, lane) => {
        for (let i = lane; nowMs() < until; i += connections) concurrentLatencies.push(await searchOnce(queries[i % queries.length]!));
      }),
    );
    const concurrentRate = concurrentLatencies.length / ((nowMs() - concurrentStarted) / 1000);
    return { loadMs, sequential, coldSequential, concurrent: summarize(concurrentLatencies), concurrentRate };
  } finally {
    await ledger.close();
  }
}

async function sequentially<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await run(item));
  return out;
}

interface CaseResult {
  readonly rate: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly durationMs: number;
  readonly health: ReturnType<typeof summarize>;
}

/** One autocannon run; a /health/live probe every 100 ms meanwhile. Errors count transport errors, timeouts and non-2xx answers. */
async function loadCase(base: string, title: string, request: () => { method: "POST"; path: string; body: string }): Promise<CaseResult> {
  const health = probeHealth(base);
  const started = nowMs();
  const result = await autocannon({
    url: base,
    connections,
    duration: durationS,
    timeout: 30,
    title,
    requests: [{ method: "POST", path: "/", headers, setupRequest: (req) => ({ ...req, ...request() }) }],
  });
  const durationMs = nowMs() - started;
  const healthLatencies = await health.stop();
  const requests = result.requests.total;
  return {
    rate: requests / (durationMs / 1000),
    requests,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    durationMs,
    health: summarize(healthLatencies),
  };
}

function probeHealth(base: string) {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = nowMs();
      const response = await fetch(`${base}/health/live`);
      await response.arrayBuffer();
      latencies.push(nowMs() - t0);
      await settle(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return latencies;
    },
  };
}

async function waitForReadModels(base: string, timeoutMs: number): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline) {
    const lags = (await (await fetch(`${base}/read-models`)).json()) as { readModels?: { behind: number }[] } | { behind: number }[];
    const list = Array.isArray(lags) ? lags : (lags.readModels ?? []);
    if (list.length > 0 && list.every((l) => l.behind === 0)) return;
    await settle(200);
  }
  throw new Error(`the read models did not catch up within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------- the server process

function startServer(port: number): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, "node_modules", "vite-node", "vite-node.mjs"), join(repoRoot, "src", "server", "main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      MEMLEDGER_DATA_DIR: dataDir,
      MEMLEDGER_HOST: "127.0.0.1",
      MEMLEDGER_PORT: String(port),
      MEMLEDGER_LOG: "off",
      MEMLEDGER_EMBEDDER: "onnx",
      MEMLEDGER_EMBEDDING_MODEL_DIR: modelDir,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return child;
}

async function waitUntilLive(base: string, child: ChildProcess): Promise<void> {
  const deadline = nowMs() + 120_000;
  while (nowMs() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before answering`);
    try {
      if ((await fetch(`${base}/health/live`)).ok) return;
    } catch {
      // not listening yet
    }
    await settle(200);
  }
  throw new Error("the server did not answer /health/live within 120 s");
}

/** SIGTERM, then SIGKILL after 15 s; resolves with how long a clean stop took (embedding worker included), or undefined if it had to be killed. */
async function stopServer(child: ChildProcess): Promise<number | undefined> {
  if (child.exitCode !== null) return 0;
  const started = nowMs();
  let killed = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, 15_000);
  await exited;
  clearTimeout(timer);
  return killed ? undefined : nowMs() - started;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) / 1024;
}

function sampleRss(pid: number) {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
