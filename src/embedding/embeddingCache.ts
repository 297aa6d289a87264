import Database from "better-sqlite3";
import { contentHash } from "../../projections/memoryIntervals.js";
import type { Embedder } from "./embedderPort.js";

/**
 * Vectors already computed, keyed by (model id, sha256 of the exact text), so
 * rebuilding an index never pays for the same embedding twice.
 * The cache holds derived copies of content: erasure must call deleteByHashes.
 */
export interface EmbeddingCache {
  /** One entry per text, in order; undefined where the cache has no vector for that model and text. */
  getMany(modelId: string, texts: readonly string[]): (Float32Array | undefined)[];
  /**
   * Stores vectors[i] as the embedding of texts[i]; an existing entry is replaced.
   * With `computedSince` (an `erasures()` count taken before embedding), texts erased since are skipped.
   */
  putMany(modelId: string, texts: readonly string[], vectors: readonly Float32Array[], computedSince?: number): void;
  /** Removes every model's vectors for these content hashes (see contentHash); returns how many rows went. */
  deleteByHashes(hashes: readonly string[]): number;
  /** How many deleteByHashes calls this cache has seen: taken before an embedding, it lets putMany skip text erased meanwhile. */
  erasures(): number;
  close(): void;
}

/** The cache key of a text: sha256 of its UTF-8 bytes, lowercase hex; the same hash the vector read model records, so erasure can delete by it. */
export { contentHash };

const schema = `
  CREATE TABLE IF NOT EXISTS embedding_cache (
    model_id     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector       BLOB NOT NULL,
    PRIMARY KEY (model_id, content_hash)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS embedding_cache_by_hash ON embedding_cache (content_hash);
`;

/** Opens (creating if needed) a SQLite embedding cache at `path`; ":memory:" works for tests. */
export function openEmbeddingCache(path: string): EmbeddingCache {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // Deleted rows are overwritten with zeros, so erased vectors do not linger in free pages.
  db.pragma("secure_delete = ON");
  // A kill -9 between deleting erased vectors and the checkpoint below leaves them in the WAL: purge it at open too.
  if (path !== ":memory:") db.pragma("wal_checkpoint(TRUNCATE)");
  db.exec(schema);

  const select = db.prepare<[string, string], { vector: Buffer }>("SELECT vector FROM embedding_cache WHERE model_id = ? AND content_hash = ?");
  const upsert = db.prepare<[string, string, Buffer]>("INSERT OR REPLACE INTO embedding_cache (model_id, content_hash, vector) VALUES (?, ?, ?)");
  const deleteHash = db.prepare<[string]>("DELETE FROM embedding_cache WHERE content_hash = ?");

  const putAll = db.transaction((modelId: string, texts: readonly string[], vectors: readonly Float32Array[]) => {
    texts.forEach((text, i) => upsert.run(modelId, contentHash(text), toBlob(vectors[i]!)));
  });
  const deleteAll = db.transaction((hashes: readonly string[]) => hashes.reduce((deleted, hash) => deleted + deleteHash.run(hash).changes, 0));
  // Erased hashes by erasure count, kept in memory only (a hash of erased text on disk would confirm a guess of it):
  // an embedding in flight when its text is erased must not put the vector back.
  let erasureCount = 0;
  const erasedAt = new Map<string, number>();

  return {
    getMany(modelId, texts) {
      return texts.map((text) => {
        const row = select.get(modelId, contentHash(text));
        return row === undefined ? undefined : fromBlob(row.vector);
      });
    },
    putMany(modelId, texts, vectors, computedSince) {
      if (texts.length !== vectors.length) throw new RangeError(`putMany got ${texts.length} texts but ${vectors.length} vectors`);
      if (computedSince === undefined || computedSince === erasureCount) return putAll(modelId, texts, vectors);
      const kept = texts.flatMap((text, i) => ((erasedAt.get(contentHash(text)) ?? 0) > computedSince ? [] : [i]));
      putAll(modelId, kept.map((i) => texts[i]!), kept.map((i) => vectors[i]!));
    },
    deleteByHashes(hashes) {
      erasureCount += 1;
      for (const hash of hashes) {
        // Re-inserted so the map stays ordered by erasure, oldest first.
        erasedAt.delete(hash);
        erasedAt.set(hash, erasureCount);
      }
      // Bounded: an embedding runs for seconds, so only recent erasures matter.
      for (const oldest of erasedAt.keys()) {
        if (erasedAt.size <= maxRememberedErasures) break;
        erasedAt.delete(oldest);
      }
      const deleted = deleteAll(hashes);
      // The WAL still holds the pages as they were before the delete; fold it into the database and truncate it.
      if (deleted > 0 && path !== ":memory:") db.pragma("wal_checkpoint(TRUNCATE)");
      return deleted;
    },
    erasures: () => erasureCount,
    close() {
      db.close();
    },
  };
}

const maxRememberedErasures = 100_000;

/**
 * An Embedder that answers from the cache and embeds only the misses (each distinct text once), storing them.
 * close() closes the wrapped embedder; the cache belongs to whoever opened it.
 */
export function cachedEmbedder(embedder: Embedder, cache: EmbeddingCache): Embedder {
  return {
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    async embed(texts, purpose = "passage") {
      // Queries never reach the disk (the cache holds memory contents only, which erasure purges).
      if (purpose === "query") return embedder.embed(texts, purpose);
      // A vector of the wrong width means the model changed under the same id: treat it as a miss and overwrite.
      const cached = cache.getMany(embedder.modelId, texts).map((hit) => (hit?.length === embedder.dimensions ? hit : undefined));
      const missingTexts = [...new Set(texts.filter((_, i) => cached[i] === undefined))];
      const erasuresBefore = cache.erasures();
      const computed = missingTexts.length === 0 ? [] : await embedder.embed(missingTexts, purpose);
      if (missingTexts.length > 0) cache.putMany(embedder.modelId, missingTexts, computed, erasuresBefore);
      const computedByText = new Map(missingTexts.map((text, i) => [text, computed[i]!]));
      // slice: a text repeated in one call still gets its own array, as it would from the embedder.
      return texts.map((text, i) => cached[i] ?? computedByText.get(text)!.slice());
    },
    close: () => embedder.close(),
  };
}

// Float32 in the host's byte order (little-endian on every platform Node supports in practice).
const toBlob = (vector: Float32Array): Buffer => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

// Copy: the Buffer may sit at an offset in a shared pool that is not 4-byte aligned.
const fromBlob = (blob: Buffer): Float32Array => new Float32Array(Uint8Array.from(blob).buffer);
