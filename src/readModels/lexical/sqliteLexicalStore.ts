import { queryTerms, segmentWords } from "../../../projections/lexicalTokens.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import type { ReadModelStore } from "../readModelStore.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";

export const lexicalReadModel = "lexical";
const projectionVersion = 1;

export interface LexicalHit {
  /** The content version (position of the event that introduced it). */
  readonly contentPosition: number;
  /** BM25, higher is better (SQLite's bm25() negated). */
  readonly score: number;
}

export interface LexicalStore extends ReadModelStore {
  readonly file: string;
  /** Raw BM25 ranking over every content version (callers filter by validity and filters). */
  search(query: string, limit: number): LexicalHit[];
  /** BM25 ranking among these content versions only (a selective filter's matching set, from the memory view's tag and metadata tables). */
  searchWithin(query: string, contentPositions: readonly number[], limit: number): LexicalHit[];
  readonly db: SqliteDb;
}

/**
 * Full-text read model: an FTS5 index with BM25 over every content version's
 * title and body, words segmented by ICU first (projections/lexicalTokens.ts)
 * so Chinese text is searchable by word. The table is contentless (the index
 * keeps no second copy of the text) with deletes enabled, so erasing a unit
 * removes its rows; after an erasure the index is merged ("optimize") so no
 * term of the erased text survives in an old segment.
 */
export function openSqliteLexicalStore(file: string): LexicalStore {
  const db = openReadModelDb(file, lexicalReadModel, projectionVersion);
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS lexical_fts USING fts5(title, body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
    CREATE TABLE IF NOT EXISTS lexical_docs (content_pos INTEGER PRIMARY KEY, memory_id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS lexical_docs_by_memory ON lexical_docs (memory_id);
  `);
  const insertDoc = db.prepare("INSERT OR IGNORE INTO lexical_docs (content_pos, memory_id) VALUES (?, ?)");
  const insertFts = db.prepare("INSERT INTO lexical_fts (rowid, title, body) VALUES (?, ?, ?)");
  const docsOf = db.prepare<[string], { content_pos: number }>("SELECT content_pos FROM lexical_docs WHERE memory_id = ?");
  const deleteFts = db.prepare("DELETE FROM lexical_fts WHERE rowid = ?");
  const deleteDocs = db.prepare("DELETE FROM lexical_docs WHERE memory_id = ?");
  const optimize = db.prepare("INSERT INTO lexical_fts (lexical_fts) VALUES ('optimize')");
  const ranked = db.prepare<[string, number], { content_pos: number; score: number }>(
    // No join: the memory view resolves positions to units (and validity) in one indexed lookup afterwards.
    `SELECT rowid AS content_pos, -bm25(lexical_fts, 2.0, 1.0) AS score FROM lexical_fts WHERE lexical_fts MATCH ? ORDER BY bm25(lexical_fts, 2.0, 1.0) LIMIT ?`,
  );
  const rankedWithin = db.prepare<[string, string, number], { content_pos: number; score: number }>(
    `SELECT rowid AS content_pos, -bm25(lexical_fts, 2.0, 1.0) AS score FROM lexical_fts WHERE lexical_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?)) ORDER BY bm25(lexical_fts, 2.0, 1.0) LIMIT ?`,
  );
  let erasedInBatch = false;

  const fold = (item: ProjectionEvent): void => {
    if (item.kind !== "memory") return;
    const { envelope, event } = item;
    if (event.type === "MemoryErased") {
      for (const { content_pos } of docsOf.all(event.data.memoryId)) deleteFts.run(content_pos);
      deleteDocs.run(event.data.memoryId);
      erasedInBatch = true;
      return;
    }
    if (event.type !== "MemoryCreated" && event.type !== "MemoryEdited" && event.type !== "MemoryReverted") return;
    const content = event.data.content;
    if (content === null) return;
    if (insertDoc.run(envelope.position, event.data.memoryId).changes === 0) return;
    insertFts.run(envelope.position, segmentWords(content.key ?? "").join(" "), segmentWords(content.text).join(" "));
  };

  return {
    ...checkpointMembers(db, lexicalReadModel, projectionVersion),
    file,
    db,
    apply: (batch) => {
      erasedInBatch = false;
      applyInTransaction(db, lexicalReadModel, batch, (item) => {
        fold(item);
      });
      if (erasedInBatch) {
        optimize.run();
        purgeWriteAheadLog(db);
      }
    },
    search: (query, limit) => {
      const match = ftsMatchExpression(query);
      if (match === undefined) return [];
      const rows = ranked.all(match, limit);
      return rows.map((r) => ({ contentPosition: r.content_pos, score: r.score }));
    },
    searchWithin: (query, positions, limit) => {
      const match = ftsMatchExpression(query);
      if (match === undefined || positions.length === 0) return [];
      return rankedWithin.all(match, JSON.stringify(positions), limit).map((r) => ({ contentPosition: r.content_pos, score: r.score }));
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}

/** Query words OR-ed, each quoted so user text can never be read as FTS5 syntax. */
export function ftsMatchExpression(query: string): string | undefined {
  const terms = queryTerms(query);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(" OR ");
}
