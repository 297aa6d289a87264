import fc from "fast-check";

/**
 * Small integer vectors (components −3..3, never all zero) for property tests of the ANN index: few
 * distinct directions, so ties and near-ties between labels come up often.
 */
export function smallNonZeroVector(dimensions: number): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.integer({ min: -3, max: 3 }), { minLength: dimensions, maxLength: dimensions })
    .filter((components) => components.some((x) => x !== 0))
    .map((components) => Float32Array.from(components));
}

/** Labels 0..15: a small range, so operations keep hitting the same labels (re-adds, removals, slot reuse). */
export const smallLabel = fc.nat(15);
