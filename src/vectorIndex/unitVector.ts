/**
 * A copy of `vector` scaled to length 1, so that a dot product is the cosine similarity.
 * `what` names the vector in errors ("label 42", "query").
 */
export function toUnitVector(vector: Float32Array, dimensions: number, what: string): Float32Array {
  if (vector.length !== dimensions) {
    throw new RangeError(`ANN index holds ${dimensions}-dimensional vectors, but the ${what} vector has ${vector.length} dimensions.`);
  }
  let squaredNorm = 0;
  for (let i = 0; i < dimensions; i += 1) squaredNorm += vector[i]! * vector[i]!;
  if (!Number.isFinite(squaredNorm)) throw new RangeError(`The ${what} vector contains NaN or infinite components.`);
  if (squaredNorm === 0) throw new RangeError(`The ${what} vector is all zeros, so its cosine similarity is undefined.`);
  const norm = Math.sqrt(squaredNorm);
  const unit = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i += 1) unit[i] = vector[i]! / norm;
  return unit;
}

/** Float rounding can push the dot product of two unit vectors just past ±1. */
export function clampSimilarity(similarity: number): number {
  return Math.min(1, Math.max(-1, similarity));
}
