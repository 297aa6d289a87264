import type { ProjectionEvent } from "../../projections/projectionEvent.js";

/**
 * One read model as the projection runtime drives it. The store owns its
 * checkpoint: `apply` writes the changes of a batch and the batch's last
 * position in one transaction, so after any crash the read model is exactly
 * the fold of the log up to its checkpoint. Applying an event at or below the
 * checkpoint changes nothing (replays are harmless).
 */
export interface ReadModelStore {
  /** Stable name, used in file names, lag reports and logs. */
  readonly name: string;
  /** Bumped when the projection's output changes shape; a mismatch forces a side-by-side rebuild. */
  readonly projectionVersion: number;
  /** The projection version the file was built with; a mismatch makes the runner rebuild it. */
  storedProjectionVersion?(): number;
  /**
   * Stale, yet still able to answer (vectors of the previous embedding model): the runner keeps it
   * live while a new generation is rebuilt beside it in the background, instead of starting empty.
   */
  readonly servesUntilReplaced?: boolean;
  /** Global position of the last event folded in; 0 for an empty read model. Synchronous: remote stores cache what they committed. */
  checkpoint(): number;
  /**
   * Folded and searchable, but not yet in an acceleration structure that fills in the background
   * (vector points staged outside the HNSW graph, answered by an exact scan meanwhile); for lag reports.
   */
  backgroundIndexing?(): number;
  /**
   * Slow, asynchronous work a batch needs before it can be folded (computing
   * embeddings). Must not change the read model: a crash after `prepare`
   * only costs the work again.
   */
  prepare?(batch: readonly ProjectionEvent[]): Promise<void>;
  /**
   * Folds the batch (ascending positions) and stores the new checkpoint
   * atomically. Embedded stores answer synchronously; stores on a server
   * (Neo4j, Qdrant) return a promise, and `checkpoint()` then reports the
   * value they last committed.
   */
  apply(batch: readonly ProjectionEvent[]): void | Promise<void>;
  close(): void | Promise<void>;
  /**
   * Writes what the store keeps as a rebuildable cache beside its file (the vector index) as of its
   * checkpoint, so a rebuild starting beside it can reuse it; best effort, skipped mid-batch.
   */
  saveCaches?(): void;
}

/**
 * Opens (creating if needed) one generation of a read model. Embedded stores
 * keep it in the given file; stores on a server use the file's base name
 * (`graph-3`) to name the generation they keep there.
 */
export type ReadModelFactory<S extends ReadModelStore = ReadModelStore> = (file: string) => S | Promise<S>;
