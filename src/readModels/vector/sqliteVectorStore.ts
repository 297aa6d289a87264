import { existsSync } from "node:fs";
import type { Embedder } from "../../embedding/embedderPort.js";
import { contentHash, searchableText } from "../../../projections/memoryIntervals.js";
import { createAnnIndex, loadAnnIndex, type AnnIndex } from "../../vectorIndex/annIndex.js";
import { removeAbandonedTemporaryFiles } from "../../vectorIndex/annIndexFile.js";
import type { VectorReadModel } from "./vectorReadModel.js";
import { vectorReadModel } from "./vectorReadModel.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";
import { carriedContent, embedBatchContents } from "./batchEmbeddings.js";

export { vectorReadModel } from "./vectorReadModel.js";
const projectionVersion = 1;
/** Save the ANN file after this many additions, so a restart re-adds at most this many points. */
const saveEvery = 20_000;
/** HNSW inserts per turn of the event loop (each takes 1–5 ms at a few thousand points): a large batch must not hold the loop. */
const insertsPerTurn = 8;

export interface SqliteVectorStore extends VectorReadModel {
  readonly file: string;
}

/**
 * Vector read model: one embedding per content version (keyed, like the other
 * read models, by the position of the event that introduced the content),
 * stored in SQLite with the checkpoint, plus an HNSW index kept in memory and
 * saved beside the database as a rebuildable cache of that table.
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
  const { index, scrubbed } = sameModel || previousModel ? openIndex(db, annFile, model.dimensions) : { index: createAnnIndex({ dimensions: embedder.dimensions }), scrubbed: false };
  let addedSinceSave = 0;

  const insertItem = db.prepare("INSERT OR IGNORE INTO vector_items (content_pos, memory_id, content_hash, embedding) VALUES (?, ?, ?, ?)");
  const itemsOf = db.prepare<[string], { content_pos: number; content_hash: string }>("SELECT content_pos, content_hash FROM vector_items WHERE memory_id = ?");
  const deleteItems = db.prepare("DELETE FROM vector_items WHERE memory_id = ?");
  const tombstone = db.prepare("INSERT OR IGNORE INTO vector_tombstones (content_pos) VALUES (?)");
  const maxPosition = db.prepare<[], { p: number | null }>("SELECT max(content_pos) AS p FROM vector_items");

  /** Embeddings fetched by `prepare` for the batch about to be applied, by text hash. */
  let prepared = new Map<string, Float32Array>();

  const save = () => {
    index.save(annFile, maxPosition.get()?.p ?? 0);
    addedSinceSave = 0;
  };

  // The saved file still had erased vectors (a crash before the save that follows an erasure): replace it now.
  if (scrubbed) save();

  const checkpointed = checkpointMembers(db, vectorReadModel, projectionVersion);
  /** While a batch's points go into the index, the checkpoint the store had before it: nobody waits for vectors not yet searchable. */
  let indexingAfter: number | undefined;
  return {
    ...checkpointed,
    checkpoint: () => indexingAfter ?? checkpointed.checkpoint(),
    file,
    modelId: previousModel ? model.model_id : embedder.modelId,
    dimensions: previousModel ? model.dimensions : embedder.dimensions,
    servesUntilReplaced: previousModel,
    get size() {
      return index.size;
    },
    // Another model's vectors cannot be reused: a model change rebuilds in a new generation.
    storedProjectionVersion: () => (sameModel ? checkpointed.storedProjectionVersion() : -1),
    prepare: async (batch) => {
      if (!previousModel) prepared = await embedBatchContents(embedder, batch);
    },
    apply: (batch) => {
      const before = checkpointed.checkpoint();
      const added: Array<[number, Float32Array]> = [];
      const removed: number[] = [];
      const erasedHashes: string[] = [];
      applyInTransaction(db, vectorReadModel, batch, (item) => {
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
      const finish = () => {
        for (const position of removed) scrubAndRemove(index, position);
        addedSinceSave += added.length;
        if (removed.length > 0) purgeWriteAheadLog(db);
        if (removed.length > 0 || addedSinceSave >= saveEvery) save();
      };
      if (added.length <= insertsPerTurn) {
        for (const [position, vector] of added) index.add(position, vector);
        return finish();
      }
      indexingAfter = before;
      return (async () => {
        try {
          for (let start = 0; start < added.length; start += insertsPerTurn) {
            if (start > 0) await new Promise((nextTurn) => setImmediate(nextTurn));
            for (const [position, vector] of added.slice(start, start + insertsPerTurn)) index.add(position, vector);
          }
        } finally {
          indexingAfter = undefined;
        }
        finish();
      })();
    },
    // The index picks an exact scan of the set or a filtered graph walk by how much of it `among` holds.
    search: async (query, k, among) => (among === undefined ? index.search(query, k) : index.searchAmong(query, k, among)),
    searchExact: async (query, k, positions) => index.searchExact(query, k, positions),
    vectorsOf: async (positions) => {
      const out = new Map<number, Float32Array>();
      if (positions.length === 0) return out;
      const rows = db
        .prepare<[string], { content_pos: number; embedding: Buffer }>("SELECT content_pos, embedding FROM vector_items WHERE content_pos IN (SELECT value FROM json_each(?))")
        .all(JSON.stringify(positions));
      for (const r of rows) out.set(r.content_pos, toFloat32(r.embedding));
      return out;
    },
    close: () => {
      if (!db.open) return;
      if (addedSinceSave > 0) save();
      db.close();
    },
  };
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
  for (const row of rows.iterate(watermark)) index.add(row.content_pos, toFloat32(row.embedding));
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
