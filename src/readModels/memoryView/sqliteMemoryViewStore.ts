import type { MemoryContent } from "../../../domain/memory/memoryContent.js";
import type { ExistingMemory } from "../../../domain/memory/memoryState.js";
import { contentHash, searchableText, stepMemoryInterval, type MemoryIntervalState } from "../../../projections/memoryIntervals.js";
import type { MemoryView } from "../../../projections/memoryView.js";
import type { LogMoment, ProjectionEvent } from "../../../projections/projectionEvent.js";
import type { Statement } from "better-sqlite3";
import type { ReadModelStore } from "../readModelStore.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";
import { memoryFilterSql, metadataSqlValue, type MemoryFilters, type TagAndMetadataAccess } from "./memoryFilterSql.js";

export const memoryViewReadModel = "memory_view";
/** 2: tags and flat metadata fields in indexed tables (memory_tags, memory_metadata); an older file is rebuilt. */
const projectionVersion = 2;
/** Distinct filter shapes kept prepared; a bound, since the shape follows the caller's filters. */
const maxPreparedStatements = 64;

export interface MemoryListQuery extends MemoryFilters {
  readonly asOf?: LogMoment;
  readonly limit?: number;
  /** Keyset cursor: memory ids strictly after this one. */
  readonly afterMemoryId?: string;
}

/** A unit as of some moment, plus the content version the read models index it by. */
export interface MemoryViewRow {
  readonly memoryId: string;
  /**
   * Decoded on first read: a search reads many candidate rows and returns few. A search
   * candidate's row (rowsForContent, rowsForMemories) is read from the file then too, so a
   * search reads what it shows before it awaits anything further (the store may be replaced).
   */
  readonly view: MemoryView;
  readonly contentPosition: number | null;
  /** The unit's event time (ISO), what a time boost compares, readable without decoding the view. */
  readonly eventTime: string | undefined;
  /** Reads the whole row from the file now, without decoding it (a no-op for a row read whole). */
  readonly readWhole: () => void;
}

export interface MemoryViewStore extends ReadModelStore {
  readonly file: string;
  get(memoryId: string, asOf?: LogMoment): MemoryViewRow | undefined;
  list(query: MemoryListQuery): MemoryViewRow[];
  /** Of these content versions, the ones in force for a unit matching the filters at the moment. */
  rowsForContent(contentPositions: readonly number[], filters: MemoryFilters, asOf?: LogMoment): Map<number, MemoryViewRow>;
  /** Rows for these memories at the moment, restricted to the filters. */
  rowsForMemories(memoryIds: readonly string[], filters: MemoryFilters, asOf?: LogMoment): Map<string, MemoryViewRow>;
  /** Content versions in force that match the filters (for exact vector search over a small set). */
  contentPositionsMatching(filters: MemoryFilters, asOf: LogMoment | undefined, limit: number): number[];
  /** Stops counting at `cap` when given. */
  countMatching(filters: MemoryFilters, asOf?: LogMoment, cap?: number): number;
  /** The raw connection, for searches that join attached read models. */
  readonly db: SqliteDb;
}

interface IntervalRow {
  memory_id: string;
  from_pos: number;
  from_time: string;
  cube_id: string;
  status: string;
  version: number;
  content_pos: number | null;
  subject_id: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  state_json: string;
  event_time: string | null;
  text: string | null;
  key: string | null;
  tags_json: string | null;
  sources_json: string | null;
  metadata_json: string | null;
  user_id: string | null;
  agent_id: string | null;
  session_id: string | null;
}

/** What a search candidate needs before it is ranked: the rest of the row is read for the few shown (candidateRow). */
const candidateColumns = "i.memory_id, i.from_pos, i.content_pos, i.event_time";

interface CandidateRow {
  memory_id: string;
  from_pos: number;
  content_pos: number | null;
  event_time: string | null;
}

const rowColumns = `i.memory_id, i.from_pos, i.from_time, i.cube_id, i.status, i.version, i.content_pos, i.subject_id, i.created_at, i.created_by,
  i.updated_at, i.updated_by, i.state_json, i.event_time, c.text, c.key, c.tags_json, c.sources_json, c.metadata_json, c.user_id, c.agent_id, c.session_id`;

/**
 * The memory view read model in its own SQLite file: one row per validity
 * interval of a unit (see projections/memoryIntervals.ts) and one row per
 * content version. Listing, filtering and "as of" are range queries.
 */
export interface MemoryViewStoreOptions {
  /**
   * Read tag and metadata filters from each row's JSON as before projection version 2
   * (a json_each scan) instead of the indexed tables: only for measuring against the old path.
   */
  readonly jsonFilterScan?: boolean;
}

export function openSqliteMemoryViewStore(file: string, options: MemoryViewStoreOptions = {}): MemoryViewStore {
  const probe: TagAndMetadataAccess = options.jsonFilterScan ? "json" : "probe";
  const drive: TagAndMetadataAccess = options.jsonFilterScan ? "json" : "drive";
  const db = openReadModelDb(file, memoryViewReadModel, projectionVersion);
  db.exec(`
    CREATE TABLE IF NOT EXISTS memory_intervals (
      memory_id TEXT NOT NULL, from_pos INTEGER NOT NULL, to_pos INTEGER, from_time TEXT NOT NULL, to_time TEXT,
      cube_id TEXT NOT NULL, status TEXT NOT NULL, revision INTEGER NOT NULL, version INTEGER NOT NULL, content_pos INTEGER,
      memory_type TEXT NOT NULL, confidence REAL NOT NULL, visibility TEXT NOT NULL, event_time TEXT,
      successor_id TEXT, subject_id TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by TEXT NOT NULL,
      state_json TEXT NOT NULL,
      PRIMARY KEY (memory_id, from_pos)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS memory_intervals_current ON memory_intervals (cube_id, status, memory_id) WHERE to_pos IS NULL;
    CREATE INDEX IF NOT EXISTS memory_intervals_by_content ON memory_intervals (content_pos, from_pos);
    CREATE INDEX IF NOT EXISTS memory_intervals_by_cube ON memory_intervals (cube_id, from_pos);
    CREATE TABLE IF NOT EXISTS memory_contents (
      content_pos INTEGER PRIMARY KEY, memory_id TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL, key TEXT,
      tags_json TEXT NOT NULL, sources_json TEXT NOT NULL, metadata_json TEXT NOT NULL, user_id TEXT, agent_id TEXT, session_id TEXT
    );
    CREATE INDEX IF NOT EXISTS memory_contents_by_memory ON memory_contents (memory_id);
    -- Tag and metadata filters read these instead of parsing every row's JSON (see memoryFilterSql's access modes).
    CREATE TABLE IF NOT EXISTS memory_tags (content_pos INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (content_pos, tag)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS memory_tags_by_tag ON memory_tags (tag, content_pos);
    CREATE TABLE IF NOT EXISTS memory_metadata (content_pos INTEGER NOT NULL, field TEXT NOT NULL, value);
    CREATE INDEX IF NOT EXISTS memory_metadata_by_content ON memory_metadata (content_pos, field);
    CREATE INDEX IF NOT EXISTS memory_metadata_by_value ON memory_metadata (field, value, content_pos);
  `);

  const currentState = db.prepare<[string], { state_json: string; content_pos: number | null; subject_id: string | null; created_at: string; created_by: string }>(
    "SELECT state_json, content_pos, subject_id, created_at, created_by FROM memory_intervals WHERE memory_id = ? AND to_pos IS NULL",
  );
  const closeCurrent = db.prepare("UPDATE memory_intervals SET to_pos = ?, to_time = ? WHERE memory_id = ? AND to_pos IS NULL");
  const openInterval = db.prepare(`INSERT OR IGNORE INTO memory_intervals (memory_id, from_pos, from_time, cube_id, status, revision, version, content_pos,
      memory_type, confidence, visibility, event_time, successor_id, subject_id, created_at, created_by, updated_at, updated_by, state_json)
    VALUES (@memoryId, @fromPos, @fromTime, @cubeId, @status, @revision, @version, @contentPos, @memoryType, @confidence, @visibility, @eventTime,
      @successorId, @subjectId, @createdAt, @createdBy, @updatedAt, @updatedBy, @stateJson)`);
  const insertContent = db.prepare(`INSERT OR IGNORE INTO memory_contents (content_pos, memory_id, content_hash, text, key, tags_json, sources_json, metadata_json, user_id, agent_id, session_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const eraseContents = db.prepare("DELETE FROM memory_contents WHERE memory_id = ?");
  const insertTag = db.prepare("INSERT OR IGNORE INTO memory_tags (content_pos, tag) VALUES (?, ?)");
  const insertMetadata = db.prepare("INSERT INTO memory_metadata (content_pos, field, value) VALUES (?, ?, ?)");
  const eraseTags = db.prepare("DELETE FROM memory_tags WHERE content_pos IN (SELECT content_pos FROM memory_contents WHERE memory_id = ?)");
  const eraseMetadata = db.prepare("DELETE FROM memory_metadata WHERE content_pos IN (SELECT content_pos FROM memory_contents WHERE memory_id = ?)");
  const forgetContentPositions = db.prepare("UPDATE memory_intervals SET content_pos = NULL WHERE memory_id = ?");

  const foldMemory = (item: ProjectionEvent): void => {
    if (item.kind !== "memory") return;
    const { envelope, event } = item;
    const memoryId = event.data.memoryId;
    const stored = currentState.get(memoryId);
    const previous: MemoryIntervalState | undefined = stored
      ? {
          unit: JSON.parse(stored.state_json) as ExistingMemory,
          contentPosition: stored.content_pos,
          ...(stored.subject_id ? { subjectId: stored.subject_id } : {}),
          createdAt: stored.created_at,
          createdBy: stored.created_by,
        }
      : undefined;
    // A stream's events arrive in revision order; anything older is a replay.
    if (previous && previous.unit.revision >= envelope.revision) return;
    const step = stepMemoryInterval(previous, envelope, event);
    if (step.newContent) {
      const c = step.newContent;
      const inserted = insertContent.run(envelope.position, memoryId, contentHash(searchableText(c)), c.text, c.key ?? null, JSON.stringify(c.tags), JSON.stringify(c.sources),
        JSON.stringify(c.metadata), c.userId ?? null, c.agentId ?? null, c.sessionId ?? null).changes > 0;
      if (inserted) for (const tag of c.tags) insertTag.run(envelope.position, tag);
      if (inserted) for (const [field, value] of Object.entries(c.metadata)) {
        // A nested value (not expected, but stored JSON may hold one) is the JSON text json_extract would give.
        insertMetadata.run(envelope.position, field, typeof value === "object" && value !== null ? JSON.stringify(value) : metadataSqlValue(value));
      }
    }
    if (step.eraseContent) {
      eraseTags.run(memoryId);
      eraseMetadata.run(memoryId);
      eraseContents.run(memoryId);
      forgetContentPositions.run(memoryId);
    }
    closeCurrent.run(envelope.position, envelope.metadata.recordedAt, memoryId);
    const { unit } = step.next;
    openInterval.run({
      memoryId,
      fromPos: envelope.position,
      fromTime: envelope.metadata.recordedAt,
      cubeId: unit.cubeId,
      status: unit.status,
      revision: unit.revision,
      version: unit.version,
      contentPos: step.next.contentPosition,
      memoryType: unit.attributes.memoryType,
      confidence: unit.attributes.confidence,
      visibility: unit.attributes.visibility,
      eventTime: unit.attributes.eventTime ?? null,
      successorId: unit.successorId ?? null,
      subjectId: step.next.subjectId ?? null,
      createdAt: step.next.createdAt,
      createdBy: step.next.createdBy,
      updatedAt: envelope.metadata.recordedAt,
      updatedBy: envelope.metadata.actor,
      stateJson: JSON.stringify(unit),
    });
  };

  // Search reads a hundred candidate rows per retriever and returns ten: their JSON is parsed only when a caller reads `view`.
  const toRow = (r: IntervalRow): MemoryViewRow => {
    let view: MemoryView | undefined;
    return {
      memoryId: r.memory_id,
      contentPosition: r.content_pos,
      eventTime: r.event_time ?? undefined,
      readWhole: () => undefined,
      get view() {
        return (view ??= decodeView(r));
      },
    };
  };

  // An interval is keyed by (memory, from position) and never moves; only its end and, on erasure, its content change.
  const fullRow = db.prepare<[string, number], IntervalRow>(
    `SELECT ${rowColumns} FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.memory_id = ? AND i.from_pos = ?`,
  );
  /**
   * A search candidate: hundreds are read per search and ten shown, so the candidate query reads four
   * columns and the full row is read (one primary-key probe) only for a candidate whose view is asked for.
   * Erased meanwhile, it shows no content, as a unit erased before the search would.
   */
  const toCandidateRow = (r: CandidateRow): MemoryViewRow => {
    let whole: IntervalRow | undefined;
    let view: MemoryView | undefined;
    const readWhole = (): IntervalRow => {
      whole ??= fullRow.get(r.memory_id, r.from_pos);
      if (whole === undefined) throw new Error(`memory view: the interval of ${r.memory_id} from position ${r.from_pos} is gone; rebuild the memory view read model and report it`);
      return whole;
    };
    return {
      memoryId: r.memory_id,
      contentPosition: r.content_pos,
      eventTime: r.event_time ?? undefined,
      readWhole: () => void readWhole(),
      get view() {
        return (view ??= decodeView(readWhole()));
      },
    };
  };

  const decodeView = (r: IntervalRow): MemoryView => {
    const unit = JSON.parse(r.state_json) as ExistingMemory;
    const content: MemoryContent | null =
      r.text === null
        ? null
        : {
            text: r.text,
            ...(r.key !== null ? { key: r.key } : {}),
            tags: JSON.parse(r.tags_json ?? "[]") as string[],
            sources: JSON.parse(r.sources_json ?? "[]") as MemoryContent["sources"],
            ...(r.user_id !== null ? { userId: r.user_id } : {}),
            ...(r.agent_id !== null ? { agentId: r.agent_id } : {}),
            ...(r.session_id !== null ? { sessionId: r.session_id } : {}),
            metadata: JSON.parse(r.metadata_json ?? "{}") as MemoryContent["metadata"],
          };
    const view: MemoryView = {
      memoryId: r.memory_id,
      cubeId: r.cube_id,
      status: unit.status,
      revision: unit.revision,
      version: unit.version,
      content,
      attributes: unit.attributes,
      ...(unit.successorId ? { successorId: unit.successorId } : {}),
      ...(unit.frozen ? { frozen: unit.frozen } : {}),
      ...(unit.branchedFrom ? { branchedFrom: unit.branchedFrom } : {}),
      ...(unit.copiedFrom ? { copiedFrom: unit.copiedFrom } : {}),
      ...(unit.movedTo ? { movedTo: unit.movedTo } : {}),
      ...(unit.processingFailure ? { processingFailure: unit.processingFailure } : {}),
      ...(r.subject_id ? { subjectId: r.subject_id } : {}),
      createdAt: r.created_at,
      createdBy: r.created_by,
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
      position: r.from_pos,
    };
    return view;
  };

  // The SQL of a query depends on the filters' shape only, so a few statements serve every search: prepare each once.
  const statements = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= maxPreparedStatements) statements.delete(statements.keys().next().value!);
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const select = (where: string, params: unknown[], tail = ""): MemoryViewRow[] =>
    (prepared(`SELECT ${rowColumns} FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE ${where} ${tail}`).all(...params) as IntervalRow[]).map(
      toRow,
    );

  return {
    ...checkpointMembers(db, memoryViewReadModel, projectionVersion),
    file,
    db,
    apply: (batch) => {
      applyInTransaction(db, memoryViewReadModel, batch, foldMemory);
      if (batch.some((item) => item.kind === "memory" && item.event.type === "MemoryErased")) purgeWriteAheadLog(db);
    },
    get: (memoryId, asOf) => {
      const f = memoryFilterSql({ statuses: "any" }, asOf);
      return select(`i.memory_id = ? AND ${f.where}`, [memoryId, ...f.params])[0];
    },
    list: (query) => {
      const f = memoryFilterSql(query, query.asOf, drive);
      const after = query.afterMemoryId !== undefined ? " AND i.memory_id > ?" : "";
      const params = query.afterMemoryId !== undefined ? [...f.params, query.afterMemoryId] : f.params;
      return select(`${f.where}${after}`, params, `ORDER BY i.memory_id LIMIT ${Math.max(1, Math.floor(query.limit ?? 100))}`);
    },
    rowsForContent: (positions, filters, asOf) => {
      const out = new Map<number, MemoryViewRow>();
      if (positions.length === 0) return out;
      const f = memoryFilterSql(filters, asOf, probe);
      // Without INDEXED BY the planner walks every current row of the cube (cube_id, status index) and tests the list.
      const rows = prepared(
          `SELECT ${candidateColumns} FROM memory_intervals i INDEXED BY memory_intervals_by_content LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IN (SELECT value FROM json_each(?)) AND ${f.where}`,
        ).all(JSON.stringify(positions), ...f.params) as CandidateRow[];
      for (const row of rows.map(toCandidateRow)) {
        if (row.contentPosition !== null) out.set(row.contentPosition, row);
      }
      return out;
    },
    rowsForMemories: (memoryIds, filters, asOf) => {
      const out = new Map<string, MemoryViewRow>();
      if (memoryIds.length === 0) return out;
      const f = memoryFilterSql(filters, asOf, probe);
      // The ids drive the join, so each is one primary-key probe (as of a moment too).
      const rows = prepared(`SELECT ${candidateColumns} FROM json_each(?) j CROSS JOIN memory_intervals i ON i.memory_id = j.value LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE ${f.where}`)
        .all(JSON.stringify(memoryIds), ...f.params) as CandidateRow[];
      for (const row of rows.map(toCandidateRow)) {
        out.set(row.memoryId, row);
      }
      return out;
    },
    contentPositionsMatching: (filters, asOf, limit) => {
      const f = memoryFilterSql(filters, asOf, drive);
      return (prepared(`SELECT i.content_pos AS p FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IS NOT NULL AND ${f.where} LIMIT ?`)
        .all(...f.params, limit) as { p: number }[]).map((r) => r.p);
    },
    countMatching: (filters, asOf, cap) => {
      const f = memoryFilterSql(filters, asOf, drive);
      return (prepared(`SELECT count(*) AS n FROM (SELECT 1 FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IS NOT NULL AND ${f.where} LIMIT ?)`)
        .get(...f.params, cap ?? -1) as { n: number }).n;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}
