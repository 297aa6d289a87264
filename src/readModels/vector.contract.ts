import { afterEach, describe, expect, it } from "vitest";
import type { Embedder } from "../embedding/embedderPort.js";
import { cosineSimilarity } from "../embedding/vectorMath.js";
import type { MemoryContent } from "../../domain/memory/memoryContent.js";
import { contentHash, searchableText } from "../../projections/memoryIntervals.js";
import type { ProjectionEvent } from "../../projections/projectionEvent.js";
import { contentOf, projectionEventLog } from "./graph/projectionEventLog.js";
import type { VectorHit, VectorReadModel } from "./vector/vectorReadModel.js";

/**
 * The one contract every vector read model adapter must pass (the embedded
 * SQLite + HNSW store and the Qdrant store): one vector per content version
 * keyed by position, nearest-first search with cosine similarity, exact
 * search among given positions, erasure, replay safety, the checkpoint, and
 * an embedder failure changing nothing. It needs no real model: the adapter
 * is opened with the contract's deterministic hashing embedder.
 */
export interface VectorStoreHooks {
  /** The embedder the store must use (deterministic; can be told to fail). */
  readonly embedder: Embedder;
  /** Must be passed to the store as its `onErasedContent`. */
  readonly onErasedContent: (contentHashes: readonly string[]) => void;
}

export interface VectorStoreUnderTest {
  readonly store: VectorReadModel;
  /** Closes whichever store is open (the first, or the last `reopen` gave) and removes what the test left behind. */
  cleanup(): Promise<void>;
  /** Closes the store and opens the same storage again with the same embedder and hooks; adapters that cannot omit it. */
  reopen?(): Promise<VectorReadModel>;
}

/** A bag-of-words hashing embedder: texts sharing words get similar unit vectors, with no model to load. */
export interface TestEmbedder extends Embedder {
  /** Every `embed` call's texts, in order. */
  readonly calls: string[][];
  /** The next `embed` call rejects with this error. */
  failNext(error: Error): void;
}

export function hashingEmbedder(options: { readonly modelId?: string; readonly dimensions?: number } = {}): TestEmbedder {
  const dimensions = options.dimensions ?? 64;
  const calls: string[][] = [];
  let failure: Error | undefined;
  const embedOne = (text: string): Float32Array => {
    const sums = new Float64Array(dimensions);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      for (const salt of ["", "#"]) {
        const h = fnv1a(salt + word);
        const slot = h % dimensions;
        sums[slot] = sums[slot]! + (h & 0x8000_0000 ? -1 : 1);
      }
    }
    let norm = Math.hypot(...sums);
    if (norm === 0) {
      sums[0] = 1;
      norm = 1;
    }
    return Float32Array.from(sums, (value) => value / norm);
  };
  return {
    modelId: options.modelId ?? "test/hashing-embedder",
    dimensions,
    calls,
    failNext: (error) => {
      failure = error;
    },
    embed: async (texts) => {
      calls.push([...texts]);
      if (failure) {
        const error = failure;
        failure = undefined;
        throw error;
      }
      return texts.map(embedOne);
    },
    close: async () => undefined,
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const tolerance = 1e-4;

/** What the runner does with a batch: embed, then fold. */
async function fold(store: VectorReadModel, batch: readonly ProjectionEvent[]): Promise<void> {
  await store.prepare?.(batch);
  await store.apply(batch);
}

const labels = (hits: readonly VectorHit[]) => hits.map((h) => h.label);
const sortedKeys = (map: Map<number, Float32Array>) => [...map.keys()].sort((a, b) => a - b);

function expectSameVector(actual: Float32Array | undefined, expected: Float32Array): void {
  expect(actual).toBeInstanceOf(Float32Array);
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual![i]! - expected[i]!)).toBeLessThan(1e-5);
}

/**
 * The hits a brute-force scan gives: same similarities in the same order, and
 * every hit's similarity is its own vector's cosine with the query (so ties
 * may come in either order, or differ at the cut).
 */
function expectRanking(actual: readonly VectorHit[], query: Float32Array, stored: ReadonlyMap<number, Float32Array>, k: number): void {
  const expected = [...stored].map(([label, vector]) => ({ label, similarity: cosineSimilarity(query, vector) })).sort((a, b) => b.similarity - a.similarity);
  const top = expected.slice(0, k);
  expect(actual).toHaveLength(top.length);
  expect(new Set(labels(actual)).size).toBe(actual.length);
  actual.forEach((hit, i) => {
    expect(stored.has(hit.label)).toBe(true);
    expect(Math.abs(hit.similarity - top[i]!.similarity)).toBeLessThan(tolerance);
    expect(Math.abs(hit.similarity - cosineSimilarity(query, stored.get(hit.label)!))).toBeLessThan(tolerance);
  });
}

export function vectorStoreContract(name: string, open: (hooks: VectorStoreHooks) => Promise<VectorStoreUnderTest>): void {
  describe(`Vector read model contract: ${name}`, () => {
    const opened: VectorStoreUnderTest[] = [];
    const setUp = async () => {
      const embedder = hashingEmbedder();
      const erased: string[] = [];
      const underTest = await open({ embedder, onErasedContent: (hashes) => erased.push(...hashes) });
      opened.push(underTest);
      const embed = async (text: string) => (await hashingEmbedder().embed([text]))[0]!;
      const hashOf = (content: MemoryContent) => contentHash(searchableText(content));
      return { ...underTest, embedder, erased, embed, hashOf };
    };
    afterEach(async () => {
      for (const underTest of opened.splice(0)) await underTest.cleanup();
    });

    it("stores one vector per content version, keyed by the position of the event that carried it", async () => {
      const { store, embed } = await setUp();
      expect(store.name).toBe("vector");
      expect(store.dimensions).toBe(64);
      expect(store.modelId).toBe("test/hashing-embedder");
      expect(store.checkpoint()).toBe(0);
      expect(store.size).toBe(0);
      expect(store.storedProjectionVersion?.() ?? store.projectionVersion).toBe(store.projectionVersion);

      const log = projectionEventLog();
      const first = contentOf("Caroline painted a sunset over the lake", { key: "Sunset painting" });
      const second = contentOf("Caroline painted the lake at dawn");
      await fold(store, [
        log.created("m1", first), // 1
        log.edited("m1", second), // 2
        log.archived("m1"), // 3: no content
        log.reverted("m1", first, { toRevision: 0 }), // 4: the first text again, a new version
        log.created("m2", null), // 5: shredded content has no vector
        log.edited("m1", null), // 6
        log.cubeCreated("cube-2", "Second"), // 7
      ]);

      expect(store.checkpoint()).toBe(7);
      expect(store.size).toBe(3);
      const vectors = await store.vectorsOf([1, 2, 3, 4, 5, 6, 7, 99]);
      expect(sortedKeys(vectors)).toEqual([1, 2, 4]);
      // The key is part of the embedded text.
      expectSameVector(vectors.get(1), await embed("Sunset painting. Caroline painted a sunset over the lake"));
      expectSameVector(vectors.get(2), await embed("Caroline painted the lake at dawn"));
      expectSameVector(vectors.get(4), await embed("Sunset painting. Caroline painted a sunset over the lake"));
      expect((await store.vectorsOf([])).size).toBe(0);
    });

    it("search returns the nearest content versions first, with their cosine similarity", async () => {
      const { store, embed } = await setUp();
      const log = projectionEventLog();
      const texts = [
        "Caroline painted a sunset over the lake",
        "Melanie went hiking in the mountains with Caroline",
        "The central bank raised interest rates again",
        "Caroline painted the lake at dawn",
        "A red sunset over the mountains",
        "Interest in painting grew after the lake trip",
      ];
      await fold(store, texts.map((text, i) => log.created(`m${i + 1}`, contentOf(text))));
      const stored = new Map<number, Float32Array>();
      for (const [i, text] of texts.entries()) stored.set(i + 1, await embed(text));

      const exactText = await embed("Caroline painted the lake at dawn");
      const top = await store.search(exactText, 3);
      expect(top[0]?.label).toBe(4);
      expect(top[0]?.similarity).toBeCloseTo(1, 4);
      expectRanking(top, exactText, stored, 3);

      for (const query of ["painted sunset", "mountains hiking", "interest rates bank lake"]) {
        const vector = await embed(query);
        expectRanking(await store.search(vector, 4), vector, stored, 4);
        expectRanking(await store.search(vector, 100), vector, stored, 100);
      }
      expect(await store.search(exactText, 0)).toEqual([]);
      // Only the direction counts.
      const scaled = exactText.map((value) => value * 3);
      expect(labels(await store.search(scaled, 1))).toEqual([4]);
      await expect(store.search(new Float32Array(3).fill(1), 1)).rejects.toThrow(/dimension/);
    });

    it("searchExact ranks only the given positions", async () => {
      const { store, embed } = await setUp();
      const log = projectionEventLog();
      const texts = ["Caroline painted a sunset", "Caroline painted the lake", "Melanie painted the lake", "Bank rates rose", "Sunset over the lake"];
      await fold(store, [...texts.map((text, i) => log.created(`m${i + 1}`, contentOf(text))), log.archived("m1")]);
      const stored = new Map<number, Float32Array>();
      for (const [i, text] of texts.entries()) stored.set(i + 1, await embed(text));
      const among = (positions: number[]) => new Map([...stored].filter(([label]) => positions.includes(label)));

      const query = await embed("Caroline painted a sunset yesterday");
      // The best match overall (1) is not among those asked for.
      expect((await store.search(query, 1))[0]?.label).toBe(1);
      const hits = await store.searchExact(query, 10, [2, 4, 5]);
      expect(labels(hits).sort()).toEqual([2, 4, 5]);
      expectRanking(hits, query, among([2, 4, 5]), 10);
      expectRanking(await store.searchExact(query, 2, new Set([1, 3, 5])), query, among([1, 3, 5]), 2);
      // Positions without a vector (no such event, an event without content) are ignored.
      expect(labels(await store.searchExact(query, 10, [3, 6, 42]))).toEqual([3]);
      expect(await store.searchExact(query, 10, [])).toEqual([]);
      expect(await store.searchExact(query, 0, [1, 2])).toEqual([]);
    });

    it("search among given content versions ranks only those, as an exact search over them would", async () => {
      const { store, embed } = await setUp();
      const log = projectionEventLog();
      const texts = Array.from({ length: 40 }, (_, i) => `note ${i} ${["Caroline painted", "Melanie hiked", "rates rose", "sunset lake"][i % 4]} ${i % 7 === 0 ? "dawn" : "dusk"}`);
      await fold(store, [...texts.map((text, i) => log.created(`m${i + 1}`, contentOf(text))), log.erased("m3")]);
      const stored = new Map<number, Float32Array>();
      for (const [i, text] of texts.entries()) if (i !== 2) stored.set(i + 1, await embed(text));
      const among = (positions: Iterable<number>) => new Map([...stored].filter(([label]) => new Set(positions).has(label)));

      const query = await embed("Caroline painted the sunset at dawn");
      for (const allowed of [new Set([2, 5, 9, 33]), new Set(Array.from({ length: 20 }, (_, i) => 2 * i + 1)), new Set(stored.keys())]) {
        const hits = await store.search(query, 5, allowed);
        expectRanking(hits, query, among(allowed), 5);
        expect(hits.every((hit) => allowed.has(hit.label))).toBe(true);
        expect(hits).toEqual(await store.searchExact(query, 5, allowed));
      }
      // Positions without a vector (erased, never stored) are passed over; an empty set finds nothing.
      expect(labels(await store.search(query, 10, new Set([3, 4, 999])))).toEqual([4]);
      expect(await store.search(query, 10, new Set())).toEqual([]);
      expect(await store.search(query, 0, new Set([1, 2]))).toEqual([]);
    });

    it("erasure removes every vector of the memory and reports their text hashes", async () => {
      const { store, embed, erased, hashOf } = await setUp();
      const log = projectionEventLog();
      const first = contentOf("Oswin Brackenbury phoned Caroline", { key: "Phone call" });
      const second = contentOf("Zebediah Quillfeather phoned Caroline");
      const kept = contentOf("Caroline painted the lake");
      await fold(store, [log.created("m1", first), log.edited("m1", second), log.created("m2", kept)]);
      expect(store.size).toBe(3);
      expect(erased).toEqual([]);

      await fold(store, [log.erased("m1")]);
      expect(store.checkpoint()).toBe(4);
      expect(store.size).toBe(1);
      expect(sortedKeys(await store.vectorsOf([1, 2, 3]))).toEqual([3]);
      const query = await embed("Zebediah Quillfeather phoned Caroline");
      expect(labels(await store.search(query, 10))).toEqual([3]);
      expect(labels(await store.searchExact(query, 10, [1, 2, 3]))).toEqual([3]);
      expect(new Set(erased)).toEqual(new Set([hashOf(first), hashOf(second)]));

      // Created and erased in one batch, another memory erased beside it, and one that never had a vector.
      const brief = contentOf("Ephemeral note about Quentin");
      await fold(store, [log.created("m3", brief), log.erased("m3"), log.erased("m2"), log.erased("never-seen")]);
      expect(store.checkpoint()).toBe(8);
      expect(store.size).toBe(0);
      expect((await store.vectorsOf([1, 2, 3, 5])).size).toBe(0);
      expect(await store.search(query, 10)).toEqual([]);
      expect(new Set(erased)).toEqual(new Set([hashOf(first), hashOf(second), hashOf(kept), hashOf(brief)]));
    });

    it("replaying a batch, or overlapping batches, changes nothing", async () => {
      const { store, embed, erased, hashOf } = await setUp();
      const log = projectionEventLog();
      const gone = contentOf("Melanie went hiking");
      const a = [log.created("m1", contentOf("Caroline painted a sunset")), log.created("m2", gone), log.edited("m1", contentOf("Caroline painted the lake"))];
      const b = [log.erased("m2"), log.archived("m1"), log.created("m3", contentOf("Bank rates rose"))];

      await fold(store, a);
      await fold(store, a);
      expect(store.checkpoint()).toBe(3);
      expect(store.size).toBe(3);
      await fold(store, [a[1]!, a[2]!, ...b]);
      expect(store.checkpoint()).toBe(6);
      const after = await store.vectorsOf([1, 2, 3, 6]);
      expect(sortedKeys(after)).toEqual([1, 3, 6]);

      // Replays after the erasure must not bring m2's vector back.
      await fold(store, a);
      await fold(store, b);
      await fold(store, [...a, ...b]);
      expect(store.checkpoint()).toBe(6);
      expect(store.size).toBe(3);
      const replayed = await store.vectorsOf([1, 2, 3, 6]);
      expect(sortedKeys(replayed)).toEqual([1, 3, 6]);
      for (const position of [1, 3, 6]) expectSameVector(replayed.get(position), after.get(position)!);
      expect(labels(await store.search(await embed("Melanie went hiking"), 10)).sort()).toEqual([1, 3, 6]);
      expect(new Set(erased)).toEqual(new Set([hashOf(gone)]));
    });

    it("moves its checkpoint to the batch's last position even when the batch carries no content", async () => {
      const { store } = await setUp();
      const log = projectionEventLog({ firstPosition: 41 });
      await fold(store, [log.unrelated(), log.cubeCreated("cube-2", "Second"), log.archived("m-unknown"), log.merged("m-a", "m-b")]);
      expect(store.checkpoint()).toBe(44);
      expect(store.size).toBe(0);
      await fold(store, []);
      expect(store.checkpoint()).toBe(44);
      await fold(store, [log.unrelated()]);
      expect(store.checkpoint()).toBe(45);
    });

    it("an embedder failure in prepare leaves the store unchanged, and apply will not fold content prepare did not embed", async () => {
      const { store, embedder, embed } = await setUp();
      const log = projectionEventLog();
      await fold(store, [log.created("m1", contentOf("Caroline painted a sunset"))]);
      const before = await store.vectorsOf([1]);

      const next = [log.created("m2", contentOf("Melanie went hiking")), log.edited("m1", contentOf("Caroline painted the lake"))];
      embedder.failNext(new Error("embedding model unavailable"));
      await expect(store.prepare!(next)).rejects.toThrow("embedding model unavailable");
      await expect((async () => store.apply(next))()).rejects.toThrow(/prepare/);
      expect(store.checkpoint()).toBe(1);
      expect(store.size).toBe(1);
      expect(sortedKeys(await store.vectorsOf([1, 2, 3]))).toEqual([1]);
      expectSameVector((await store.vectorsOf([1])).get(1), before.get(1)!);
      expect(labels(await store.search(await embed("Melanie went hiking"), 10))).toEqual([1]);

      // The runner retries the batch: prepare, then apply.
      await fold(store, next);
      expect(store.checkpoint()).toBe(3);
      expect(sortedKeys(await store.vectorsOf([1, 2, 3]))).toEqual([1, 2, 3]);
    });

    it("keeps its checkpoint and vectors across a reopen", async (context) => {
      const underTest = await setUp();
      if (!underTest.reopen) {
        context.skip();
        return;
      }
      const log = projectionEventLog();
      await fold(underTest.store, [
        log.created("m1", contentOf("Caroline painted a sunset")),
        log.created("m2", contentOf("Melanie went hiking")),
        log.erased("m2"),
        log.unrelated(),
      ]);
      const before = await underTest.store.vectorsOf([1, 2]);

      const store = await underTest.reopen();
      expect(store.checkpoint()).toBe(4);
      expect(store.size).toBe(1);
      expect(store.storedProjectionVersion?.() ?? store.projectionVersion).toBe(store.projectionVersion);
      const after = await store.vectorsOf([1, 2]);
      expect(sortedKeys(after)).toEqual([1]);
      expectSameVector(after.get(1), before.get(1)!);
      const query = await underTest.embed("Caroline painted a sunset");
      expect(labels(await store.search(query, 5))).toEqual([1]);

      // It carries on from its checkpoint: the replay is skipped, new events fold.
      await fold(store, [log.created("m3", contentOf("Bank rates rose"))]);
      await fold(store, [projectionEventLog().created("m2", contentOf("Melanie went hiking"))]);
      expect(store.checkpoint()).toBe(5);
      expect(sortedKeys(await store.vectorsOf([1, 2, 5]))).toEqual([1, 5]);
      expect(store.size).toBe(2);
    });
  });
}
