/** Property: AnnIndex.searchAmong ranks exactly the live labels of the set, on the scan and the filtered graph walk alike. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAnnIndex } from "../src/vectorIndex/annIndex.js";
import { compareBestFirst } from "../src/vectorIndex/topK.js";

const DIMENSIONS = 6;

const vector = fc
  .array(fc.integer({ min: -20, max: 20 }), { minLength: DIMENSIONS, maxLength: DIMENSIONS })
  .filter((components) => components.some((x) => x !== 0))
  .map((components) => Float32Array.from(components));

describe("AnnIndex.searchAmong", () => {
  it.each([
    ["exact scan of the set", 2_000],
    ["filtered graph walk", 0],
  ])("returns the k best of the set's live labels, as an exact search over the set does (%s)", (_path, exactBelow) => {
    fc.assert(
      fc.property(
        fc.array(vector, { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(99), { maxLength: 60 }),
        fc.array(fc.nat(79), { maxLength: 10 }),
        vector,
        fc.integer({ min: 0, max: 30 }),
        (vectors, allowed, removed, query, k) => {
          const index = createAnnIndex({ dimensions: DIMENSIONS, initialCapacity: 4, exactBelow });
          vectors.forEach((v, label) => index.add(label, v));
          for (const label of removed) index.remove(label);
          // Labels past the last vector, and removed ones, are in the set but not live.
          const among = new Set(allowed);

          const hits = index.searchAmong(query, k, among);
          const expected = index.searchExact(query, k, among);
          expect(hits.map((h) => h.label)).toEqual(expected.map((h) => h.label));
          hits.forEach((hit, i) => expect(hit.similarity).toBeCloseTo(expected[i]!.similarity, 6));
          expect(hits.every((hit) => among.has(hit.label) && index.has(hit.label))).toBe(true);
          expect([...hits].sort(compareBestFirst)).toEqual(hits);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("walks the graph for a large set and still only returns its members", () => {
    const index = createAnnIndex({ dimensions: 8, exactBelow: 200 });
    const random = (seed: number) => () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32) - 0.5;
    const next = random(7);
    for (let label = 0; label < 3_000; label++) index.add(label, Float32Array.from({ length: 8 }, next));
    // Half the labels: 1,500 × 0.5 = 750 ≥ exactBelow, so the graph is walked with the set as its filter.
    const among = new Set(Array.from({ length: 1_500 }, (_, i) => i * 2));
    const query = Float32Array.from({ length: 8 }, next);
    const hits = index.searchAmong(query, 20, among);
    const exact = index.searchExact(query, 20, among);
    expect(hits).toHaveLength(20);
    expect(hits.every((hit) => among.has(hit.label))).toBe(true);
    const recall = hits.filter((hit) => exact.some((e) => e.label === hit.label)).length / exact.length;
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });
});
