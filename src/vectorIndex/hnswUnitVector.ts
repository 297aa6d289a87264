import { toUnitVector } from "./unitVector.js";

/**
 * The unit vector HnswAnnIndex.add stores for `vector`, bit for bit: this project's normalisation,
 * then hnswlib-node's cosine space normalising the result again in float32 (its `normalizePoint`:
 * a float sum of squares in order, sqrtf, one float division per component). Every step below is
 * a float32 operation done in double and rounded once, which gives the float32 result exactly.
 */
export function hnswStoredUnitVector(vector: Float32Array, dimensions: number, what: string): Float32Array {
  const unit = toUnitVector(vector, dimensions, what);
  const f = Math.fround;
  let squaredNorm = 0;
  for (let i = 0; i < dimensions; i += 1) squaredNorm = f(squaredNorm + f(unit[i]! * unit[i]!));
  const norm = f(Math.sqrt(Math.abs(squaredNorm)));
  if (norm > 0) for (let i = 0; i < dimensions; i += 1) unit[i] = f(unit[i]! / norm);
  return unit;
}
