/**
 * `npx vite-node bench/retrievalBench.ts -- --sizes 10000,100000 [--queries 200] [--batch 500] [--keep]`:
 * search latency and ANN recall on real embeddings (all-MiniLM-L6-v2, ONNX) of LoCoMo turns plus
 * synthetic memories, ingested through the ledger into one cube. Every latency sits beside a baseline
 * taken in the same run: BM25 for the search modes, the exact scan for the ANN index.
 *
 * Embeddings are cached in .cache/bench/embeddings.db (computed once, ~2–10 min per 100k texts here);
 * each data directory starts from a copy of that cache, so ingestion and rebuilds hit it.
 * The log is written with durability "normal" (setup speed; searches never write the log).
 * BENCH_DIR=<dir> puts the data directories elsewhere than os.tmpdir(); --keep leaves them there.
 */
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { cachedEmbedder, openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import type { SearchRequest, SearchResponse } from "../src/search/searchRequest.js";
import { ANN_INDEX_DEFAULTS, createAnnIndex } from "../src/vectorIndex/annIndex.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, passFail, summarize, type Summary, type Table, writeResults } from "./stats.js";
import { benchCorpus, benchQueries, cachedVectors, copyEmbeddingCache, locomoMemories, measuredRevision, shuffled, warmEmbeddingCache, type BenchQuery, type WarmedCache } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  // vite-node passes the "--" separator through; parseArgs would read everything after it as positionals.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    sizes: { type: "string", default: "10000,100000" },
    queries: { type: "string", default: "200" },
    batch: { type: "string", default: "500" },
    keep: { type: "boolean", default: false },
  },
});
const sizes = args.sizes.split(",").map((s) => Number(s.trim()));
const queryCount = Number(args.queries);
const batchSize = Number(args.batch);
const K = 10;
const WARMUP = 20;
const cubeId = "bench";
/** A topic tag carried by about 10% of the synthetic memories. */
const filterTag = "travel";
const targets = { p50Ms: 10, p99Ms: 50, recall: 0.95, atSize: 100_000 } as const;
const modes = ["bm25", "vector", "hybrid"] as const;
type Mode = (typeof modes)[number];

interface Scope {
  readonly name: string;
  readonly request: (midPosition: number) => Partial<SearchRequest>;
}
const scopes: readonly Scope[] = [
  { name: "all", request: () => ({}) },
  { name: `tag "${filterTag}" (~10%)`, request: () => ({ filters: { tags: [filterTag] } }) },
  { name: "as of mid-ingest", request: (mid) => ({ asOf: { position: mid } }) },
];

interface LatencyRow {
  readonly size: number;
  readonly scope: string;
  readonly mode: Mode;
  readonly summary: Summary;
  readonly bm25P50: number;
}

interface SizeResult {
  readonly size: number;
  readonly filterShare: number;
  readonly midPosition: number;
  readonly ingestSeconds: number;
  readonly events: number;
  readonly catchUpAfterLastAppend: Readonly<Record<string, number>>;
  readonly latency: readonly LatencyRow[];
  readonly withEmbedding: readonly { mode: Mode; summary: Summary; cachedP50: number }[];
  readonly embedCost: { readonly cacheHit: Summary; readonly onnx: Summary; readonly sameVector: number };
  readonly ann: readonly { path: string; summary: Summary; recall: number }[];
  readonly exactP50: number;
  readonly indexBuild: { readonly points: number; readonly seconds: number };
  readonly quality: readonly { mode: Mode; locomoRecall: number; syntheticHit: number }[];
}

const log = (line: string) => console.log(line);

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const started = nowMs();
  const value = await f();
  return [value, nowMs() - started];
}

/** Latency of each query through ledger.search, after untimed warm-up queries of the same shape. */
async function searchLatency(ledger: MemLedger, queries: readonly string[], request: Partial<SearchRequest>, mode: Mode, warmupTexts: readonly string[]) {
  const search = (query: string) => ledger.search({ query, cubeIds: [cubeId], topK: K, mode, ...request });
  for (const text of warmupTexts) await search(text);
  const durations: number[] = [];
  const responses: SearchResponse[] = [];
  for (const query of queries) {
    const [response, ms] = await timed(() => search(query));
    if (response.behind !== undefined) throw new Error(`search answered ${response.behind} events behind the log; the benchmark waits for catch-up first, so this is a bug`);
    durations.push(ms);
    responses.push(response);
  }
  return { summary: summarize(durations), responses };
}

/** LoCoMo: mean share of a question's evidence turns in the top 10; synthetic: share of questions whose memory is in the top 10. */
function quality(queries: readonly BenchQuery[], responses: readonly SearchResponse[]): { locomoRecall: number; syntheticHit: number } {
  let locomo = 0;
  let locomoN = 0;
  let synthetic = 0;
  let syntheticN = 0;
  queries.forEach((query, i) => {
    const hits = responses[i]!.results;
    if (query.kind === "locomo") {
      const found = new Set(hits.map((h) => h.memory.content?.metadata.diaId));
      locomo += query.expected.filter((e) => found.has(e)).length / query.expected.length;
      locomoN += 1;
    } else {
      synthetic += hits.some((h) => h.memory.content?.text === query.expected[0]) ? 1 : 0;
      syntheticN += 1;
    }
  });
  return { locomoRecall: locomoN ? locomo / locomoN : Number.NaN, syntheticHit: syntheticN ? synthetic / syntheticN : Number.NaN };
}

/** Embedder for reopening the vector read model read-only: it must name the same model, and never embeds. */
function readOnlyEmbedder(modelId: string, dimensions: number): Embedder {
  return {
    modelId,
    dimensions,
    embed: () => Promise.reject(new Error("the benchmark reopened the vector read model read-only; nothing should embed")),
    close: async () => undefined,
  };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += a[i]! * b[i]!;
  return dot;
}

async function runSize(size: number, queries: readonly BenchQuery[], warmed: WarmedCache): Promise<SizeResult> {
  log(`\n## ${size.toLocaleString("en-US")} memories`);
  const corpus = shuffled(benchCorpus(size), size);
  const filterShare = corpus.filter((m) => m.tags.includes(filterTag)).length / size;
  const dir = tempDir(`retrieval-${size}`);
  await copyEmbeddingCache(join(dir, "embeddings.db"));
  const ledger = await openMemLedger({
    dataDir: dir,
    eventStore: { kind: "sqlite", durability: "normal" },
    embedder: { kind: "onnx", modelDir: warmed.modelDir },
    worker: false,
  });
  let open = true;
  try {
    await ledger.cubes.create({ cubeId, name: "retrieval bench", owner: { kind: "agent", id: "bench" } });

    // Ingest: sync adds run the embedding step (a cache hit) and activate each unit before returning.
    let midPosition = 0;
    const ingestStarted = nowMs();
    for (let start = 0; start < size; start += batchSize) {
      const batch = corpus.slice(start, start + batchSize);
      await ledger.memories.add(cubeId, { mode: "sync", memories: batch.map((m) => ({ text: m.text, tags: [...m.tags], metadata: m.metadata })) });
      const done = start + batch.length;
      if (midPosition === 0 && done >= size / 2) midPosition = (await ledger.readModels.lag())[0]!.head;
      if (done % 10_000 === 0) log(`  ingested ${done.toLocaleString("en-US")} (${((nowMs() - ingestStarted) / 1000).toFixed(0)} s)`);
    }
    const lastAppend = nowMs();
    const ingestSeconds = (lastAppend - ingestStarted) / 1000;

    // How long each read model needs after the last append to fold everything (the vector one includes HNSW inserts).
    const catchUpAfterLastAppend: Record<string, number> = {};
    for (;;) {
      const lags = await ledger.readModels.lag();
      for (const lag of lags) if (lag.behind === 0 && catchUpAfterLastAppend[lag.name] === undefined) catchUpAfterLastAppend[lag.name] = (nowMs() - lastAppend) / 1000;
      if (lags.every((l) => l.behind === 0)) break;
      if (nowMs() - lastAppend > 30 * 60_000) throw new Error(`read models still behind after 30 min: ${JSON.stringify(lags)}`);
      await new Promise((wake) => setTimeout(wake, 25));
    }
    const events = (await ledger.readModels.lag())[0]!.head;
    log(`  ingest ${ingestSeconds.toFixed(1)} s (as-of position ${midPosition}); caught up after last append: ${JSON.stringify(catchUpAfterLastAppend)}`);

    const texts = queries.map((q) => q.text);
    const warmupTexts = texts.slice(0, WARMUP);
    const latency: LatencyRow[] = [];
    let plainResponses = new Map<Mode, SearchResponse[]>();
    for (const scope of scopes) {
      const perMode = new Map<Mode, Summary>();
      for (const mode of modes) {
        const { summary, responses } = await searchLatency(ledger, texts, scope.request(midPosition), mode, warmupTexts);
        perMode.set(mode, summary);
        if (scope === scopes[0]) plainResponses.set(mode, responses);
        log(`  ${scope.name} ${mode}: p50 ${fmtMs(summary.p50)} p99 ${fmtMs(summary.p99)}`);
      }
      for (const mode of modes) latency.push({ size, scope: scope.name, mode, summary: perMode.get(mode)!, bm25P50: perMode.get("bm25")!.p50 });
    }

    // Trailing spaces change the cache key (sha256 of the text) but not the tokens, BM25 terms or vector: a fresh query that costs one real embedding.
    const withEmbedding: { mode: Mode; summary: Summary; cachedP50: number }[] = [];
    for (const [i, mode] of (["vector", "hybrid"] as const).entries()) {
      const suffix = " ".repeat(i + 2);
      const { summary } = await searchLatency(ledger, texts.map((t) => t + suffix), {}, mode, warmupTexts.map((t) => `${t}${" ".repeat(10)}`));
      withEmbedding.push({ mode, summary, cachedP50: latency.find((r) => r.scope === scopes[0]!.name && r.mode === mode)!.summary.p50 });
      log(`  ${mode} with query embedding: p50 ${fmtMs(summary.p50)} p99 ${fmtMs(summary.p99)}`);
    }

    // What the query embedder costs on a hit (what the cached searches paid) and on a miss (a real ONNX run).
    const raw = await openOnnxEmbedder({ modelDir: warmed.modelDir });
    const cache = openEmbeddingCache(join(dir, "embeddings.db"));
    const cached = cachedEmbedder(raw, cache);
    const hitDurations: number[] = [];
    const onnxDurations: number[] = [];
    let sameVector = 1;
    for (const text of warmupTexts) await raw.embed([text]);
    for (const text of texts) {
      const [[hit], hitMs] = await timed(() => cached.embed([text]));
      const [[fresh], onnxMs] = await timed(() => raw.embed([`${text} `]));
      hitDurations.push(hitMs);
      onnxDurations.push(onnxMs);
      sameVector = Math.min(sameVector, cosine(hit!, fresh!));
    }
    cache.close();
    await raw.close();
    const embedCost = { cacheHit: summarize(hitDurations), onnx: summarize(onnxDurations), sameVector };

    const qualityRows = modes.map((mode) => ({ mode, ...quality(queries, plainResponses.get(mode)!) }));
    plainResponses = new Map();
    await ledger.close();
    open = false;

    // The vector read model as the ledger left it (its HNSW file reloaded), against its own exact scan.
    const vectorFile = join(dir, "readmodels", readFileSync(join(dir, "readmodels", "vector.current"), "utf8").trim());
    const labelsDb = new Database(vectorFile, { readonly: true });
    const labels = (labelsDb.prepare("SELECT content_pos AS p FROM vector_items ORDER BY content_pos").all() as { p: number }[]).map((r) => r.p);
    const store = openSqliteVectorStore(vectorFile, readOnlyEmbedder(warmed.modelId, warmed.dimensions));
    const queryVectors = cachedVectors(warmed.modelId, texts);
    const runPath = async (search: (q: Float32Array) => Promise<{ label: number }[]>) => {
      for (const q of queryVectors.slice(0, WARMUP)) await search(q);
      const durations: number[] = [];
      const results: number[][] = [];
      for (const q of queryVectors) {
        const started = nowMs();
        const hits = await search(q);
        durations.push(nowMs() - started);
        results.push(hits.slice(0, K).map((h) => h.label));
      }
      return { summary: summarize(durations), results };
    };
    const exact = await runPath((q) => store.searchExact(q, K, labels));
    const recallOf = (results: number[][]) => {
      let found = 0;
      results.forEach((r, i) => {
        const truth = new Set(exact.results[i]);
        found += r.filter((l) => truth.has(l)).length;
      });
      return found / (results.length * K);
    };
    const annK = await runPath((q) => store.search(q, K));
    const annPool = await runPath((q) => store.search(q, 200));
    const ann = [
      { path: `exact scan over ${labels.length.toLocaleString("en-US")} vectors (baseline)`, summary: exact.summary, recall: 1 },
      { path: `HNSW, k ${K} (efSearch ${ANN_INDEX_DEFAULTS.efSearch})`, summary: annK.summary, recall: recallOf(annK.results) },
      { path: "HNSW, k 200 (what vector/hybrid search asks for; top 10 of it compared)", summary: annPool.summary, recall: recallOf(annPool.results) },
    ];
    store.close();

    // Index build alone: the same vectors, in the same order, into a fresh index (what a vector rebuild pays besides SQL and decoding).
    const buildStarted = nowMs();
    const index = createAnnIndex({ dimensions: warmed.dimensions, initialCapacity: labels.length });
    const rows = labelsDb.prepare("SELECT content_pos AS p, embedding AS e FROM vector_items ORDER BY content_pos").iterate() as IterableIterator<{ p: number; e: Buffer }>;
    for (const row of rows) index.add(row.p, new Float32Array(Uint8Array.from(row.e).buffer));
    const indexBuild = { points: labels.length, seconds: (nowMs() - buildStarted) / 1000 };
    labelsDb.close();
    log(`  ANN recall@10 ${ann[1]!.recall.toFixed(3)}; index build ${indexBuild.seconds.toFixed(1)} s`);

    return { size, filterShare, midPosition, ingestSeconds, events, catchUpAfterLastAppend, latency, withEmbedding, embedCost, ann, exactP50: exact.summary.p50, indexBuild, quality: qualityRows };
  } finally {
    if (open) await ledger.close();
    if (args.keep) log(`  kept data directory ${dir}`);
    else removeDir(dir);
  }
}

function tables(results: readonly SizeResult[], warmed: WarmedCache): Table[] {
  const n = (x: number) => x.toLocaleString("en-US");
  const largest = results.find((r) => r.size === targets.atSize) ?? results[results.length - 1]!;
  const plain = (r: SizeResult, mode: Mode) => r.latency.find((l) => l.scope === scopes[0]!.name && l.mode === mode)!.summary;
  return [
    {
      title: "Targets",
      headers: ["target", "wanted", "measured", "result"],
      rows: [
        ...modes.flatMap((mode) => [
          [`${mode} search p50 at ${n(largest.size)}, query embedding excluded`, `< ${targets.p50Ms} ms`, fmtMs(plain(largest, mode).p50), passFail(plain(largest, mode).p50 < targets.p50Ms)],
          [`${mode} search p99 at ${n(largest.size)}, query embedding excluded`, `< ${targets.p99Ms} ms`, fmtMs(plain(largest, mode).p99), passFail(plain(largest, mode).p99 < targets.p99Ms)],
        ]),
        [`ANN recall@10 vs exact at ${n(largest.size)}`, `≥ ${targets.recall}`, largest.ann[1]!.recall.toFixed(3), passFail(largest.ann[1]!.recall >= targets.recall)],
      ],
      notes: ["Filtered and as-of searches have no stated target; their figures are in the latency table."],
    },
    {
      title: "Setup: corpus, embeddings, ingest",
      headers: ["memories", "log events", "ingest (sync adds of " + batchSize + ")", "memories/s", "read models caught up after last append", `HNSW build alone (m ${ANN_INDEX_DEFAULTS.m}, efConstruction ${ANN_INDEX_DEFAULTS.efConstruction})`],
      rows: results.map((r) => [
        n(r.size),
        n(r.events),
        `${r.ingestSeconds.toFixed(1)} s`,
        fmtRate(r.size / r.ingestSeconds),
        Object.entries(r.catchUpAfterLastAppend).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(", "),
        `${r.indexBuild.seconds.toFixed(1)} s (${fmtRate(r.indexBuild.points / r.indexBuild.seconds)} points/s)`,
      ]),
      notes: [
        `- corpus: the ${n(locomoMemories().length)} LoCoMo turns ("speaker: text") + deterministic synthetic memories (10 topics × 3 templates; the topic is the tag), shuffled with a fixed seed; a smaller corpus is a subset of a larger one`,
        `- embeddings: ${warmed.modelId} (ONNX, ${warmed.modelDir}); ${n(warmed.texts)} distinct texts in ${warmed.path}; this run embedded ${n(warmed.embedded)} new ones in ${warmed.embedSeconds.toFixed(1)} s${warmed.embedded ? ` (${fmtRate(warmed.embedded / warmed.embedSeconds)} texts/s)` : ""}, cache lookup of all took ${warmed.lookupSeconds.toFixed(1)} s`,
        "- ingest: `memories.add(cube, { mode: \"sync\" })` through the ledger, event store durability \"normal\", embedding step answered by the embedding cache (a copy of the warmed cache per data directory); read models project concurrently",
        "- 'caught up after last append': time from the last add returning until each read model's checkpoint reached the head",
      ],
    },
    {
      title: "Search latency, query embedding excluded (query vector cached)",
      headers: ["memories", "scope", "mode", "p50", "p99", "mean", "p50 / bm25 p50"],
      rows: results.flatMap((r) =>
        r.latency.map((l) => [n(r.size), l.scope === `tag "${filterTag}" (~10%)` ? `tag "${filterTag}" (${(r.filterShare * 100).toFixed(1)}%)` : l.scope, l.mode, fmtMs(l.summary.p50), fmtMs(l.summary.p99), fmtMs(l.summary.mean), fmtRatio(l.summary.p50 / l.bm25P50)]),
      ),
      notes: [
        `- ${queryCount} queries (LoCoMo questions + synthetic paraphrase questions), top ${K}, ${WARMUP} untimed warm-up searches per row; each search is one \`ledger.search\` call (read-your-writes check, planning, retrieval, fusion, MMR)`,
        "- the query's vector comes from the embedding cache (sha256 + one SQLite lookup; cost in the embedding table)",
        `- as of mid-ingest: \`asOf: { position }\` at the log head after half of the memories were added (${results.map((r) => `${n(r.size)}: position ${n(r.midPosition)}`).join(", ")})`,
      ],
    },
    {
      title: "Search latency including query embedding",
      headers: ["memories", "mode", "p50", "p99", "p50 / cached-query p50"],
      rows: results.flatMap((r) => r.withEmbedding.map((w) => [n(r.size), w.mode, fmtMs(w.summary.p50), fmtMs(w.summary.p99), fmtRatio(w.summary.p50 / w.cachedP50)])),
      notes: ["- the same queries with trailing spaces: a new cache key, so each search runs the ONNX model once; the tokens, BM25 terms and vector are unchanged (see min cosine below)"],
    },
    {
      title: "Query embedding cost (one query per call)",
      headers: ["memories", "path", "p50", "p99"],
      rows: results.flatMap((r) => [
        [n(r.size), "embedding cache hit (cachedEmbedder)", fmtMs(r.embedCost.cacheHit.p50), fmtMs(r.embedCost.cacheHit.p99)],
        [n(r.size), "ONNX model, single text", fmtMs(r.embedCost.onnx.p50), fmtMs(r.embedCost.onnx.p99)],
      ]),
      notes: results.map((r) => `- ${n(r.size)}: min cosine between a cached query vector and the fresh embedding of the same text with a trailing space: ${r.embedCost.sameVector.toFixed(6)}`),
    },
    {
      title: "ANN index vs exact scan (vector read model reloaded from disk)",
      headers: ["memories", "path", "p50", "p99", "p50 / exact p50", `recall@${K} vs exact`],
      rows: results.flatMap((r) => r.ann.map((a) => [n(r.size), a.path, fmtMs(a.summary.p50), fmtMs(a.summary.p99), fmtRatio(a.summary.p50 / r.exactP50), a.recall.toFixed(3)])),
      notes: [`- ${queryCount} query vectors (the real embeddings of the benchmark questions), ${WARMUP} warm-up searches; \`VectorStore.search\` vs \`VectorStore.searchExact\` over every label`],
    },
    {
      title: "Result quality (sanity check that the timed searches return the right things)",
      headers: ["memories", "mode", "LoCoMo evidence recall@10 (cat 1–4)", "synthetic paraphrase hit@10"],
      rows: results.flatMap((r) => r.quality.map((q) => [n(r.size), q.mode, q.locomoRecall.toFixed(3), q.syntheticHit.toFixed(3)])),
      notes: ["- LoCoMo: share of each question's evidence turns among the top 10, averaged; the other memories are distractors. Synthetic: share of paraphrase questions whose source memory is in the top 10"],
    },
  ];
}

async function main(): Promise<void> {
  const started = nowMs();
  const revision = measuredRevision();
  const queries = benchQueries(Math.round(queryCount * 0.75), queryCount - Math.round(queryCount * 0.75), Math.min(...sizes) - locomoMemories().length);
  const largest = Math.max(...sizes);
  log(`# retrieval benchmark: sizes ${sizes.join(", ")}, ${queries.length} queries`);
  log("embedding cache…");
  const warmed = await warmEmbeddingCache([...benchCorpus(largest).map((m) => m.text), ...queries.map((q) => q.text)], log);
  log(`  ${warmed.embedded} new embeddings in ${warmed.embedSeconds.toFixed(1)} s`);

  const results: SizeResult[] = [];
  for (const size of sizes) results.push(await runSize(size, queries, warmed));

  const dir = process.env.BENCH_DIR ?? tmpdir();
  const facts = [
    `- date: ${new Date().toISOString()}; total run ${((nowMs() - started) / 1000).toFixed(0)} s`,
    `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; shared and noisy, so compare ratios`,
    `- data directories in ${dir}`,
    `- code: ${revision}`,
  ];
  const markdown = ["# Retrieval benchmark", facts.join("\n"), ...tables(results, warmed).map(formatTable)].join("\n\n");
  console.log(`\n${markdown}`);
  console.log(`\nwritten to ${writeResults("retrieval", markdown)}`);
}

await main();
