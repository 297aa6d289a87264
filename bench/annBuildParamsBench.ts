/**
 * `npx vite-node bench/annBuildParamsBench.ts -- [--n 20000] [--queries 200] [--ef-construction 200,100,64] [--rounds 2]
 *  [--spread 0.5,1] [--sets real-ish,clustered,uniform,real]`:
 * HNSW build speed and recall@10 against an exact scan for several efConstruction values, on the
 * same points inserted in the same order, in one run (the first value is the baseline the ratios
 * are taken against). Rounds alternate the values so drift in machine load hits them alike.
 *
 * Data sets: a 200-cluster gaussian mixture (normalised; real embeddings cluster by topic),
 * uniform random unit vectors (HNSW's hard case), and, when the LoCoMo embedding cache of
 * bench/locomoEval.ts is on disk, its 2,760 real all-MiniLM-L6-v2 vectors: as they are (small, so
 * only a sanity check) and as centres of --n points each a real vector plus gaussian noise shaped
 * like the real vectors' own spread (--spread times their covariance; "real-ish": the clusters and
 * the uneven spectrum of real embeddings, at the size asked). Search uses the default efSearch with
 * the exact-scan shortcut off.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { ANN_INDEX_DEFAULTS, createAnnIndex, type AnnIndex } from "../src/vectorIndex/annIndex.js";
import { locomoVectors, realIshVectors, unitVector as unit } from "./realIshVectors.js";
import { formatTable, nowMs, rng, type Table } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    n: { type: "string", default: "20000" },
    queries: { type: "string", default: "200" },
    "ef-construction": { type: "string", default: "200,100,64" },
    rounds: { type: "string", default: "2" },
    spread: { type: "string", default: "0.5,1" },
    sets: { type: "string", default: "real-ish,clustered,uniform,real" },
  },
});
const K = 10;
const DIMENSIONS = 384;
const size = Number(args.n);
const queryCount = Number(args.queries);
const efConstructions = args["ef-construction"].split(",").map(Number);
const rounds = Number(args.rounds);

interface Dataset {
  readonly name: string;
  readonly points: Float32Array[];
  readonly queries: Float32Array[];
}

/** Points scattered around random unit centres (cosine to the centre about 0.7–0.85), as annBench.ts draws them. */
function clustered(count: number, clusters: number, seed: number): Dataset {
  const random = rng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: clusters }, () => unit(Float32Array.from({ length: DIMENSIONS }, gaussian)));
  const spreads = centres.map(() => (0.6 + 0.4 * random()) / Math.sqrt(DIMENSIONS));
  const sample = () => {
    const cluster = Math.floor(random() * clusters);
    const spread = spreads[cluster]!;
    return unit(centres[cluster]!.map((x) => x + spread * gaussian()));
  };
  return { name: `${clusters}-cluster gaussian mixture`, points: Array.from({ length: count }, sample), queries: Array.from({ length: queryCount }, sample) };
}

function uniform(count: number, seed: number): Dataset {
  const random = rng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sample = () => unit(Float32Array.from({ length: DIMENSIONS }, gaussian));
  return { name: "uniform random unit vectors", points: Array.from({ length: count }, sample), queries: Array.from({ length: queryCount }, sample) };
}

/** The real MiniLM vectors of the LoCoMo cache, the last `queries` held out as queries. */
function locomo(real: Float32Array[]): Dataset {
  return { name: "all-MiniLM-L6-v2 LoCoMo turns (real)", points: real.slice(0, -queryCount), queries: real.slice(-queryCount) };
}

function realIsh(count: number, spread: number, seed: number): Dataset {
  const { next } = realIshVectors(spread, seed);
  return { name: `real-ish: MiniLM LoCoMo vectors + noise (spread ${spread})`, points: Array.from({ length: count }, next), queries: Array.from({ length: queryCount }, next) };
}

function build(dataset: Dataset, efConstruction: number): { index: AnnIndex; seconds: number } {
  const started = nowMs();
  const index = createAnnIndex({ dimensions: DIMENSIONS, initialCapacity: dataset.points.length, efConstruction, exactBelow: 0 });
  dataset.points.forEach((point, label) => index.add(label, point));
  return { index, seconds: (nowMs() - started) / 1000 };
}

function recallAtK(index: AnnIndex, dataset: Dataset): number {
  const all = dataset.points.map((_, label) => label);
  let found = 0;
  for (const query of dataset.queries) {
    const exact = new Set(index.searchExact(query, K, all).map((hit) => hit.label));
    found += index.search(query, K).filter((hit) => exact.has(hit.label)).length;
  }
  return found / (dataset.queries.length * K);
}

const real = locomoVectors();
const spreads = args.spread.split(",").map(Number);
const sets = new Set(args.sets.split(","));
const datasets = [
  ...(real && sets.has("real-ish") ? spreads.map((spread, i) => realIsh(size, spread, 44 + i)) : []),
  ...(sets.has("clustered") ? [clustered(size, 200, 42)] : []),
  ...(sets.has("uniform") ? [uniform(size, 43)] : []),
  ...(real && sets.has("real") ? [locomo(real)] : []),
];
const rows: string[][] = [];
for (const dataset of datasets) {
  const seconds = new Map<number, number[]>(efConstructions.map((ef) => [ef, []]));
  const recall = new Map<number, number>();
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? efConstructions : [...efConstructions].reverse();
    for (const ef of order) {
      const { index, seconds: took } = build(dataset, ef);
      seconds.get(ef)!.push(took);
      if (!recall.has(ef)) recall.set(ef, recallAtK(index, dataset));
      console.error(`${dataset.name}: efConstruction ${ef}, round ${round + 1}: ${took.toFixed(1)} s, recall@${K} ${recall.get(ef)!.toFixed(3)}`);
    }
  }
  const best = (ef: number) => Math.min(...seconds.get(ef)!);
  const baseline = efConstructions[0]!;
  for (const ef of efConstructions) {
    const pointsPerSecond = dataset.points.length / best(ef);
    rows.push([
      dataset.name,
      dataset.points.length.toLocaleString("en-US"),
      String(ef),
      `${best(ef).toFixed(1)} s`,
      Math.round(pointsPerSecond).toLocaleString("en-US"),
      `${(best(baseline) / best(ef)).toFixed(2)}×`,
      recall.get(ef)!.toFixed(3),
      (recall.get(ef)! - recall.get(baseline)!).toFixed(3),
    ]);
  }
}

const table: Table = {
  title: `HNSW build parameters: m ${ANN_INDEX_DEFAULTS.m}, ${DIMENSIONS} dims, efSearch ${ANN_INDEX_DEFAULTS.efSearch}, top-${K}, ${queryCount} queries`,
  headers: ["data", "points", "efConstruction", "build (best of rounds)", "points/s", "speed vs first", `recall@${K} vs exact`, "Δ recall vs first"],
  rows,
  notes: [`- ${rounds} rounds, order alternating; cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), node ${process.version}, hnswlib-node 3.0.0`],
};
console.log(formatTable(table));
