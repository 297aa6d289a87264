/**
 * `npx vite-node bench/filteredSearchBench.ts -- [--memories 100000] [--queries 100] [--dims 384]
 *   [--modes bm25,vector,hybrid] [--against postFilter|json_each] [--dir <data dir>]
 *   [--concurrency 1,4,16] [--embedder synthetic|onnx] [--only <filter name part>]`:
 * tag- and metadata-filtered search (issue 17) at several selectivities. Every row runs the same
 * queries twice in the same run against the same files: with the search's filter planning
 * (exact within small sets, the matching set pushed into the ANN walk and BM25 for medium ones,
 * post-filtering for large ones: src/search/filterPlan.ts) and with `--against`: the strategy
 * before it (`postFilter`: over-fetch and filter) or the old json_each scan of each row's JSON.
 * The vector mode's rows give recall@10 against an exact scan of the matching set, both paths.
 *
 * The read models are filled by applying projection events directly (no log, no ingestion):
 * what is measured is the search, not the setup. Texts are drawn from a Zipf-like vocabulary so
 * BM25 has work to do; vectors are deterministic topic centroids plus noise (no model: the
 * retrievers' costs, not their quality, are measured here). Query embedding is not included,
 * except in the throughput table (`--concurrency`), where each query is embedded as part of it
 * (`--embedder onnx`: the product's default model, bge-small-en-v1.5 int8 from .cache/models, the same
 * 384 dimensions; `--model-dir` picks another).
 *
 * `--dir` keeps the read models and reuses them on the next run with the same --memories and
 * --dims (the 100k setup takes minutes on a loaded machine). With QDRANT_URL set, the vectors are
 * also loaded into Qdrant and every hybrid row is measured with Qdrant as the vector read model
 * beside the embedded HNSW, in the same run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Envelope } from "../projections/envelope.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { defaultEmbeddingModelDir } from "../src/embedding/embeddingModelDir.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { openSqliteLexicalStore, type LexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";
import type { MemoryFilters } from "../src/readModels/memoryView/memoryFilterSql.js";
import { openSqliteMemoryViewStore, type MemoryViewStore } from "../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { qdrantVectorReadModel } from "../src/readModels/vector/qdrantVectorStore.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import type { VectorReadModel } from "../src/readModels/vector/vectorReadModel.js";
import { hybridSearch, type PlannedSearch, type SearchReadModels } from "../src/search/hybridSearch.js";
import { defaultRetrieverWeights, defaultRrfK } from "../src/search/normalizeSearchRequest.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRate, fmtRatio, formatTable, nowMs, rng, summarize, writeResults, type Summary } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    memories: { type: "string", default: "100000" },
    queries: { type: "string", default: "100" },
    dims: { type: "string", default: "384" },
    modes: { type: "string", default: "bm25,vector,hybrid" },
    against: { type: "string", default: "postFilter" },
    dir: { type: "string" },
    concurrency: { type: "string", default: "" },
    embedder: { type: "string", default: "synthetic" },
    "model-dir": { type: "string", default: defaultEmbeddingModelDir },
    "bm25-thread-ab": { type: "boolean", default: false },
    only: { type: "string", default: "" },
  },
});
const memoryCount = Number(args.memories);
const queryModelDir = args["model-dir"];
const queryCount = Number(args.queries);
const dims = Number(args.dims);
const modes = args.modes.split(",").map((m) => m.trim()) as ("bm25" | "vector" | "hybrid")[];
const against = args.against as "postFilter" | "json_each";
if (against !== "postFilter" && against !== "json_each") throw new Error(`--against must be postFilter or json_each, not ${against}`);
const concurrencyLevels = args.concurrency
  .split(",")
  .filter((c) => c.trim() !== "")
  .map(Number);
const qdrantUrl = process.env.QDRANT_URL;
const cubeId = "bench";
const topics = 20;
const warmup = 10;
const vocabulary = Array.from({ length: 5_000 }, (_, i) => `w${i.toString(36)}`);
/** Tags carried by about this share of the units (drawn independently). */
const tagShares = { "sel-0.1": 0.001, "sel-1": 0.01, "sel-10": 0.1, "sel-50": 0.5 } as const;

const random = rng(17);
const word = () => vocabulary[Math.floor(vocabulary.length * Math.pow(random(), 2.5))]!;
const centroids = Array.from({ length: topics }, () => Float32Array.from({ length: dims }, () => random() - 0.5));
function normalised(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
/** A text's vector: its topic's centroid (named in the text) plus noise seeded by the text, so equal texts get equal vectors. */
function vectorOf(text: string): Float32Array {
  const topic = Number(/^t(\d+)/.exec(text)?.[1] ?? 0) % topics;
  let seed = 0;
  for (let i = 0; i < text.length; i++) seed = (seed * 31 + text.charCodeAt(i)) >>> 0;
  const noise = rng(seed);
  return normalised(centroids[topic]!.map((x) => x + (noise() - 0.5) * 0.8));
}
const embedder: Embedder = { modelId: `bench-synthetic-${dims}`, dimensions: dims, embed: async (texts) => texts.map(vectorOf), close: async () => {} };

function eventsFor(i: number, position: number): ProjectionEvent[] {
  const memoryId = `m${i.toString().padStart(7, "0")}`;
  const tags = Object.entries(tagShares).flatMap(([tag, share]) => (random() < share ? [tag] : []));
  const text = `t${Math.floor(random() * topics)} ${Array.from({ length: 12 }, word).join(" ")}`;
  const envelope = (offset: number, type: string): Envelope => ({
    eventId: `e${position + offset}`,
    type,
    schemaVersion: 1,
    streamId: `memory-${memoryId}`,
    revision: offset + 1,
    position: position + offset,
    metadata: { tenantId: "default", cubeId, actor: "bench", correlationId: "bench", recordedAt: new Date(Date.UTC(2025, 0, 1) + position * 1000).toISOString() },
  });
  return [
    {
      kind: "memory",
      envelope: envelope(0, "MemoryCreated"),
      event: {
        type: "MemoryCreated",
        data: { memoryId, cubeId, content: { text, tags, sources: [], metadata: { bucket: `b${i % 10}`, rank: i % 3 } }, attributes: { memoryType: "long_term", confidence: 1, visibility: "cube" } },
      },
    },
    { kind: "memory", envelope: envelope(1, "MemoryActivated"), event: { type: "MemoryActivated", data: { memoryId } } },
  ];
}

/** The read models' directory and whether it already holds this data set. */
function dataDir(): { dir: string; reuse: boolean; keep: boolean } {
  if (args.dir === undefined) return { dir: tempDir("filtered-search"), reuse: false, keep: false };
  const dir = resolve(args.dir);
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, "bench-data.json");
  const reuse = existsSync(marker) && readFileSync(marker, "utf8") === JSON.stringify({ memoryCount, dims });
  return { dir, reuse, keep: true };
}

const { dir, reuse, keep } = dataDir();
try {
  const setupStart = nowMs();
  const view = openSqliteMemoryViewStore(join(dir, "memory_view.db"));
  const lexical = openSqliteLexicalStore(join(dir, "lexical.db"));
  const vector = openSqliteVectorStore(join(dir, "vector.db"), embedder);
  const qdrantDefinition = qdrantUrl ? qdrantVectorReadModel({ url: qdrantUrl, embedder, collectionPrefix: `bench_filtered_${Date.now().toString(36)}` }) : undefined;
  const qdrantFile = join(dir, "qdrant-generation-1.db");
  const qdrant = qdrantDefinition ? await qdrantDefinition.open(qdrantFile) : undefined;
  const batchSize = 2_000;
  // Replaying the same deterministic events keeps the generator's state identical whether or not the files are reused.
  for (let done = 0; done < memoryCount; done += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, memoryCount - done) }, (_, j) => eventsFor(done + j, 1 + (done + j) * 2)).flat();
    if (!reuse) {
      view.apply(batch);
      lexical.apply(batch);
      await vector.prepare?.(batch);
      await vector.apply(batch);
    }
    if (qdrant) {
      await qdrant.prepare?.(batch);
      await qdrant.apply(batch);
    }
  }
  if (keep && !reuse) writeFileSync(join(dir, "bench-data.json"), JSON.stringify({ memoryCount, dims }));
  const setupSeconds = (nowMs() - setupStart) / 1000;
  console.log(`setup ${setupSeconds.toFixed(0)} s (${reuse ? "read models reused from" : "read models built in"} ${dir})`);
  const scanned = against === "json_each" ? openSqliteMemoryViewStore(join(dir, "memory_view.db"), { jsonFilterScan: true }) : view;
  const shareOf = (filters: MemoryFilters) => view.countMatching({ ...filters, cubeIds: [cubeId] }) / memoryCount;

  const scopes: { name: string; filters: Omit<MemoryFilters, "cubeIds"> }[] = [
    { name: "none", filters: {} },
    ...Object.keys(tagShares).map((tag) => ({ name: `tag ${tag}`, filters: { tags: [tag] } })),
    { name: "metadata bucket=b3", filters: { metadata: { bucket: "b3" } } },
    { name: "tag sel-10 + metadata bucket=b3", filters: { tags: ["sel-10"], metadata: { bucket: "b3" } } },
  ];
  const queries = Array.from({ length: queryCount + warmup }, () => `${word()} ${word()} ${word()}`);
  const queryVectors = await embedder.embed(queries.map((q, i) => `t${i % topics} ${q}`));
  const plan = (query: string, mode: "bm25" | "vector" | "hybrid", filters: Omit<MemoryFilters, "cubeIds">): PlannedSearch => ({
    query,
    cubeIds: [cubeId],
    topK: 10,
    mode,
    // As the request normaliser sets them: every search names its statuses.
    filters: { ...filters, statuses: ["activated", "frozen"] },
    // Vector mode profiles the retriever alone and is scored for recall: no MMR reordering.
    mmrLambda: mode === "vector" ? 1 : 0.9,
    graphHops: 0,
    rerank: false,
    weights: defaultRetrieverWeights,
    rrfK: defaultRrfK,
  });
  type Path = { readonly memoryView: MemoryViewStore; readonly vector: VectorReadModel; readonly filterStrategy: "planned" | "postFilter" };
  const measure = async (path: Path, mode: "bm25" | "vector" | "hybrid", filters: Omit<MemoryFilters, "cubeIds">) => {
    const durations: number[] = [];
    const ids: string[][] = [];
    for (let q = 0; q < queries.length; q++) {
      const queryEmbedder: Embedder = { ...embedder, embed: async () => [queryVectors[q]!] };
      const models: SearchReadModels = { memoryView: path.memoryView, lexical, vector: path.vector, queryEmbedder, filterStrategy: path.filterStrategy };
      const started = nowMs();
      const hits = await hybridSearch(models, plan(queries[q]!, mode, filters));
      if (q >= warmup) durations.push(nowMs() - started);
      ids.push(hits.map((h) => h.memory.memoryId));
    }
    return { summary: summarize(durations), ids };
  };
  /** Recall@10 of vector-mode answers against an exact scan of every matching content version. */
  const recallOf = async (ids: readonly string[][], filters: Omit<MemoryFilters, "cubeIds">) => {
    const scoped = { ...filters, cubeIds: [cubeId] };
    const positions = view.contentPositionsMatching(scoped, undefined, memoryCount * 2);
    let found = 0;
    let wanted = 0;
    for (let q = warmup; q < queries.length; q++) {
      const exact = await vector.searchExact(queryVectors[q]!, 10, positions);
      const exactIds = new Set([...view.rowsForContent(exact.map((h) => h.label), scoped).values()].map((r) => r.memoryId));
      wanted += exactIds.size;
      found += ids[q]!.filter((id) => exactIds.has(id)).length;
    }
    return wanted === 0 ? 1 : found / wanted;
  };
  const overlap = (a: readonly string[][], b: readonly string[][]) => {
    let same = 0;
    let total = 0;
    a.forEach((ids, i) => {
      const other = new Set(b[i]);
      total += Math.max(ids.length, other.size);
      same += ids.filter((id) => other.has(id)).length;
    });
    return total === 0 ? 1 : same / total;
  };

  const planned: Path = { memoryView: view, vector, filterStrategy: "planned" };
  const baseline: Path = against === "json_each" ? { memoryView: scanned, vector, filterStrategy: "planned" } : { memoryView: view, vector, filterStrategy: "postFilter" };
  const rows: string[][] = [];
  const unfiltered = new Map<string, Summary>();
  const qdrantRows: string[][] = [];
  // --only <text>: just the filters whose name holds it (a quick re-measure of one row).
  for (const scope of scopes.filter((s) => s.name.includes(args.only))) {
    for (const mode of modes) {
      const now = await measure(planned, mode, scope.filters);
      const old = await measure(baseline, mode, scope.filters);
      if (scope.name === "none") unfiltered.set(mode, now.summary);
      const recall = mode === "vector" ? ` (recall ${(await recallOf(now.ids, scope.filters)).toFixed(3)} / ${(await recallOf(old.ids, scope.filters)).toFixed(3)})` : "";
      rows.push([
        scope.name,
        `${(shareOf(scope.filters) * 100).toFixed(2)} %`,
        mode,
        fmtMs(now.summary.p50),
        fmtMs(now.summary.p99),
        fmtMs(old.summary.p50),
        fmtMs(old.summary.p99),
        fmtRatio(old.summary.p50 / now.summary.p50),
        fmtRatio(old.summary.p99 / now.summary.p99),
        `${(overlap(now.ids, old.ids) * 100).toFixed(1)} %${recall}`,
      ]);
      console.log(rows.at(-1)!.join(" | "));
      if (qdrant && mode === "hybrid") {
        const remote = await measure({ memoryView: view, vector: qdrant, filterStrategy: "planned" }, mode, scope.filters);
        const remoteOld = await measure({ memoryView: view, vector: qdrant, filterStrategy: "postFilter" }, mode, scope.filters);
        qdrantRows.push([
          scope.name,
          `${(shareOf(scope.filters) * 100).toFixed(2)} %`,
          fmtMs(now.summary.p50),
          fmtMs(now.summary.p99),
          fmtMs(remote.summary.p50),
          fmtMs(remote.summary.p99),
          fmtMs(remoteOld.summary.p50),
          fmtRatio(remote.summary.p50 / now.summary.p50),
          `${(overlap(remote.ids, now.ids) * 100).toFixed(1)} %`,
        ]);
        console.log(`qdrant: ${qdrantRows.at(-1)!.join(" | ")}`);
      }
    }
  }
  const baselineName = against === "json_each" ? "json_each" : "post-filter (before)";
  const tables = [
    formatTable({
      title: `Filtered search at ${memoryCount.toLocaleString("en")} memories (${queryCount} queries per row, top 10, ${dims}-d synthetic vectors, setup ${setupSeconds.toFixed(0)} s${reuse ? ", read models reused" : ""})`,
      headers: ["filter", "matching", "mode", "planned p50", "planned p99", `${baselineName} p50`, `${baselineName} p99`, "p50 speed-up", "p99 speed-up", "same top 10 (vector: recall@10 planned / before)"],
      rows,
      notes: [
        `planned: src/search/filterPlan.ts (the matching set listed while m² < 2 × pool × 1.5 × N, exact vectors up to 5,000 of it, the ANN allow-list above, post-filter past the line); ${baselineName}: same files, same run`,
        `unfiltered: ${[...unfiltered].map(([mode, s]) => `${mode} p50 ${fmtMs(s.p50)} / p99 ${fmtMs(s.p99)}`).join(", ")}`,
      ],
    }),
  ];
  if (qdrant) {
    tables.push(
      formatTable({
        title: `Hybrid search with Qdrant (${qdrantUrl?.replace(/\/\/[^@/]*@/, "//")}) as the vector read model, beside the embedded HNSW, same run`,
        headers: ["filter", "matching", "embedded p50", "embedded p99", "Qdrant p50", "Qdrant p99", "Qdrant post-filter p50", "Qdrant / embedded (p50)", "same top 10"],
        rows: qdrantRows,
      }),
    );
  }
  if (args["bm25-thread-ab"]) tables.push(await bm25ThreadAb());
  if (concurrencyLevels.length > 0) tables.push(await throughput());
  const markdown = tables.join("\n\n");
  console.log(markdown);
  console.log(writeResults("filtered-search", markdown));
  if (scanned !== view) scanned.close();
  view.close();
  lexical.close();
  vector.close?.();
  qdrant?.close?.();
  // The run's own collection (its prefix carries the start time) goes with it.
  await qdrantDefinition?.retire(qdrantFile);
  await qdrantDefinition?.close();

  /**
   * Hybrid search with BM25 ranked on the lexical store's thread (overlapping the vector lane) against
   * BM25 ranked on the event loop as before, interleaved query by query (the order swapped every query),
   * so load drifting during the run hits both alike: unfiltered, a 10 % tag, and the two filters meeting
   * at 1 %. Then the unfiltered pair with 4 searches in flight.
   */
  async function bm25ThreadAb(): Promise<string> {
    const onLoop: LexicalStore = Object.assign(Object.create(lexical) as LexicalStore, { searchOnWorker: async (query: string, limit: number) => lexical.search(query, limit) });
    const variants = [
      { name: "own thread (now)", lexical },
      { name: "event loop (before)", lexical: onLoop },
    ];
    const search = (store: LexicalStore, q: number, filters: Omit<MemoryFilters, "cubeIds">) => {
      const queryEmbedder: Embedder = { ...embedder, embed: async () => [queryVectors[q % queryVectors.length]!] };
      return hybridSearch({ memoryView: view, lexical: store, vector, queryEmbedder }, plan(queries[q % queries.length]!, "hybrid", filters));
    };
    const rowsOut: string[][] = [];
    const notes: string[] = [];
    for (const scope of [scopes[0]!, ...scopes.filter((s) => s.name === "tag sel-10" || s.name === "tag sel-10 + metadata bucket=b3")]) {
      const durations = variants.map(() => [] as number[]);
      let same = 0;
      for (let q = 0; q < queries.length; q++) {
        const ids: string[][] = [];
        for (const v of q % 2 === 0 ? [0, 1] : [1, 0]) {
          const started = nowMs();
          const hits = await search(variants[v]!.lexical, q, scope.filters);
          if (q >= warmup) durations[v]!.push(nowMs() - started);
          ids[v] = hits.map((h) => h.memory.memoryId);
        }
        if (ids[0]!.join() === ids[1]!.join()) same += 1;
      }
      const [now, before] = durations.map((d) => summarize(d));
      rowsOut.push([scope.name, "1", `${fmtMs(now!.p50)} / ${fmtMs(now!.p99)}`, `${fmtMs(before!.p50)} / ${fmtMs(before!.p99)}`, fmtRatio(before!.p50 / now!.p50)]);
      notes.push(`${scope.name}: same top 10 on ${same} of ${queries.length} queries`);
      console.log(`bm25 thread a/b: ${rowsOut.at(-1)!.join(" | ")}`);
      if (scope.name !== "none") continue;
      const c = 4;
      const rates = variants.map(() => 0);
      for (const round of [0, 1]) {
        for (const v of round === 0 ? [0, 1] : [1, 0]) {
          let next = 0;
          const total = Math.max(queries.length, c * 25);
          const started = nowMs();
          await Promise.all(
            Array.from({ length: c }, async () => {
              for (let q = next++; q < total; q = next++) await search(variants[v]!.lexical, q, scope.filters);
            }),
          );
          rates[v] = rates[v]! + total / ((nowMs() - started) / 1000) / 2;
        }
      }
      rowsOut.push([scope.name, String(c), `${fmtRate(rates[0]!)} searches/s`, `${fmtRate(rates[1]!)} searches/s`, fmtRatio(rates[0]! / rates[1]!)]);
    }
    return formatTable({
      title: `Hybrid search at ${memoryCount.toLocaleString("en")} memories: BM25 ranked on its own thread or on the event loop (interleaved query by query, query embedding excluded)`,
      headers: ["filter", "searches in flight", "own thread (now): p50 / p99 or throughput", "event loop (before)", "now vs before"],
      rows: rowsOut,
      notes,
    });
  }

  /**
   * Searches per second with `c` searches in flight at once (each embedding its query first), and the
   * latency each search saw, beside the single-query latency. Node runs one search's synchronous parts
   * at a time, so concurrency buys overlap only of the awaits (the embedder's native run, Qdrant's I/O).
   */
  async function throughput(): Promise<string> {
    const onnx = args.embedder === "onnx" ? await openOnnxEmbedder({ modelDir: queryModelDir }) : undefined;
    // Under the index's model id: search refuses a query vector from another space, and only the embedding's cost is measured here.
    const queryEmbedder: Embedder = onnx ? { modelId: embedder.modelId, dimensions: onnx.dimensions, embed: (texts, purpose) => onnx.embed(texts, purpose), close: () => onnx.close() } : embedder;
    if (queryEmbedder.dimensions !== dims) throw new Error(`--embedder ${args.embedder} gives ${queryEmbedder.dimensions} dimensions, the index holds ${dims}`);
    const out: string[][] = [];
    for (const scope of [scopes[0]!, scopes.find((s) => s.name === "tag sel-10")!]) {
      for (const c of concurrencyLevels) {
        const total = Math.max(queryCount, c * 10);
        const latencies: number[] = [];
        let next = 0;
        const started = nowMs();
        await Promise.all(
          Array.from({ length: c }, async () => {
            for (let q = next++; q < total; q = next++) {
              const begun = nowMs();
              await hybridSearch({ memoryView: view, lexical, vector, queryEmbedder }, plan(`${queries[q % queries.length]!} ${q}`, "hybrid", scope.filters));
              latencies.push(nowMs() - begun);
            }
          }),
        );
        const seconds = (nowMs() - started) / 1000;
        const s = summarize(latencies);
        out.push([scope.name, String(c), fmtRate(total / seconds), fmtMs(s.p50), fmtMs(s.p99)]);
        console.log(`throughput: ${out.at(-1)!.join(" | ")}`);
      }
    }
    if (queryEmbedder !== embedder) await queryEmbedder.close();
    return formatTable({
      title: `Hybrid search throughput with the query embedding included (${args.embedder === "onnx" ? `${basename(queryModelDir)}, ONNX` : "synthetic embedder"}), ${memoryCount.toLocaleString("en")} memories`,
      headers: ["filter", "searches in flight", "searches / s", "latency p50", "latency p99"],
      rows: out,
      notes: ["each search embeds its query (no query cache: the query text carries its number); latency is per search, queueing included"],
    });
  }
} finally {
  if (!keep) removeDir(dir);
}
