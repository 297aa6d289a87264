/** Property: after any sequence of adds and removes, the index holds exactly the live labels (hnswlib-node 3). */
import { cosineSimilarity as cosine } from "../src/embedding/vectorMath.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { smallLabel, smallNonZeroVector } from "./support/smallUnitVectors.js";
import { createAnnIndex } from "../src/vectorIndex/annIndex.js";

const DIMENSIONS = 4;

const nonZeroVector = smallNonZeroVector(DIMENSIONS);

const operation = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), label: smallLabel, vector: nonZeroVector }),
  fc.record({ kind: fc.constant("remove" as const), label: smallLabel }),
);

describe("AnnIndex under any add/remove sequence", () => {
  it.each([
    ["exact scan", 2_000],
    ["graph", 0],
  ])("search(k = size) returns exactly the live labels, best first (%s path)", (_path, exactBelow) => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), nonZeroVector, (operations, query) => {
        const index = createAnnIndex({ dimensions: DIMENSIONS, initialCapacity: 2, exactBelow });
        const live = new Map<number, Float32Array>();
        for (const op of operations) {
          if (op.kind === "add") {
            index.add(op.label, op.vector);
            live.set(op.label, op.vector);
          } else {
            index.remove(op.label);
            live.delete(op.label);
          }
        }

        expect(index.size).toBe(live.size);
        for (let label = 0; label <= 15; label += 1) expect(index.has(label)).toBe(live.has(label));
        const hits = index.search(query, index.size);
        expect(hits.map((hit) => hit.label).sort((a, b) => a - b)).toEqual([...live.keys()].sort((a, b) => a - b));
        for (let i = 1; i < hits.length; i += 1) expect(hits[i - 1]!.similarity).toBeGreaterThanOrEqual(hits[i]!.similarity);
        for (const hit of hits) expect(hit.similarity).toBeCloseTo(cosine(live.get(hit.label)!, query), 5);
      }),
      { numRuns: 300 },
    );
  });
});
