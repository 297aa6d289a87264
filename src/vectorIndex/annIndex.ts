import hnswlib from "hnswlib-node";
import type { HierarchicalNSW } from "hnswlib-node";
import { readVerifiedSnapshot, writeAnnIndexFiles } from "./annIndexFile.js";
import type { AnnSearchHit } from "./annSearchHit.js";
import { readSavedVectors } from "./hnswFileVectors.js";
import { hnswStoredUnitVector } from "./hnswUnitVector.js";
import { assertLabel } from "./label.js";
import { TopK } from "./topK.js";
import { toUnitVector } from "./unitVector.js";
import { VectorStore } from "./vectorStore.js";

export type { AnnSearchHit };

/**
 * An in-memory approximate-nearest-neighbour index over unit vectors, keyed by integer labels
 * (0..2³²−1). It is a rebuildable cache: persisted snapshots carry a caller-chosen watermark.
 */
export interface AnnIndex {
  readonly dimensions: number;
  /** Live (not removed) points. */
  readonly size: number;
  /** Idempotent: re-adding a live label replaces its vector. The vector is normalised here. */
  add(label: number, vector: Float32Array): void;
  /**
   * Like `add`, but the graph insert (nearly all of add's cost) is deferred to `indexPending`:
   * the point is searchable at once, found by an exact scan of the pending points beside the
   * graph walk. A label already in the graph is simply added.
   */
  stage(label: number, vector: Float32Array): void;
  /** Staged points not yet in the graph. */
  readonly pendingCount: number;
  /** Inserts up to `max` staged points into the graph, oldest first; returns how many. */
  indexPending(max: number): number;
  /** The lowest staged label, if any: every live label below it is in the graph. */
  lowestPendingLabel(): number | undefined;
  /** Idempotent; a removed label never comes back from a search until it is added again. */
  remove(label: number): void;
  has(label: number): boolean;
  /** True when `label` is live with exactly the vector `add(label, vector)` would store (same float32 bits). */
  holdsVector(label: number, vector: Float32Array): boolean;
  /** Live labels, in no particular order. */
  labels(): IterableIterator<number>;
  /** Top-k by cosine similarity among labels accepted by `accept` (all when omitted), best first. */
  search(query: Float32Array, k: number, accept?: (label: number) => boolean): AnnSearchHit[];
  /** Exact (brute-force) top-k over the given labels only; labels not in the index are skipped. */
  searchExact(query: Float32Array, k: number, labels: Iterable<number>): AnnSearchHit[];
  /**
   * Top-k among `labels` only (labels not in the index are skipped): an exact scan of the set when
   * that is cheaper, else a graph walk that only accepts the set. The set's size is the exact share,
   * so no sampling is needed.
   */
  searchAmong(query: Float32Array, k: number, labels: ReadonlySet<number>): AnnSearchHit[];
  /**
   * Persists the graph to `file` (plus `<file>.meta.json`) so that a crash never leaves a pair that
   * loads wrongly. Staged points are not saved: a caller keeps the watermark below the lowest of them.
   */
  save(file: string, watermark: number): void;
}

/** Knobs that only affect searching, so a loaded index may take new values. */
export interface AnnSearchTuning {
  /** hnswlib's candidate list size per query; raised to k when k is larger. */
  readonly efSearch: number;
  /**
   * Below this many live points searches scan exactly; a filter accepting a share p of them is
   * scanned when p × accepted is below it (a filtered graph walk costs about 1/p times more).
   */
  readonly exactBelow: number;
}

export interface AnnIndexOptions extends Partial<AnnSearchTuning> {
  readonly dimensions: number;
  readonly initialCapacity?: number;
  /** hnswlib graph degree; memory and recall grow with it. */
  readonly m?: number;
  /** hnswlib candidate list size while inserting; build time and recall grow with it. */
  readonly efConstruction?: number;
}

/**
 * efSearch 200: on 100k real MiniLM embeddings, 128 gave recall@10 0.963 in one
 * insertion order and 0.939 in another; 200 gives 0.974 in both for about
 * +0.4 ms (bench/retrievalBench.ts). It also keeps ≥ 0.98 on uniform random
 * vectors (5,000 × 64), HNSW's hard case.
 */
export const ANN_INDEX_DEFAULTS = { initialCapacity: 1_024, m: 16, efConstruction: 200, efSearch: 200, exactBelow: 2_000 } as const;
/** Fixed so the same inserts build the same graph. */
const HNSW_RANDOM_SEED = 100;
/** Labels sampled to estimate how selective a filter is. */
const SELECTIVITY_SAMPLE = 256;
/** Stepping by the golden ratio spreads the sample evenly without a random generator. */
const GOLDEN_RATIO_FRACTION = 0.618_033_988_749_894_9;

export function createAnnIndex(options: AnnIndexOptions): AnnIndex {
  const { dimensions } = options;
  assertPositiveInteger("dimensions", dimensions);
  const initialCapacity = options.initialCapacity ?? ANN_INDEX_DEFAULTS.initialCapacity;
  const m = options.m ?? ANN_INDEX_DEFAULTS.m;
  const efConstruction = options.efConstruction ?? ANN_INDEX_DEFAULTS.efConstruction;
  assertPositiveInteger("initialCapacity", initialCapacity);
  assertPositiveInteger("m", m);
  assertPositiveInteger("efConstruction", efConstruction);
  const graph = new hnswlib.HierarchicalNSW("cosine", dimensions);
  // Replacing deleted slots lets removals free room instead of growing the graph forever.
  graph.initIndex(initialCapacity, m, efConstruction, HNSW_RANDOM_SEED, true);
  return new HnswAnnIndex(graph, new VectorStore(dimensions, initialCapacity), searchTuning(options, ANN_INDEX_DEFAULTS));
}

/**
 * The index saved at `file`, or undefined when it is missing, corrupt, or was built for other
 * dimensions; the caller then rebuilds from its table. `tuning` overrides the saved search knobs.
 */
export function loadAnnIndex(
  file: string,
  dimensions: number,
  tuning: Partial<AnnSearchTuning> = {},
): { index: AnnIndex; watermark: number } | undefined {
  const snapshot = readVerifiedSnapshot(file, dimensions);
  if (snapshot === undefined) return undefined;
  const resolvedTuning = searchTuning(tuning, snapshot);
  try {
    const graph = new hnswlib.HierarchicalNSW("cosine", dimensions);
    graph.readIndexSync(file, true);
    if (graph.getCurrentCount() !== snapshot.labels.length + snapshot.removedLabels.length) return undefined;
    const store = new VectorStore(dimensions, snapshot.labels.length);
    const saved = savedVectorsAgreeingWithGraph(file, graph, snapshot.labels, snapshot.labels.length + snapshot.removedLabels.length);
    for (const label of snapshot.labels) store.set(label, saved?.get(label) ?? Float32Array.from(graph.getPoint(label)));
    if (store.size !== snapshot.labels.length) return undefined; // a repeated label would break the tombstone count
    return { index: new HnswAnnIndex(graph, store, resolvedTuning), watermark: snapshot.watermark };
  } catch {
    // hnswlib throws on a file it cannot parse and on a live label it does not hold: rebuild.
    return undefined;
  }
}

/**
 * The live vectors read from the saved file's bytes, if they parse and a sample of them equals what
 * hnswlib loaded (first, middle and last label, bit for bit); otherwise undefined and hnswlib is asked.
 */
function savedVectorsAgreeingWithGraph(file: string, graph: HierarchicalNSW, labels: readonly number[], elements: number): Map<number, Float32Array> | undefined {
  const saved = readSavedVectors(file, graph.getNumDimensions(), elements, new Set(labels));
  if (saved === undefined || saved.size !== labels.length) return undefined;
  for (const label of new Set([labels[0], labels[labels.length >> 1], labels[labels.length - 1]])) {
    if (label === undefined) continue;
    const fromGraph = graph.getPoint(label);
    const fromFile = saved.get(label)!;
    if (fromGraph.some((x, i) => !Object.is(Math.fround(x), fromFile[i]))) return undefined;
  }
  return saved;
}

/**
 * hnswlib holds the graph; the VectorStore holds the same unit vectors for exact scans and for
 * rescoring graph hits. Invariant: a label is live in the store iff it is live (not
 * delete-marked) in the graph or staged (pending), and graph.getCurrentCount() − (size − pending)
 * is the number of tombstones.
 */
class HnswAnnIndex implements AnnIndex {
  private currentEf = -1;
  /**
   * Staged labels (in the store, not yet in the graph) with the vectors they were given, in staging
   * order: the graph insert needs the caller's vector, as re-normalising the stored copy could move a bit.
   */
  private readonly pending = new Map<number, Float32Array>();

  constructor(
    private readonly graph: HierarchicalNSW,
    private readonly store: VectorStore,
    private readonly tuning: AnnSearchTuning,
  ) {}

  get dimensions(): number {
    return this.store.dimensions;
  }

  get size(): number {
    return this.store.size;
  }

  has(label: number): boolean {
    return this.store.has(label);
  }

  holdsVector(label: number, vector: Float32Array): boolean {
    const held = this.store.get(label);
    if (held === undefined) return false;
    const expected = hnswStoredUnitVector(vector, this.dimensions, `label ${label}`);
    for (let i = 0; i < expected.length; i += 1) if (!Object.is(held[i], expected[i])) return false;
    return true;
  }

  labels(): IterableIterator<number> {
    return this.store.labels();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  add(label: number, vector: Float32Array): void {
    assertLabel(label);
    // A staged label stays staged with its new vector: the graph gets it when its turn comes.
    if (this.pending.has(label)) return this.stage(label, vector);
    this.insertIntoGraph(label, vector, this.store.has(label));
  }

  stage(label: number, vector: Float32Array): void {
    assertLabel(label);
    if (this.store.has(label) && !this.pending.has(label)) return this.insertIntoGraph(label, vector, true);
    // Exactly what the graph insert will store (tested against hnswlib), so scores do not move when it lands.
    const stored = hnswStoredUnitVector(vector, this.dimensions, `label ${label}`);
    this.zeroPending(label);
    this.pending.set(label, Float32Array.from(vector));
    this.store.set(label, stored);
  }

  indexPending(max: number): number {
    let inserted = 0;
    for (const [label, vector] of this.pending) {
      if (inserted >= max) break;
      this.pending.delete(label);
      this.insertIntoGraph(label, vector, false);
      vector.fill(0);
      inserted += 1;
    }
    return inserted;
  }

  lowestPendingLabel(): number | undefined {
    let lowest: number | undefined;
    for (const label of this.pending.keys()) if (lowest === undefined || label < lowest) lowest = label;
    return lowest;
  }

  remove(label: number): void {
    if (!this.store.has(label)) return;
    if (this.pending.has(label)) {
      // Never reached the graph (a tombstone of an earlier life there stays a tombstone).
      this.zeroPending(label);
      this.pending.delete(label);
    } else {
      this.graph.markDelete(label);
    }
    this.store.delete(label);
  }

  /** The caller's copy of a staged vector is overwritten before it is dropped, so erased vectors do not linger. */
  private zeroPending(label: number): void {
    this.pending.get(label)?.fill(0);
  }

  /** `liveInGraph`: the graph holds the label undeleted, so this replaces its vector in place. */
  private insertIntoGraph(label: number, vector: Float32Array, liveInGraph: boolean): void {
    const point = Array.from(toUnitVector(vector, this.dimensions, `label ${label}`));
    if (liveInGraph || this.reviveRemoved(label)) {
      this.graph.addPoint(point, label); // updates the label's slot in place
    } else {
      // Live graph points: the store's labels less the staged ones, less this one if it was staged.
      this.ensureRoomForNewLabel(this.store.size - this.pending.size - (this.store.has(label) ? 1 : 0));
      this.graph.addPoint(point, label, true); // takes a tombstoned slot when there is one
    }
    // Keep hnswlib's copy (it renormalises in float32) so a saved-and-loaded index scores bit-identically.
    this.store.set(label, Float32Array.from(this.graph.getPoint(label)));
  }

  search(query: Float32Array, k: number, accept?: (label: number) => boolean): AnnSearchHit[] {
    assertTopK(k);
    const unitQuery = toUnitVector(query, this.dimensions, "query");
    const wanted = Math.min(k, this.size);
    if (wanted === 0) return [];
    const { exactBelow } = this.tuning;
    const scanIsCheaper = this.size < exactBelow || (accept !== undefined && exactBelow > 0 && this.filteredScanIsCheaper(accept));
    if (scanIsCheaper) {
      return this.store.topK(unitQuery, wanted, accept);
    }
    const hits = this.withPending(this.searchGraph(unitQuery, wanted, accept), unitQuery, wanted, accept);
    // The graph walk comes back short when a selective filter or many tombstones cut it off.
    return hits.length < wanted ? this.store.topK(unitQuery, wanted, accept) : hits;
  }

  searchAmong(query: Float32Array, k: number, labels: ReadonlySet<number>): AnnSearchHit[] {
    assertTopK(k);
    const unitQuery = toUnitVector(query, this.dimensions, "query");
    const wanted = Math.min(k, this.size, labels.size);
    if (wanted === 0) return [];
    // Same break-even as a sampled filter (filteredScanIsCheaper), with the set's own size; scanning the
    // set touches only its members, where a filtered scan of the store visits every point.
    const share = Math.min(1, labels.size / this.size);
    if (this.size < this.tuning.exactBelow || labels.size * share < this.tuning.exactBelow) return this.store.topKAmong(unitQuery, wanted, labels);
    const accept = (label: number) => labels.has(label);
    const hits = this.withPending(this.searchGraph(unitQuery, wanted, accept), unitQuery, wanted, accept);
    return hits.length < wanted ? this.store.topKAmong(unitQuery, wanted, labels) : hits;
  }

  searchExact(query: Float32Array, k: number, labels: Iterable<number>): AnnSearchHit[] {
    assertTopK(k);
    return this.store.topKAmong(toUnitVector(query, this.dimensions, "query"), k, labels);
  }

  save(file: string, watermark: number): void {
    if (!Number.isFinite(watermark)) throw new RangeError(`ANN index watermark must be a finite number, got ${watermark}.`);
    const inGraph = (label: number) => this.store.has(label) && !this.pending.has(label);
    const removedLabels = this.graph.getIdsList().filter((label) => !inGraph(label));
    const labels = [...this.store.labels()].filter((label) => !this.pending.has(label));
    writeAnnIndexFiles(
      file,
      { dimensions: this.dimensions, watermark, ...this.tuning, labels, removedLabels },
      (path) => this.graph.writeIndexSync(path),
    );
  }

  /** Graph hits merged with an exact scan of the staged points (which the graph does not hold yet). */
  private withPending(graphHits: AnnSearchHit[], unitQuery: Float32Array, k: number, accept?: (label: number) => boolean): AnnSearchHit[] {
    if (this.pending.size === 0) return graphHits;
    const staged = accept === undefined ? this.pending.keys() : [...this.pending.keys()].filter(accept);
    const best = new TopK(k);
    for (const hit of graphHits) best.offer(hit.label, hit.similarity);
    for (const hit of this.store.topKAmong(unitQuery, k, staged)) best.offer(hit.label, hit.similarity);
    return best.bestFirst();
  }

  private searchGraph(unitQuery: Float32Array, k: number, accept?: (label: number) => boolean): AnnSearchHit[] {
    const liveInGraph = this.store.size - this.pending.size;
    if (liveInGraph === 0) return []; // everything is staged: nothing in the graph to walk
    k = Math.min(k, liveInGraph);
    this.useEf(Math.max(this.tuning.efSearch, k));
    // An exception escaping hnswlib-node's filter callback aborts the process, so it is held and rethrown here.
    let acceptFailure: { readonly error: unknown } | undefined;
    const filter =
      accept &&
      ((label: number) => {
        if (acceptFailure !== undefined) return false;
        try {
          return accept(label);
        } catch (error) {
          acceptFailure = { error };
          return false;
        }
      });
    const { neighbors } = this.graph.searchKnn(Array.from(unitQuery), k, filter);
    if (acceptFailure !== undefined) throw acceptFailure.error;
    // Rescored from the store so graph and exact answers carry identical similarities and tie order.
    return this.store.topKAmong(unitQuery, k, neighbors);
  }

  /**
   * A filtered graph walk does about 1/share times the work of an unfiltered one, and a scan costs
   * one dot product per accepted label, so the scan wins when accepted × share < exactBelow (the
   * unfiltered break-even, which this reduces to at share 1). The share comes from an evenly spread sample.
   */
  private filteredScanIsCheaper(accept: (label: number) => boolean): boolean {
    let accepted = 0;
    for (let i = 1; i <= SELECTIVITY_SAMPLE; i += 1) {
      const slot = Math.floor(((i * GOLDEN_RATIO_FRACTION) % 1) * this.size);
      if (accept(this.store.labelAt(slot))) accepted += 1;
    }
    const share = accepted / SELECTIVITY_SAMPLE;
    return share * share * this.size < this.tuning.exactBelow;
  }

  /**
   * Unmarks a removed label whose tombstoned slot hnswlib still holds, so it is updated in place.
   * False when the label never was in the graph or hnswlib gave its slot to another label; hnswlib
   * picks that slot itself, so only asking it tells which.
   */
  private reviveRemoved(label: number): boolean {
    try {
      this.graph.unmarkDelete(label);
      return true;
    } catch {
      return false;
    }
  }

  private ensureRoomForNewLabel(liveGraphPoints: number): void {
    const occupied = this.graph.getCurrentCount(); // live points plus tombstones
    const capacity = this.graph.getMaxElements();
    const hasTombstone = occupied > liveGraphPoints;
    // A graph loaded from an empty snapshot reports capacity 0, so doubling needs a floor.
    if (!hasTombstone && occupied >= capacity) this.graph.resizeIndex(Math.max(capacity * 2, ANN_INDEX_DEFAULTS.initialCapacity));
  }

  private useEf(ef: number): void {
    if (ef === this.currentEf) return;
    this.graph.setEf(ef);
    this.currentEf = ef;
  }
}

function searchTuning(overrides: Partial<AnnSearchTuning>, fallback: AnnSearchTuning): AnnSearchTuning {
  const efSearch = overrides.efSearch ?? fallback.efSearch;
  const exactBelow = overrides.exactBelow ?? fallback.exactBelow;
  assertPositiveInteger("efSearch", efSearch);
  if (!Number.isInteger(exactBelow) || exactBelow < 0) {
    throw new RangeError(`ANN index option exactBelow must be a non-negative integer, got ${exactBelow}.`);
  }
  return { efSearch, exactBelow };
}

function assertTopK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`ANN search k must be a non-negative integer, got ${k}.`);
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`ANN index option ${name} must be a positive integer, got ${value}.`);
}
