/**
 * `npx vite-node bench/filteredSearchBench.ts -- [--memories 100000] [--queries 100] [--dims 384]`:
 * tag- and metadata-filtered search (issue 17) at several selectivities, with the indexed
 * tag/metadata tables of the memory view (projection version 2) against the old json_each scan
 * of each row's JSON (`jsonFilterScan`), both opened on the same file in the same run, and the
 * unfiltered search beside them.
 *
 * The read models are filled by applying projection events directly (no log, no ingestion):
 * what is measured is the search, not the setup. Texts are drawn from a Zipf-like vocabulary so
 * BM25 has work to do; vectors are deterministic topic centroids plus noise (no model: the
 * retrievers' costs, not their quality, are measured here). Query embedding is not included.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Envelope } from "../projections/envelope.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { openSqliteLexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";
import type { MemoryFilters } from "../src/readModels/memoryView/memoryFilterSql.js";
import { openSqliteMemoryViewStore, type MemoryViewStore } from "../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import { hybridSearch, type PlannedSearch } from "../src/search/hybridSearch.js";
import { defaultRetrieverWeights, defaultRrfK } from "../src/search/normalizeSearchRequest.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRatio, formatTable, nowMs, rng, summarize, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { memories: { type: "string", default: "100000" }, queries: { type: "string", default: "100" }, dims: { type: "string", default: "384" } },
});
const memoryCount = Number(args.memories);
const queryCount = Number(args.queries);
const dims = Number(args.dims);
const cubeId = "bench";
const topics = 20;
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

const dir = tempDir("filtered-search");
try {
  const setupStart = nowMs();
  const view = openSqliteMemoryViewStore(join(dir, "memory_view.db"));
  const lexical = openSqliteLexicalStore(join(dir, "lexical.db"));
  const vector = openSqliteVectorStore(join(dir, "vector.db"), embedder);
  const batchSize = 2_000;
  for (let done = 0; done < memoryCount; done += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, memoryCount - done) }, (_, j) => eventsFor(done + j, 1 + (done + j) * 2)).flat();
    view.apply(batch);
    lexical.apply(batch);
    await vector.prepare?.(batch);
    await vector.apply(batch);
  }
  const setupSeconds = (nowMs() - setupStart) / 1000;
  const scanned = openSqliteMemoryViewStore(join(dir, "memory_view.db"), { jsonFilterScan: true });
  const shareOf = (filters: MemoryFilters) => view.countMatching({ ...filters, cubeIds: [cubeId] }) / memoryCount;

  const scopes: { name: string; filters: Omit<MemoryFilters, "cubeIds"> }[] = [
    { name: "none", filters: {} },
    ...Object.keys(tagShares).map((tag) => ({ name: `tag ${tag}`, filters: { tags: [tag] } })),
    { name: "metadata bucket=b3", filters: { metadata: { bucket: "b3" } } },
    { name: "tag sel-10 + metadata bucket=b3", filters: { tags: ["sel-10"], metadata: { bucket: "b3" } } },
  ];
  const queries = Array.from({ length: queryCount + 10 }, () => `${word()} ${word()} ${word()}`);
  const queryVectors = await embedder.embed(queries.map((q, i) => `t${i % topics} ${q}`));
  const plan = (query: string, mode: "bm25" | "hybrid", filters: Omit<MemoryFilters, "cubeIds">): PlannedSearch => ({
    query,
    cubeIds: [cubeId],
    topK: 10,
    mode,
    filters,
    mmrLambda: 0.9,
    graphHops: 0,
    rerank: false,
    weights: defaultRetrieverWeights,
    rrfK: defaultRrfK,
  });
  const measure = async (memoryView: MemoryViewStore, mode: "bm25" | "hybrid", filters: Omit<MemoryFilters, "cubeIds">) => {
    const durations: number[] = [];
    const ids: string[][] = [];
    for (let q = 0; q < queries.length; q++) {
      const queryEmbedder: Embedder = { ...embedder, embed: async () => [queryVectors[q]!] };
      const started = nowMs();
      const hits = await hybridSearch({ memoryView, lexical, vector, queryEmbedder }, plan(queries[q]!, mode, filters));
      if (q >= 10) durations.push(nowMs() - started);
      ids.push(hits.map((h) => h.memory.memoryId));
    }
    return { summary: summarize(durations), ids };
  };

  const rows: string[][] = [];
  const unfiltered = new Map<string, number>();
  for (const scope of scopes) {
    for (const mode of ["bm25", "hybrid"] as const) {
      const now = await measure(view, mode, scope.filters);
      const old = await measure(scanned, mode, scope.filters);
      const same = now.ids.every((ids, i) => JSON.stringify(ids) === JSON.stringify(old.ids[i]));
      if (scope.name === "none") unfiltered.set(mode, now.summary.p50);
      rows.push([
        scope.name,
        `${(shareOf(scope.filters) * 100).toFixed(2)} %`,
        mode,
        fmtMs(now.summary.p50),
        fmtMs(now.summary.p99),
        fmtMs(old.summary.p50),
        fmtMs(old.summary.p99),
        fmtRatio(old.summary.p50 / now.summary.p50),
        fmtRatio(now.summary.p50 / unfiltered.get(mode)!),
        same ? "yes" : "NO",
      ]);
      console.log(rows.at(-1)!.join(" | "));
    }
  }
  const markdown = formatTable({
    title: `Filtered search at ${memoryCount.toLocaleString("en")} memories (${queryCount} queries per row, top 10, ${dims}-d synthetic vectors, setup ${setupSeconds.toFixed(0)} s)`,
    headers: ["filter", "matching", "mode", "indexed p50", "indexed p99", "json_each p50", "json_each p99", "json_each / indexed (p50)", "indexed / unfiltered (p50)", "same results"],
    rows,
    notes: ["indexed: memory_tags / memory_metadata tables (memory view projection version 2); json_each: the old scan, same file, same run (jsonFilterScan)"],
  });
  console.log(markdown);
  console.log(writeResults("filtered-search", markdown));
  view.close();
  scanned.close();
  lexical.close();
  vector.close?.();
} finally {
  removeDir(dir);
}
