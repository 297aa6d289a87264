import { queryTerms, segmentWords } from "../../../projections/lexicalTokens.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import { defaultContextualIndex, settingsFingerprint, type ContextualIndexSettings } from "../../contextualIndex/contextualIndexSettings.js";
import { openSessionTurns, type LexicalEntry } from "./lexicalSessionTurns.js";
import { sessionKeyOf } from "../../contextualIndex/sessionWindow.js";
import type { ReadModelStore } from "../readModelStore.js";
import { startRankingWorker, type RankingWorker } from "./rankingWorker.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";

export const lexicalReadModel = "lexical";
// 2: a third column holds the words of a turn's session neighbours (src/contextualIndex/).
const projectionVersion = 2;

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
  /**
   * The same ranking as `search`, computed on a second thread (rankingWorker.ts) so the caller can do
   * other work meanwhile (hybrid search runs its vector lane); the same rows in the same order. Falls
   * back to `search` on this thread for an in-memory file or when the thread fails.
   */
  searchOnWorker(query: string, limit: number): Promise<LexicalHit[]>;
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
 *
 * With contextual indexing on, a session turn's entry also has its
 * neighbours' words in the `context` column (weighted lower); a neighbour
 * that arrives, changes or is erased rewrites the entries that hold its words.
 */
export interface LexicalStoreOptions {
  readonly context?: ContextualIndexSettings;
}

export function openSqliteLexicalStore(file: string, options: LexicalStoreOptions = {}): LexicalStore {
  const settings = options.context ?? defaultContextualIndex;
  const db = openReadModelDb(file, lexicalReadModel, projectionVersion);
  const members = checkpointMembers(db, lexicalReadModel, projectionVersion);
  // A file of an older projection has the old table shape: the runner only needs to see its version to replace it.
  if (members.storedProjectionVersion() !== projectionVersion) return outdatedLexicalStore(db, file, members);
  db.exec(`
    CREATE VIRTUAL TABLE IF NOT EXISTS lexical_fts USING fts5(title, body, context, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
    CREATE TABLE IF NOT EXISTS lexical_docs (content_pos INTEGER PRIMARY KEY, memory_id TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS lexical_docs_by_memory ON lexical_docs (memory_id);
  `);
  const insertDoc = db.prepare("INSERT OR IGNORE INTO lexical_docs (content_pos, memory_id) VALUES (?, ?)");
  const insertFts = db.prepare("INSERT INTO lexical_fts (rowid, title, body, context) VALUES (?, ?, ?, ?)");
  const docsOf = db.prepare<[string], { content_pos: number }>("SELECT content_pos FROM lexical_docs WHERE memory_id = ?");
  const deleteFts = db.prepare("DELETE FROM lexical_fts WHERE rowid = ?");
  const deleteDocs = db.prepare("DELETE FROM lexical_docs WHERE memory_id = ?");
  const optimize = db.prepare("INSERT INTO lexical_fts (lexical_fts) VALUES ('optimize')");
  const sessionTurns = openSessionTurns(db, settings);
  const weights = `2.0, 1.0, ${settings.contextWeight}`;
  const write = (entry: LexicalEntry) => insertFts.run(entry.contentPosition, entry.title, entry.body, entry.context);
  const rewrite = (entry: LexicalEntry) => {
    deleteFts.run(entry.contentPosition);
    write(entry);
  };
  // No join: the memory view resolves positions to units (and validity) in one indexed lookup afterwards.
  const rankingSql = `SELECT rowid AS content_pos, -bm25(lexical_fts, ${weights}) AS score FROM lexical_fts WHERE lexical_fts MATCH ? ORDER BY bm25(lexical_fts, ${weights}) LIMIT ?`;
  const ranked = db.prepare<[string, number], { content_pos: number; score: number }>(rankingSql);
  // Started on the first ranking asked of it; an in-memory database cannot be opened from another thread.
  let rankingWorker: RankingWorker | undefined;
  let rankingWorkerFailed = file === ":memory:";
  const rankedWithin = db.prepare<[string, string, number], { content_pos: number; score: number }>(
    `SELECT rowid AS content_pos, -bm25(lexical_fts, ${weights}) AS score FROM lexical_fts WHERE lexical_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?)) ORDER BY bm25(lexical_fts, ${weights}) LIMIT ?`,
  );
  let erasedInBatch = false;

  const fold = (item: ProjectionEvent): void => {
    if (item.kind !== "memory") return;
    const { envelope, event } = item;
    if (event.type === "MemoryErased") {
      for (const { content_pos } of docsOf.all(event.data.memoryId)) deleteFts.run(content_pos);
      deleteDocs.run(event.data.memoryId);
      for (const entry of sessionTurns.erase(event.data.memoryId)) rewrite(entry);
      erasedInBatch = true;
      return;
    }
    if (event.type !== "MemoryCreated" && event.type !== "MemoryEdited" && event.type !== "MemoryReverted") return;
    const content = event.data.content;
    if (content === null) return;
    if (insertDoc.run(envelope.position, event.data.memoryId).changes === 0) return;
    const placed = sessionTurns.place({
      memoryId: event.data.memoryId,
      contentPosition: envelope.position,
      ...(event.type === "MemoryCreated" ? { sessionKey: sessionKeyOf(event.data.cubeId, event.data.attributes.memoryType, content) } : {}),
      title: segmentWords(content.key ?? "").join(" "),
      body: segmentWords(content.text).join(" "),
    });
    write(placed.entry);
    for (const entry of placed.rewrite) rewrite(entry);
  };

  return {
    ...members,
    // An index built under other contextual settings is rebuilt, not mixed with entries written under these.
    storedProjectionVersion: () => (sessionTurns.builtWith === settingsFingerprint(settings) ? members.storedProjectionVersion() : -1),
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
    searchOnWorker: async (query, limit) => {
      const match = ftsMatchExpression(query);
      if (match === undefined) return [];
      const onThisThread = () => ranked.all(match, limit).map((r) => ({ contentPosition: r.content_pos, score: r.score }));
      if (rankingWorkerFailed || !db.open) return onThisThread();
      rankingWorker ??= startRankingWorker(file);
      try {
        return (await rankingWorker.rank(rankingSql, match, limit)).map(([contentPosition, score]) => ({ contentPosition, score }));
      } catch {
        // A thread that cannot open the file or has died: rank here from now on (slower for hybrid search, never wrong).
        rankingWorkerFailed = true;
        return db.open ? onThisThread() : [];
      }
    },
    searchWithin: (query, positions, limit) => {
      const match = ftsMatchExpression(query);
      if (match === undefined || positions.length === 0) return [];
      return rankedWithin.all(match, JSON.stringify(positions), limit).map((r) => ({ contentPosition: r.content_pos, score: r.score }));
    },
    close: () => {
      rankingWorkerFailed = true;
      const worker = rankingWorker;
      rankingWorker = undefined;
      if (worker === undefined) {
        if (db.open) db.close();
        return;
      }
      // The thread's connection first, so this one closes last and checkpoints the WAL away as a sole connection does;
      // the runner awaits this before it deletes a replaced generation's file.
      return worker.close().finally(() => {
        if (db.open) db.close();
      });
    },
  };
}

/** A generation of an older projection version: it serves nothing, the runner replaces it with a rebuilt one on open. */
function outdatedLexicalStore(db: SqliteDb, file: string, members: ReturnType<typeof checkpointMembers>): LexicalStore {
  const outdated = () => {
    throw new Error(`the full-text index ${file} was built by an older projection version; it is being rebuilt`);
  };
  return { ...members, file, db, apply: outdated, search: outdated, searchWithin: outdated, searchOnWorker: outdated, close: () => {
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
