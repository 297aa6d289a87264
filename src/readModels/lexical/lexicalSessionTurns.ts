import type { SqliteDb } from "../sqliteReadModelDb.js";
import { contextIsOn, settingsFingerprint, type ContextualIndexSettings } from "../../contextualIndex/contextualIndexSettings.js";
import { contextWords, turnsSeeing, windowOf, type SessionTurn } from "../../contextualIndex/sessionWindow.js";

/** A session turn as the full-text read model keeps it: where its current entry is and the words it was indexed with. */
export interface IndexedTurn extends SessionTurn {
  /** Row of the unit's current content version in the full-text index. */
  readonly contentPosition: number;
  readonly title: string;
}

/** An entry to (re)write in the full-text index. */
export interface LexicalEntry {
  readonly contentPosition: number;
  readonly title: string;
  readonly body: string;
  readonly context: string;
}

export interface SessionTurns {
  /** The settings the file was built with, as a fingerprint; differs from the code's when the settings changed. */
  readonly builtWith: string;
  /**
   * A content version arrives. Returns the unit's entry (with its context) and
   * every other entry that must be rewritten: the unit's previous version,
   * now without context (old versions are matched by their own words only),
   * and the turns whose window holds the unit.
   */
  place(change: {
    readonly memoryId: string;
    readonly contentPosition: number;
    /** Set for a unit's creation (a session turn needs one); edits keep the session the unit was created in. */
    readonly sessionKey?: string;
    readonly title: string;
    readonly body: string;
  }): { readonly entry: LexicalEntry; readonly rewrite: readonly LexicalEntry[] };
  /** A unit is erased: forgets its words and returns the entries of the turns that had them as context, rewritten without. */
  erase(memoryId: string): readonly LexicalEntry[];
}

interface TurnRow {
  memory_id: string;
  session_key: string;
  turn_order: number;
  content_pos: number;
  title: string;
  body: string;
}

/**
 * The words of every session turn, kept in the full-text read model's file so
 * a neighbour's entry can be rewritten when a turn arrives, changes or is
 * erased (the index itself is contentless). Empty when contextual indexing is
 * off. Erasure deletes the row (the file runs with secure_delete) and rewrites
 * the entries that held the words; the store then merges the index.
 */
export function openSessionTurns(db: SqliteDb, settings: ContextualIndexSettings): SessionTurns {
  db.exec(`
    CREATE TABLE IF NOT EXISTS lexical_context_settings (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS lexical_session_turns (
      memory_id TEXT PRIMARY KEY, session_key TEXT NOT NULL, turn_order INTEGER NOT NULL,
      content_pos INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS lexical_session_turns_by_session ON lexical_session_turns (session_key, turn_order);
  `);
  db.prepare("INSERT OR IGNORE INTO lexical_context_settings (id, fingerprint) VALUES (1, ?)").run(settingsFingerprint(settings));
  const builtWith = db.prepare<[], { fingerprint: string }>("SELECT fingerprint FROM lexical_context_settings WHERE id = 1").get()!.fingerprint;
  const on = contextIsOn(settings);
  const turnOf = db.prepare<[string], TurnRow>("SELECT * FROM lexical_session_turns WHERE memory_id = ?");
  const reach = Math.max(settings.previousTurns, settings.followingTurns);
  // Only the turns within reach of `order` on either side: a session can be long.
  const nearby = db.prepare<[string, number, number, string, number, number], TurnRow>(`
    SELECT * FROM (SELECT * FROM lexical_session_turns WHERE session_key = ? AND turn_order < ? ORDER BY turn_order DESC LIMIT ?)
    UNION ALL SELECT * FROM (SELECT * FROM lexical_session_turns WHERE session_key = ? AND turn_order > ? ORDER BY turn_order LIMIT ?)`);
  const insertTurn = db.prepare("INSERT OR REPLACE INTO lexical_session_turns (memory_id, session_key, turn_order, content_pos, title, body) VALUES (?, ?, ?, ?, ?, ?)");
  const deleteTurn = db.prepare("DELETE FROM lexical_session_turns WHERE memory_id = ?");

  const toTurn = (row: TurnRow): IndexedTurn => ({ memoryId: row.memory_id, order: row.turn_order, words: row.body, contentPosition: row.content_pos, title: row.title });
  /** Turns around `order` in its session, enough for the windows of the turn and of every turn that sees it. */
  const around = (sessionKey: string, order: number, depth = reach): IndexedTurn[] =>
    nearby.all(sessionKey, order, depth, sessionKey, order, depth).map(toTurn);
  const entryOf = (row: TurnRow): LexicalEntry => {
    const window = windowOf(around(row.session_key, row.turn_order), row.turn_order, settings);
    return { contentPosition: row.content_pos, title: row.title, body: row.body, context: contextWords(window) };
  };
  /** The turns that see the turn at `order`, rewritten as they read now. */
  const seeing = (sessionKey: string, order: number): LexicalEntry[] =>
    turnsSeeing(around(sessionKey, order), order, settings).map((t) => entryOf(turnOf.get(t.memoryId)!));

  return {
    builtWith,
    place(change) {
      const own = { contentPosition: change.contentPosition, title: change.title, body: change.body, context: "" };
      if (!on) return { entry: own, rewrite: [] };
      const previous = turnOf.get(change.memoryId);
      const sessionKey = previous?.session_key ?? change.sessionKey;
      if (sessionKey === undefined) return { entry: own, rewrite: [] };
      const order = previous?.turn_order ?? change.contentPosition;
      const row: TurnRow = { memory_id: change.memoryId, session_key: sessionKey, turn_order: order, content_pos: change.contentPosition, title: change.title, body: change.body };
      insertTurn.run(row.memory_id, row.session_key, row.turn_order, row.content_pos, row.title, row.body);
      const rewrite = seeing(sessionKey, order);
      if (previous !== undefined && previous.content_pos !== change.contentPosition) {
        rewrite.push({ contentPosition: previous.content_pos, title: previous.title, body: previous.body, context: "" });
      }
      return { entry: entryOf(row), rewrite };
    },
    erase(memoryId) {
      const row = turnOf.get(memoryId);
      if (row === undefined) return [];
      deleteTurn.run(memoryId);
      return seeing(row.session_key, row.turn_order);
    },
  };
}
