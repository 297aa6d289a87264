import Database from "better-sqlite3";
import { existsSync, rmSync } from "node:fs";
import type { Embedder } from "../../embedding/embedderPort.js";
import { contentHash, searchableText } from "../../../projections/memoryIntervals.js";
import { createAnnIndex, loadAnnIndex, type AnnIndex } from "../../vectorIndex/annIndex.js";
import { removeAbandonedTemporaryFiles, sidecarPathOf } from "../../vectorIndex/annIndexFile.js";
import type { VectorReadModel } from "./vectorReadModel.js";
import { vectorReadModel } from "./vectorReadModel.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";
import { carriedContent, embedBatchContents } from "./batchEmbeddings.js";
import { startPreviousIndexAdoption, type PreviousIndexAdoption } from "./previousIndexAdoption.js";

export { vectorReadModel } from "./vectorReadModel.js";
const projectionVersion = 1;
/** Save the ANN file after this many additions, so a restart re-adds at most this many points. */
const saveEvery = 20_000;
/**
 * HNSW inserts per turn of the event loop (each takes 1–5 ms at a few thousand points): a batch with
 * more points than this is staged (searchable at once by an exact scan) and goes into the graph in the
 * background, this many a turn, so neither the loop nor the batch's checkpoint waits for the graph.
 */
const insertsPerTurn = 8;

export interface SqliteVectorStore extends VectorReadModel {
  readonly file: string;
  /** How this generation's HNSW index came about; for operators and tests, as no timing can tell it reliably. */
  readonly indexBuild: IndexBuild;
  /** Resolves once every staged point is in the HNSW graph (at once when none is), or the store is closed. */
  whenIndexed(): Promise<void>;
}

export interface IndexBuild {
  /** What became of the previous generation's saved index: not offered, being checked, adopted, or rejected (built anew). */
  readonly previousIndex: "none" | "checking" | "adopted" | "rejected";
  /** Points this store inserted into HNSW (the cost adopting saves); erasures' scrubbing not counted. */
  readonly pointsInserted: number;
  /** Points searchable (by an exact scan) but not yet in the HNSW graph; they go in in the background. */
  readonly pendingInserts: number;
}

/**
 * Vector read model: one embedding per content version (keyed, like the other
 * read models, by the position of the event that introduced the content),
 * stored in SQLite with the checkpoint, plus an HNSW index kept in memory and
 * saved beside the database as a rebuildable cache of that table.
 *
 * A large batch (a rebuild, a bulk import, a restart that lost the saved index) does not wait for
 * HNSW, which inserts about 1,000–1,500 points a second here: its vectors are staged in the index's
 * vector store, searchable at once (an exact scan of the staged points beside the graph walk), and
 * inserted into the graph in the background, a few per turn of the event loop. The saved index
 * holds the graph only, with a watermark below the lowest staged point, so a restart stages the rest again.
 *
 * Embeddings are never computed inside the transaction: `prepare` fetches
 * them through the (cached) embedder first, so a rebuild reads them from the
 * embedding cache and replays stay deterministic. Erasure deletes the rows
 * (secure_delete) and removes the points from the index; tombstones (bare
 * positions, no vectors) let a restart drop points the saved index still has.
 */
export interface VectorStoreOptions {
  /**
   * Told the text hashes of erased content while the erasure is applied, so
   * derived copies elsewhere (the embedding cache) can go too.
   */
  readonly onErasedContent?: (contentHashes: readonly string[]) => void;
  /**
   * The database file of the generation this one replaces (a rebuild): when this one starts empty
   * with the same model, the saved index beside that file is adopted if it checks out against the table.
   */
  readonly previousGeneration?: string;
}

export function openSqliteVectorStore(file: string, embedder: Embedder, options: VectorStoreOptions = {}): SqliteVectorStore {
  const db = openReadModelDb(file, vectorReadModel, projectionVersion);
  db.exec(`
    CREATE TABLE IF NOT EXISTS vector_items (content_pos INTEGER PRIMARY KEY, memory_id TEXT NOT NULL, content_hash TEXT NOT NULL, embedding BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS vector_items_by_memory ON vector_items (memory_id);
    CREATE TABLE IF NOT EXISTS vector_tombstones (content_pos INTEGER PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS vector_model (id INTEGER PRIMARY KEY CHECK (id = 1), model_id TEXT NOT NULL, dimensions INTEGER NOT NULL);
  `);
  db.prepare("INSERT OR IGNORE INTO vector_model (id, model_id, dimensions) VALUES (1, ?, ?)").run(embedder.modelId, embedder.dimensions);
  const model = db.prepare<[], { model_id: string; dimensions: number }>("SELECT model_id, dimensions FROM vector_model WHERE id = 1").get()!;
  const sameModel = model.model_id === embedder.modelId && model.dimensions === embedder.dimensions;
  // Built with another embedding model, by this same projection: it keeps answering in its own vector space
  // (its own model id and width) while the runner re-embeds into a new generation; content added meanwhile waits for that one.
  const previousModel = !sameModel && checkpointMembers(db, vectorReadModel, projectionVersion).storedProjectionVersion() === projectionVersion;
  const annFile = `${file}.ann`;
  if (file !== ":memory:") removeAbandonedTemporaryFiles(annFile);
  const opened = sameModel || previousModel ? openIndex(db, annFile, model.dimensions) : { index: createAnnIndex({ dimensions: embedder.dimensions }), scrubbed: false };
  let index: AnnIndex = opened.index;
  let addedSinceSave = 0;
  let adoption: PreviousIndexAdoption | undefined;
  let previousIndex: IndexBuild["previousIndex"] = "none";
  let pointsInserted = 0;
  if (sameModel && options.previousGeneration !== undefined && index.size === 0 && checkpointMembers(db, vectorReadModel, projectionVersion).checkpoint() === 0) {
    const previous = previousGenerationIndex(options.previousGeneration, embedder);
    if (previous !== undefined) {
      // Nothing of this generation is saved until the adopted graph is checked; a leftover file must not stand in for it.
      rmSync(annFile, { force: true });
      rmSync(sidecarPathOf(annFile), { force: true });
      adoption = startPreviousIndexAdoption(previous);
      index = previous;
      previousIndex = "checking";
    }
  }

  const insertItem = db.prepare("INSERT OR IGNORE INTO vector_items (content_pos, memory_id, content_hash, embedding) VALUES (?, ?, ?, ?)");
  const itemsOf = db.prepare<[string], { content_pos: number; content_hash: string }>("SELECT content_pos, content_hash FROM vector_items WHERE memory_id = ?");
  const deleteItems = db.prepare("DELETE FROM vector_items WHERE memory_id = ?");
  const tombstone = db.prepare("INSERT OR IGNORE INTO vector_tombstones (content_pos) VALUES (?)");
  const maxPosition = db.prepare<[], { p: number | null }>("SELECT max(content_pos) AS p FROM vector_items");
  const rowsAfter = db.prepare<[number, number], { content_pos: number; embedding: Buffer }>(
    "SELECT content_pos, embedding FROM vector_items WHERE content_pos > ? ORDER BY content_pos LIMIT ?",
  );
  const rowCount = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM vector_items");

  /** Every row of the table, read a page at a time so that no statement stays open across turns. */
  function* allRows(): Generator<readonly [number, Float32Array]> {
    for (let after = -1; ; ) {
      const page = rowsAfter.all(after, 256);
      for (const row of page) yield [row.content_pos, toFloat32(row.embedding)];
      if (page.length < 256) return;
      after = page[page.length - 1]!.content_pos;
    }
  }

  /** The points a committed batch adds to the index: its new rows, fewer while the previous graph checks out, all of the table once it does not. */
  const pointsToInsert = (added: ReadonlyArray<readonly [number, Float32Array]>, through: number): { points: Iterable<readonly [number, Float32Array]>; count: number } => {
    if (adoption === undefined) return { points: added, count: added.length };
    const missing = adoption.check(added, through);
    if (missing === "mismatch") {
      adoption = undefined;
      previousIndex = "rejected";
      const rows = rowCount.get()!.n;
      index = createAnnIndex({ dimensions: embedder.dimensions, initialCapacity: Math.max(1_024, rows) });
      return { points: allRows(), count: rows };
    }
    if (adoption.uncheckedLabels === 0) {
      adoption = undefined;
      previousIndex = "adopted";
      addedSinceSave = saveEvery; // the adopted graph is this generation's now: save it after this batch
    }
    return { points: missing, count: missing.length };
  };
  /** While the previous graph is checked, labels above the last batch are not this table's yet. */
  const visible = (among: ReadonlySet<number> | undefined): ReadonlySet<number> | ((label: number) => boolean) | undefined => {
    if (adoption === undefined) return among;
    const through = adoption.checkedThrough;
    return among === undefined ? (label: number) => label <= through : new Set([...among].filter((label) => label <= through));
  };

  /** Embeddings fetched by `prepare` for the batch about to be applied, by text hash. */
  let prepared = new Map<string, Float32Array>();

  const save = () => {
    // Labels not yet checked would come back on a restart as if the table held them.
    if (adoption !== undefined) return;
    // Staged points are not in the saved graph: the watermark stays below them so a restart stages them again.
    const lowestStaged = index.lowestPendingLabel();
    const tableMax = maxPosition.get()?.p ?? 0;
    index.save(annFile, lowestStaged === undefined ? tableMax : Math.min(tableMax, lowestStaged - 1));
    addedSinceSave = 0;
  };

  let draining = false;
  let indexedWaiters: Array<() => void> = [];
  const settleWaiters = () => {
    const waiting = indexedWaiters;
    indexedWaiters = [];
    for (const resolve of waiting) resolve();
  };
  /** Moves staged points into the graph a few per turn until none is left; saves when enough went in. */
  const drainInBackground = () => {
    if (draining) return;
    if (index.pendingCount === 0) return settleWaiters();
    draining = true;
    const step = () => {
      if (!db.open) {
        draining = false;
        return settleWaiters();
      }
      const inserted = index.indexPending(insertsPerTurn);
      pointsInserted += inserted;
      addedSinceSave += inserted;
      if (index.pendingCount > 0) {
        setImmediate(step);
        return;
      }
      draining = false;
      if (addedSinceSave >= saveEvery) save();
      settleWaiters();
    };
    // Not unreferenced: an unreferenced immediate lets the loop sleep in its poll phase between steps.
    // close() stops the drain; a process that exits mid-drain stages what the saved graph lacks at the next open.
    setImmediate(step);
  };

  // The saved file still had erased vectors (a crash before the save that follows an erasure): replace it now.
  if (opened.scrubbed) save();
  drainInBackground();

  const checkpointed = checkpointMembers(db, vectorReadModel, projectionVersion);
  return {
    ...checkpointed,
    file,
    modelId: previousModel ? model.model_id : embedder.modelId,
    dimensions: previousModel ? model.dimensions : embedder.dimensions,
    servesUntilReplaced: previousModel,
    get size() {
      return index.size - (adoption?.uncheckedLabels ?? 0);
    },
    backgroundIndexing: () => index.pendingCount,
    get indexBuild() {
      return { previousIndex, pointsInserted, pendingInserts: index.pendingCount };
    },
    whenIndexed: () =>
      new Promise<void>((resolve) => {
        if (index.pendingCount === 0 || !db.open) return resolve();
        indexedWaiters.push(resolve);
        drainInBackground();
      }),
    // Another model's vectors cannot be reused: a model change rebuilds in a new generation.
    storedProjectionVersion: () => (sameModel ? checkpointed.storedProjectionVersion() : -1),
    prepare: async (batch) => {
      if (!previousModel) prepared = await embedBatchContents(embedder, batch);
    },
    apply: (batch) => {
      const added: Array<[number, Float32Array]> = [];
      const removed: number[] = [];
      const erasedHashes: string[] = [];
      const through = applyInTransaction(db, vectorReadModel, batch, (item) => {
        if (item.kind !== "memory") return;
        if (item.event.type === "MemoryErased") {
          for (const { content_pos, content_hash } of itemsOf.all(item.event.data.memoryId)) {
            tombstone.run(content_pos);
            removed.push(content_pos);
            erasedHashes.push(content_hash);
          }
          deleteItems.run(item.event.data.memoryId);
          // Before the commit: if it then fails, the worst case is re-embedding text that is being erased anyway.
          if (erasedHashes.length > 0) options.onErasedContent?.(erasedHashes.splice(0));
          return;
        }
        const content = carriedContent(item);
        // The previous model's generation takes erasures only: new content is embedded by the generation replacing it.
        if (!content || previousModel) return;
        const hash = contentHash(searchableText(content));
        const vector = prepared.get(hash);
        if (!vector) throw new Error(`no embedding prepared for content at position ${item.envelope.position}; prepare() must run before apply()`);
        insertItem.run(item.envelope.position, item.event.data.memoryId, hash, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
        added.push([item.envelope.position, vector]);
      });
      prepared = new Map();
      // The table is committed; the in-memory index follows it (a crash here is repaired on open).
      const { points, count } = pointsToInsert(added, through);
      // A few points go into the graph now; more, or any behind points still staged, are staged in order.
      if (count <= insertsPerTurn && index.pendingCount === 0) {
        for (const [position, vector] of points) index.add(position, vector);
        pointsInserted += count;
        addedSinceSave += count;
      } else {
        for (const [position, vector] of points) index.stage(position, vector);
      }
      for (const position of removed) scrubAndRemove(index, position);
      if (removed.length > 0) purgeWriteAheadLog(db);
      if (removed.length > 0 || addedSinceSave >= saveEvery) save();
      drainInBackground();
    },
    // The index picks an exact scan of the set or a filtered graph walk by how much of it `among` holds.
    search: async (query, k, among) => {
      const allowed = visible(among);
      if (allowed === undefined) return index.search(query, k);
      return typeof allowed === "function" ? index.search(query, k, allowed) : index.searchAmong(query, k, allowed);
    },
    searchExact: async (query, k, positions) => {
      const through = adoption?.checkedThrough;
      return index.searchExact(query, k, through === undefined ? positions : [...positions].filter((label) => label <= through));
    },
    vectorsOf: async (positions) => {
      const out = new Map<number, Float32Array>();
      if (positions.length === 0) return out;
      const rows = db
        .prepare<[string], { content_pos: number; embedding: Buffer }>("SELECT content_pos, embedding FROM vector_items WHERE content_pos IN (SELECT value FROM json_each(?))")
        .all(JSON.stringify(positions));
      for (const r of rows) out.set(r.content_pos, toFloat32(r.embedding));
      return out;
    },
    saveCaches: () => {
      if (db.open && addedSinceSave > 0) save();
    },
    close: () => {
      if (!db.open) return;
      if (addedSinceSave > 0) save();
      db.close();
      settleWaiters();
    },
  };
}

/**
 * The saved index of the generation being replaced, when it was built by the same model and passes
 * the snapshot's own checks; its labels and vectors are then checked against the new table batch by batch.
 */
function previousGenerationIndex(previousFile: string, embedder: Embedder): AnnIndex | undefined {
  try {
    const previous = new Database(previousFile, { readonly: true, fileMustExist: true });
    try {
      const model = previous.prepare<[], { model_id: string; dimensions: number }>("SELECT model_id, dimensions FROM vector_model WHERE id = 1").get();
      if (model?.model_id !== embedder.modelId || model.dimensions !== embedder.dimensions) return undefined;
    } finally {
      previous.close();
    }
  } catch {
    // Missing, damaged or of another shape: build the index as usual.
    return undefined;
  }
  return loadAnnIndex(`${previousFile}.ann`, embedder.dimensions)?.index;
}

/**
 * Loads the saved index and brings it level with the table: add rows past its watermark, drop tombstoned points.
 * `scrubbed`: the saved file held points erased since, so it must be written again.
 */
function openIndex(db: SqliteDb, annFile: string, dimensions: number): { index: AnnIndex; scrubbed: boolean } {
  const loaded = existsSync(annFile) ? loadAnnIndex(annFile, dimensions) : undefined;
  const count = (db.prepare("SELECT count(*) AS n FROM vector_items").get() as { n: number }).n;
  const index = loaded?.index ?? createAnnIndex({ dimensions, initialCapacity: Math.max(1_024, count) });
  const watermark = loaded?.watermark ?? 0;
  const rows = db.prepare<[number], { content_pos: number; embedding: Buffer }>("SELECT content_pos, embedding FROM vector_items WHERE content_pos > ? ORDER BY content_pos");
  // Staged, not inserted: opening does not wait for the graph (the store drains it in the background).
  for (const row of rows.iterate(watermark)) index.stage(row.content_pos, toFloat32(row.embedding));
  let scrubbed = false;
  if (loaded) {
    for (const { content_pos } of db.prepare("SELECT content_pos FROM vector_tombstones").all() as { content_pos: number }[]) {
      if (!index.has(content_pos)) continue;
      scrubAndRemove(index, content_pos);
      scrubbed = true;
    }
  }
  return { index, scrubbed };
}

/**
 * Removes an erased point after overwriting its vector in place: hnswlib only
 * marks a removed point, and its bytes would stay in memory and in the saved
 * index until the slot is reused. The stand-in is a random unit vector, so it
 * says nothing about the erased text.
 */
function scrubAndRemove(index: AnnIndex, position: number): void {
  if (index.has(position)) {
    const noise = new Float32Array(index.dimensions);
    for (let i = 0; i < noise.length; i += 1) noise[i] = Math.random() - 0.5;
    index.add(position, noise);
  }
  index.remove(position);
}

function toFloat32(blob: Buffer): Float32Array {
  // Copy: the blob's buffer may be shared and unaligned for a Float32Array view.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}
