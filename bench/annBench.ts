/**
 * `npx vite-node bench/annBench.ts [--n 100000] [--dims 384] [--clusters 200] [--vectors file.f32] [--queries 200]`:
 * the ANN index (hnswlib-node HNSW) against its own exact brute-force scan, measured in the same
 * run on the same data: build time, save/load, query p50/p99 and recall@10, unfiltered and under
 * 10% and 1% selective filters.
 *
 * Without --vectors the data is a synthetic mixture of gaussian clusters, normalised (--clusters 0:
 * uniform random, the worst case). With --vectors it reads raw little-endian float32 (n × dims)
 * and holds the last --queries vectors out as queries.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ANN_INDEX_DEFAULTS, createAnnIndex, loadAnnIndex, type AnnIndex, type AnnSearchTuning } from "../src/vectorIndex/annIndex.js";
import { fmtMs, formatTable, nowMs, rng, summarize, type Table } from "./stats.js";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "10000" },
    dims: { type: "string", default: "384" },
    vectors: { type: "string" },
    queries: { type: "string", default: "200" },
    clusters: { type: "string", default: "200" },
  },
});
const K = 10;
const WARMUP_QUERIES = 20;
const queryCount = Number(args.queries);
const dimensions = Number(args.dims);

interface Dataset {
  readonly points: Float32Array[];
  readonly queries: Float32Array[];
  readonly description: string;
}

/**
 * Points scattered around random unit centres with a per-cluster spread, then normalised: real
 * embeddings cluster by topic, and uniform random vectors would be an unrealistically hard case.
 * `clusters` 0 gives those uniform random vectors, as a worst case.
 */
function syntheticClusters(count: number, clusters: number, seed: number): Dataset {
  const random = rng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const unit = (vector: Float32Array) => {
    const norm = Math.hypot(...vector);
    return vector.map((x) => x / norm);
  };
  if (clusters === 0) {
    const uniform = () => unit(Float32Array.from({ length: dimensions }, gaussian));
    return {
      points: Array.from({ length: count }, uniform),
      queries: Array.from({ length: queryCount }, uniform),
      description: "synthetic: uniform random unit vectors (no clusters), the worst case for HNSW; real embeddings are far more clustered",
    };
  }
  const centres = Array.from({ length: clusters }, () => unit(Float32Array.from({ length: dimensions }, gaussian)));
  // Noise of length 0.6–1.0 around a unit centre: cosine to the centre ≈ 0.7–0.85, to a cluster-mate ≈ 0.5–0.75.
  const spreads = centres.map(() => (0.6 + 0.4 * random()) / Math.sqrt(dimensions));
  const sample = () => {
    const cluster = Math.floor(random() * clusters);
    const centre = centres[cluster]!;
    const spread = spreads[cluster]!;
    return unit(centre.map((x) => x + spread * gaussian()));
  };
  return {
    points: Array.from({ length: count }, sample),
    queries: Array.from({ length: queryCount }, sample),
    description:
      `synthetic: ${clusters}-cluster gaussian mixture, normalised (uniform random vectors are a worst case for HNSW, unlike real embeddings; ` +
      "real embeddings may still be harder than this mixture, so check with --vectors)",
  };
}

function vectorsFromFile(file: string, limit: number): Dataset {
  const bytes = readFileSync(file);
  const total = bytes.length / (4 * dimensions);
  if (!Number.isInteger(total)) throw new Error(`${file} holds ${bytes.length} bytes, not a whole number of ${dimensions}-dimensional float32 vectors; pass the right --dims.`);
  if (total <= queryCount) throw new Error(`${file} holds ${total} vectors; need more than --queries ${queryCount}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vectorAt = (i: number) => Float32Array.from({ length: dimensions }, (_, d) => view.getFloat32((i * dimensions + d) * 4, true));
  const indexed = Math.min(limit, total - queryCount);
  return {
    points: Array.from({ length: indexed }, (_, i) => vectorAt(i)),
    queries: Array.from({ length: queryCount }, (_, i) => vectorAt(total - queryCount + i)),
    description: `${file}: ${indexed} indexed, last ${queryCount} held out as queries`,
  };
}

/** A random subset of labels of the given share, as a membership predicate like a caller's permission filter. */
function randomFilter(size: number, share: number, seed: number): { accept: (label: number) => boolean; accepted: number } {
  const random = rng(seed);
  const member = new Uint8Array(size);
  let accepted = 0;
  for (let label = 0; label < size; label += 1) {
    if (random() < share) {
      member[label] = 1;
      accepted += 1;
    }
  }
  return { accept: (label) => member[label] === 1, accepted };
}

function timeQueries(index: AnnIndex, queries: readonly Float32Array[], accept?: (label: number) => boolean): { durations: number[]; results: number[][] } {
  for (const query of queries.slice(0, WARMUP_QUERIES)) index.search(query, K, accept);
  const durations: number[] = [];
  const results: number[][] = [];
  for (const query of queries) {
    const started = nowMs();
    const hits = index.search(query, K, accept);
    durations.push(nowMs() - started);
    results.push(hits.map((hit) => hit.label));
  }
  return { durations, results };
}

function recallAtK(results: readonly number[][], truth: readonly number[][]): number {
  let found = 0;
  let expected = 0;
  results.forEach((labels, i) => {
    const exact = new Set(truth[i]);
    found += labels.filter((label) => exact.has(label)).length;
    expected += exact.size;
  });
  return expected === 0 ? 1 : found / expected;
}

const dataset = args.vectors ? vectorsFromFile(args.vectors, Number(args.n)) : syntheticClusters(Number(args.n), Number(args.clusters), 42);
const size = dataset.points.length;
const scratch = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "memledger-bench-ann-"));
const file = join(scratch, "bench.hnsw");

const rssBefore = process.memoryUsage().rss;
const buildStarted = nowMs();
const built = createAnnIndex({ dimensions });
dataset.points.forEach((point, label) => built.add(label, point));
const buildMs = nowMs() - buildStarted;
const rssAfterBuild = process.memoryUsage().rss;

const saveStarted = nowMs();
built.save(file, size);
const saveMs = nowMs() - saveStarted;

/** The same saved graph under other search knobs; loading also measures the restart path. */
function loaded(tuning: Partial<AnnSearchTuning>): { index: AnnIndex; loadMs: number } {
  const started = nowMs();
  const result = loadAnnIndex(file, dimensions, tuning);
  if (result === undefined) throw new Error(`could not load the index just saved at ${file}`);
  return { index: result.index, loadMs: nowMs() - started };
}

const exactScan = loaded({ exactBelow: Number.MAX_SAFE_INTEGER });
const graphOnly = loaded({ exactBelow: 0 });

const rows: string[][] = [];
const filters = [
  { name: "none", accept: undefined, accepted: size },
  { name: "10%", ...randomFilter(size, 0.1, 7) },
  { name: "1%", ...randomFilter(size, 0.01, 8) },
];
for (const filter of filters) {
  const baseline = timeQueries(exactScan.index, dataset.queries, filter.accept);
  const row = (path: string, timing: { durations: number[]; results: number[][] }) => {
    const summary = summarize(timing.durations);
    rows.push([filter.name, filter.accepted.toLocaleString("en-US"), path, fmtMs(summary.p50), fmtMs(summary.p99), recallAtK(timing.results, baseline.results).toFixed(3)]);
  };
  row("exact scan (baseline)", baseline);
  const { exactBelow } = ANN_INDEX_DEFAULTS;
  const defaultRoute = size < exactBelow || (filter.accepted * filter.accepted) / size < exactBelow ? "scan" : "graph";
  row(`default (→ ${defaultRoute})`, timeQueries(built, dataset.queries, filter.accept));
  if (filter.accept) {
    row("graph forced (exactBelow 0)", timeQueries(graphOnly.index, dataset.queries, filter.accept));
  } else {
    for (const efSearch of [64, 256]) row(`graph, efSearch ${efSearch}`, timeQueries(loaded({ efSearch }).index, dataset.queries));
  }
}
rmSync(scratch, { recursive: true, force: true });

const table: Table = {
  title: `ANN index: ${size.toLocaleString("en-US")} × ${dimensions} dims, top-${K}, ${queryCount} queries`,
  headers: ["filter", "accepted", "path", "p50", "p99", `recall@${K} vs exact`],
  rows,
  notes: [
    `- data: ${dataset.description}`,
    `- build (add ${size.toLocaleString("en-US")} points one by one, m ${ANN_INDEX_DEFAULTS.m}, efConstruction ${ANN_INDEX_DEFAULTS.efConstruction}): ${(buildMs / 1000).toFixed(1)} s (${Math.round(size / (buildMs / 1000)).toLocaleString("en-US")} points/s); RSS +${((rssAfterBuild - rssBefore) / 2 ** 20).toFixed(0)} MiB`,
    `- save (hnswlib file + checksummed sidecar, fsynced): ${fmtMs(saveMs)}; load (verify checksum, read graph, rebuild JS vector store): ${fmtMs(exactScan.loadMs)}`,
    `- default search: efSearch ${ANN_INDEX_DEFAULTS.efSearch}, exactBelow ${ANN_INDEX_DEFAULTS.exactBelow.toLocaleString("en-US")} (smaller collections, and filters accepting a share p with p × accepted below it, are scanned exactly)`,
    `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, hnswlib-node 3.0.0`,
  ],
};
console.log(formatTable(table));
