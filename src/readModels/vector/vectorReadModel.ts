import type { ReadModelStore } from "../readModelStore.js";

/** A content version found by similarity: its position (the read models' shared key) and cosine similarity. */
export interface VectorHit {
  readonly label: number;
  readonly similarity: number;
}

export const vectorReadModel = "vector";

/**
 * The vector read model as search uses it: one embedding per content version,
 * keyed like the other read models by the position of the event that
 * introduced the content. The embedded store (SQLite + HNSW) and the Qdrant
 * store implement it; `../vector.contract.ts` holds both to the same behaviour.
 * Queries are asynchronous because one of them answers over the network.
 */
export interface VectorReadModel extends ReadModelStore {
  readonly modelId: string;
  readonly dimensions: number;
  /** Content versions with a vector (erased ones excluded), as of the last applied batch. */
  readonly size: number;
  /**
   * Approximate top-k over every indexed content version, most similar first; with `among`, over
   * those content versions only (the filter goes into the index walk, so k hits come back even when
   * few versions match, instead of over-fetching and filtering afterwards).
   */
  search(query: Float32Array, k: number, among?: ReadonlySet<number>): Promise<VectorHit[]>;
  /** Exact top-k over the given content versions, most similar first. */
  searchExact(query: Float32Array, k: number, contentPositions: Iterable<number>): Promise<VectorHit[]>;
  vectorsOf(contentPositions: readonly number[]): Promise<Map<number, Float32Array>>;
}
