/**
 * 384-dimensional vectors shaped like real sentence embeddings, at any count, for benchmarks that
 * cannot embed tens of thousands of texts: each is one of the real all-MiniLM-L6-v2 vectors the
 * LoCoMo embedding cache holds (bench/locomoEval.ts writes it) plus noise, a sum of 8 real vectors'
 * deviations from their mean with gaussian weights, so the noise's covariance is `spread`² times
 * the real vectors' own (the clusters and the uneven spectrum of real embeddings kept). Without
 * that cache the centres are random unit vectors, and the description says so.
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { rng } from "./stats.js";

export const REAL_ISH_DIMENSIONS = 384;
const LOCOMO_CACHE = ".cache/bench/locomo-embeddings-all-MiniLM-L6-v2.db";

/** The real MiniLM vectors of the LoCoMo cache, in a stable order; undefined without the cache. */
export function locomoVectors(): Float32Array[] | undefined {
  if (!existsSync(LOCOMO_CACHE)) return undefined;
  const db = new Database(LOCOMO_CACHE, { readonly: true });
  const rows = db.prepare<[], { vector: Buffer }>("SELECT vector FROM embedding_cache ORDER BY content_hash").all();
  db.close();
  return rows.map((row) => new Float32Array(Uint8Array.from(row.vector).buffer));
}

export function unitVector(vector: Float32Array): Float32Array {
  let squared = 0;
  for (const x of vector) squared += x * x;
  const norm = Math.sqrt(squared);
  return vector.map((x) => x / norm);
}

/** A generator of real-ish unit vectors (deterministic for a seed) and what they are. */
export function realIshVectors(spread: number, seed: number): { readonly next: () => Float32Array; readonly description: string } {
  const random = rng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const real = locomoVectors();
  const centres = real ?? Array.from({ length: 2_760 }, () => unitVector(Float32Array.from({ length: REAL_ISH_DIMENSIONS }, gaussian)));
  const mean = new Float32Array(REAL_ISH_DIMENSIONS);
  for (const vector of centres) for (let d = 0; d < REAL_ISH_DIMENSIONS; d += 1) mean[d]! += vector[d]! / centres.length;
  const pick = () => centres[Math.floor(random() * centres.length)]!;
  const next = () => {
    const point = Float32Array.from(pick());
    for (let t = 0; t < 8; t += 1) {
      const weight = (spread * gaussian()) / Math.sqrt(8);
      const other = pick();
      for (let d = 0; d < REAL_ISH_DIMENSIONS; d += 1) point[d]! += weight * (other[d]! - mean[d]!);
    }
    return unitVector(point);
  };
  const description = real
    ? `real-ish: the ${real.length.toLocaleString("en-US")} real all-MiniLM-L6-v2 LoCoMo vectors plus noise of ${spread} times their covariance`
    : `random unit centres plus noise (spread ${spread}); the LoCoMo embedding cache (${LOCOMO_CACHE}) was not on disk`;
  return { next, description };
}
