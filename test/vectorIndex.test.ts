/** The ANN index component against the real hnswlib-node 3 engine. */
// mulberry32 (bench/stats.ts): deterministic so a failing case replays.
import { rng as seededRandom } from "../bench/stats.js";
import { cosineSimilarity as cosine } from "../src/embedding/vectorMath.js";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAnnIndex, loadAnnIndex, type AnnIndex, type AnnSearchHit } from "../src/vectorIndex/annIndex.js";

/** Gaussian components, so directions are uniform on the sphere; the caller may or may not normalise. */
function randomVectors(count: number, dimensions: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => Float32Array.from({ length: dimensions }, gaussian));
}

/** Float64 brute force, independent of the index's own exact path. */
function bruteForceLabels(vectors: readonly Float32Array[], query: Float32Array, k: number, accept: (label: number) => boolean = () => true): number[] {
  return vectors
    .map((vector, label) => ({ label, similarity: cosine(vector, query) }))
    .filter(({ label }) => accept(label))
    .sort((a, b) => b.similarity - a.similarity || a.label - b.label)
    .slice(0, k)
    .map(({ label }) => label);
}

function indexOf(vectors: readonly Float32Array[], options: Partial<Parameters<typeof createAnnIndex>[0]> = {}): AnnIndex {
  const index = createAnnIndex({ dimensions: vectors[0]!.length, ...options });
  vectors.forEach((vector, label) => index.add(label, vector));
  return index;
}

const labelsOf = (hits: readonly AnnSearchHit[]) => hits.map((hit) => hit.label);

function meanRecall(index: AnnIndex, queries: readonly Float32Array[], k: number, accept?: (label: number) => boolean): number {
  const everyLabel = Array.from({ length: index.size }, (_, label) => label).filter((label) => accept?.(label) ?? true);
  let found = 0;
  for (const query of queries) {
    const exact = new Set(labelsOf(index.searchExact(query, k, everyLabel)));
    found += labelsOf(index.search(query, k, accept)).filter((label) => exact.has(label)).length;
  }
  return found / (queries.length * k);
}

function expectBestFirst(hits: readonly AnnSearchHit[]): void {
  for (let i = 1; i < hits.length; i += 1) {
    const [before, after] = [hits[i - 1]!, hits[i]!];
    expect(before.similarity > after.similarity || (before.similarity === after.similarity && before.label < after.label)).toBe(true);
  }
}

describe("AnnIndex search", () => {
  const points = randomVectors(5_000, 64, 1);
  const queries = randomVectors(100, 64, 2);
  let graphIndex: AnnIndex;
  beforeAll(() => {
    // Low enough that an even-label filter (share ½: ½ × 2,500 accepted = 1,250) still walks the graph.
    graphIndex = indexOf(points, { exactBelow: 1_000 });
  });

  it("scans exactly below exactBelow, best first, agreeing with a float64 brute force", () => {
    const small = points.slice(0, 500);
    const index = indexOf(small);
    for (const query of queries.slice(0, 20)) {
      const hits = index.search(query, 10);
      expect(labelsOf(hits)).toEqual(bruteForceLabels(small, query, 10));
      expectBestFirst(hits);
      hits.forEach((hit) => expect(hit.similarity).toBeCloseTo(cosine(small[hit.label]!, query), 5));
    }
  });

  it("finds at least 95% of the exact top 10 among 5,000 random 64-dimensional unit vectors", () => {
    expect(graphIndex.size).toBe(5_000);
    expect(meanRecall(graphIndex, queries, 10)).toBeGreaterThanOrEqual(0.95);
  });

  it("answers a graph search best first, with the similarities an exact scan reports", () => {
    for (const query of queries.slice(0, 20)) {
      const hits = graphIndex.search(query, 10);
      expectBestFirst(hits);
      expect(graphIndex.searchExact(query, 10, labelsOf(hits))).toEqual(hits);
    }
  });

  it("normalises on add, so a scaled copy of a vector scores the same", () => {
    const [vector] = randomVectors(1, 16, 3);
    const index = createAnnIndex({ dimensions: 16 });
    index.add(1, vector!);
    index.add(2, vector!.map((x) => x * 1_000));
    const hits = index.search(vector!, 2);
    expect(labelsOf(hits).sort()).toEqual([1, 2]);
    hits.forEach((hit) => expect(hit.similarity).toBeCloseTo(1, 6));
  });

  it("returns every live point when k exceeds the size, and nothing for k = 0", () => {
    const index = indexOf(points.slice(0, 5));
    expect(index.search(queries[0]!, 50)).toHaveLength(5);
    expect(index.search(queries[0]!, 0)).toEqual([]);
    expect(createAnnIndex({ dimensions: 64 }).search(queries[0]!, 10)).toEqual([]);
  });

  it.each([
    ["exact scan", 2_000],
    ["graph", 0],
  ])("re-adding a live label replaces its vector (%s path)", (_path, exactBelow) => {
    const index = indexOf(points.slice(0, 300), { exactBelow });
    index.add(7, queries[0]!);
    expect(index.size).toBe(300);
    const [best] = index.search(queries[0]!, 1);
    expect(best).toEqual({ label: 7, similarity: expect.closeTo(1, 6) });
    expect(index.searchExact(points[7]!, 1, [7])[0]!.similarity).toBeLessThan(0.9);
  });

  it.each([
    ["exact scan", 10_000],
    ["graph", 0],
  ])("never returns removed labels, even the nearest ones (%s path)", (_path, exactBelow) => {
    const index = indexOf(points, { exactBelow });
    const query = queries[0]!;
    const nearest = bruteForceLabels(points, query, 1_000);
    nearest.forEach((label) => index.remove(label));
    index.remove(nearest[0]!); // idempotent
    expect(index.size).toBe(4_000);
    expect(index.has(nearest[0]!)).toBe(false);
    const removed = new Set(nearest);
    for (const q of [query, ...queries.slice(1, 20)]) {
      const hits = index.search(q, 50);
      expect(hits).toHaveLength(50);
      expect(hits.filter((hit) => removed.has(hit.label))).toEqual([]);
    }
    expect(index.searchExact(query, 10, nearest)).toEqual([]);
  });

  it.each([
    ["exact scan", 2_000],
    ["graph", 0],
  ])("adds a removed label back, with its new vector (%s path)", (_path, exactBelow) => {
    const index = indexOf(points.slice(0, 1_000), { exactBelow });
    index.remove(42);
    index.add(1_000, points[1_000]!); // may take the tombstoned slot of 42
    index.add(42, queries[0]!);
    expect(index.size).toBe(1_001);
    expect(index.has(42)).toBe(true);
    expect(index.search(queries[0]!, 1)).toEqual([{ label: 42, similarity: expect.closeTo(1, 6) }]);
    expect(index.search(points[1_000]!, 1)).toEqual([{ label: 1_000, similarity: expect.closeTo(1, 6) }]);
  });

  it("filters to even labels on the graph path, matching the exact filtered top 10", () => {
    const even = (label: number) => label % 2 === 0;
    for (const query of queries.slice(0, 20)) {
      expect(graphIndex.search(query, 10, even).every((hit) => even(hit.label))).toBe(true);
    }
    expect(meanRecall(graphIndex, queries, 10, even)).toBeGreaterThanOrEqual(0.95);
  });

  /** The filter is called once per label by a scan, and only for visited nodes by a graph walk. */
  function searchCountingFilterCalls(accept: (label: number) => boolean): { hits: AnnSearchHit[]; calls: number } {
    let calls = 0;
    const hits = graphIndex.search(queries[0]!, 10, (label) => {
      calls += 1;
      return accept(label);
    });
    return { hits, calls };
  }

  it("walks the graph when a filter accepts most labels", () => {
    const ninetyPercent = (label: number) => label % 10 !== 0;
    const { hits, calls } = searchCountingFilterCalls(ninetyPercent);
    expect(hits.every((hit) => ninetyPercent(hit.label))).toBe(true);
    expect(calls).toBeLessThan(graphIndex.size / 2);
  });

  it("scans exactly when a filter accepts few labels (share × accepted below exactBelow)", () => {
    const tenPercent = (label: number) => label % 10 === 0;
    const { hits, calls } = searchCountingFilterCalls(tenPercent);
    expect(labelsOf(hits)).toEqual(bruteForceLabels(points, queries[0]!, 10, tenPercent));
    expect(calls).toBeGreaterThanOrEqual(graphIndex.size);
  });

  it.each([
    ["sampled selectivity sends it to a scan", 2_000],
    ["the graph walk comes back short and falls back to a scan", 0],
  ])("a filter accepting 3 of 5,000 labels returns exactly those 3, best first (%s)", (_path, exactBelow) => {
    const index = indexOf(points, { exactBelow });
    const accepted = new Set([17, 2_500, 4_999]);
    const hits = index.search(queries[0]!, 10, (label) => accepted.has(label));
    expect(labelsOf(hits)).toEqual(bruteForceLabels(points, queries[0]!, 10, (label) => accepted.has(label)));
    expect(hits).toHaveLength(3);
  });

  it.each([
    ["exact scan", 10_000],
    ["graph", 0],
  ])("rethrows what the filter throws instead of crashing the process (%s path)", (_path, exactBelow) => {
    const index = indexOf(points.slice(0, 3_000), { exactBelow });
    const failure = new Error("permission lookup failed");
    expect(() =>
      index.search(queries[0]!, 10, () => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(index.search(queries[0]!, 10)).toHaveLength(10);
  });

  it("grows past initialCapacity", () => {
    const index = indexOf(points.slice(0, 1_000), { initialCapacity: 8, exactBelow: 0 });
    expect(index.size).toBe(1_000);
    for (let label = 0; label < 1_000; label += 37) expect(labelsOf(index.search(points[label]!, 1))).toEqual([label]);
  });

  it("searchExact ranks only the given labels, skipping unknown and repeated ones", () => {
    const candidates = [3, 99, 3, 1_234, 999_999];
    const hits = graphIndex.searchExact(queries[0]!, 10, candidates);
    expect(labelsOf(hits)).toEqual(bruteForceLabels(points, queries[0]!, 10, (label) => [3, 99, 1_234].includes(label)));
    expect(graphIndex.searchExact(queries[0]!, 1, candidates)).toEqual(hits.slice(0, 1));
  });

  it("rejects what it cannot index, naming the problem", () => {
    const index = createAnnIndex({ dimensions: 4 });
    const vector = Float32Array.of(1, 0, 0, 0);
    expect(() => index.add(2 ** 32, vector)).toThrow(/uint32/);
    expect(() => index.add(-1, vector)).toThrow(/uint32/);
    expect(() => index.add(1.5, vector)).toThrow(/uint32/);
    expect(() => index.add(1, Float32Array.of(1, 0, 0))).toThrow(/4-dimensional.*3 dimensions/);
    expect(() => index.add(1, new Float32Array(4))).toThrow(/all zeros/);
    expect(() => index.add(1, Float32Array.of(Number.NaN, 0, 0, 0))).toThrow(/NaN/);
    expect(() => index.search(Float32Array.of(1, 0), 1)).toThrow(/query vector has 2 dimensions/);
    expect(() => index.search(vector, -1)).toThrow(/non-negative integer/);
    expect(() => createAnnIndex({ dimensions: 0 })).toThrow(/dimensions/);
    expect(index.size).toBe(0);
  });
});

describe("AnnIndex persistence", () => {
  const points = randomVectors(3_000, 32, 5);
  const queries = randomVectors(20, 32, 6);
  let directory: string;
  let file: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), "memledger-ann-"));
    file = join(directory, "vectors.hnsw");
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it("round-trips points, removed labels and the watermark, answering identically", () => {
    const original = indexOf(points, { exactBelow: 0 });
    const removed = [0, 5, 10, 2_999];
    removed.forEach((label) => original.remove(label));
    original.save(file, 12_345);

    const loaded = loadAnnIndex(file, 32);
    expect(loaded?.watermark).toBe(12_345);
    const index = loaded!.index;
    expect(index.size).toBe(2_996);
    removed.forEach((label) => expect(index.has(label)).toBe(false));
    expect(index.has(1)).toBe(true);
    for (const query of queries) expect(index.search(query, 10)).toEqual(original.search(query, 10));
    for (const label of removed) expect(labelsOf(index.search(points[label]!, 20))).not.toContain(label);

    index.add(5, points[5]!);
    expect(index.search(points[5]!, 1)).toEqual([{ label: 5, similarity: expect.closeTo(1, 6) }]);
  });

  it("round-trips an empty index", () => {
    createAnnIndex({ dimensions: 8 }).save(file, 0);
    const loaded = loadAnnIndex(file, 8);
    expect(loaded?.index.size).toBe(0);
    loaded!.index.add(1, Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    expect(labelsOf(loaded!.index.search(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), 5))).toEqual([1]);
  });

  it("replaces an earlier snapshot and leaves no temporary files", () => {
    const index = indexOf(points.slice(0, 100));
    index.save(file, 1);
    index.add(100, points[100]!);
    index.save(file, 2);
    expect(readdirSync(directory).sort()).toEqual(["vectors.hnsw", "vectors.hnsw.meta.json"]);
    const loaded = loadAnnIndex(file, 32);
    expect(loaded?.watermark).toBe(2);
    expect(loaded?.index.size).toBe(101);
  });

  it("applies search tuning given at load over the saved tuning", () => {
    indexOf(points).save(file, 1);
    const loaded = loadAnnIndex(file, 32, { efSearch: 200 });
    expect(meanRecall(loaded!.index, queries, 10)).toBeGreaterThanOrEqual(0.95);
    expect(() => loadAnnIndex(file, 32, { exactBelow: -1 })).toThrow(/exactBelow/);
  });

  describe("returns undefined so the caller rebuilds", () => {
    beforeEach(() => indexOf(points.slice(0, 200)).save(file, 7));

    it("when nothing was saved", () => {
      expect(loadAnnIndex(join(directory, "absent.hnsw"), 32)).toBeUndefined();
    });

    it("when the sidecar is missing", () => {
      rmSync(`${file}.meta.json`);
      expect(loadAnnIndex(file, 32)).toBeUndefined();
    });

    it("when the index file has a flipped byte", () => {
      const bytes = readFileSync(file);
      const middle = bytes.length >> 1;
      bytes[middle] = bytes[middle]! ^ 0xff;
      writeFileSync(file, bytes);
      expect(loadAnnIndex(file, 32)).toBeUndefined();
    });

    it("when the index file is truncated", () => {
      writeFileSync(file, readFileSync(file).subarray(0, 1_000));
      expect(loadAnnIndex(file, 32)).toBeUndefined();
    });

    it("when the sidecar is not valid JSON or not a sidecar", () => {
      const sidecar = `${file}.meta.json`;
      writeFileSync(sidecar, readFileSync(sidecar, "utf8").slice(0, 40));
      expect(loadAnnIndex(file, 32)).toBeUndefined();
      writeFileSync(sidecar, JSON.stringify({ hello: "world" }));
      expect(loadAnnIndex(file, 32)).toBeUndefined();
    });

    it("when a crash between the two renames left a new index beside the old sidecar", () => {
      const newer = join(directory, "newer.hnsw");
      indexOf(points.slice(0, 201)).save(newer, 8);
      copyFileSync(newer, file);
      expect(loadAnnIndex(file, 32)).toBeUndefined();
    });

    it("when it was saved with other dimensions", () => {
      expect(existsSync(file)).toBe(true);
      expect(loadAnnIndex(file, 64)).toBeUndefined();
      expect(loadAnnIndex(file, 32)).toBeDefined();
    });
  });
});
