import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ReadAuditLog, ReadQuery, ReadRecord, StoredReadRecord } from "./readAuditPort.js";

export interface SqliteReadAuditOptions {
  readonly path: string;
  /**
   * `buffered` (default): records are written in one transaction every
   * `flushIntervalMs`, so a read costs a push onto an array; a process crash can
   * lose the records of the last interval. `sync`: written before `record` returns.
   */
  readonly mode?: "buffered" | "sync";
  readonly flushIntervalMs?: number;
}

const defaultLimit = 100;
const maxLimit = 1_000;

interface Row {
  seq: number;
  at: string;
  tenant_id: string;
  principal_id: string;
  on_behalf_of: string | null;
  action: string;
  fingerprint: string;
  cube_ids: string;
  memory_ids: string;
  request_id: string | null;
}

const toRecord = (row: Row): StoredReadRecord => ({
  seq: row.seq,
  at: row.at,
  tenantId: row.tenant_id,
  principalId: row.principal_id,
  ...(row.on_behalf_of !== null ? { onBehalfOf: row.on_behalf_of } : {}),
  action: row.action as StoredReadRecord["action"],
  queryFingerprint: row.fingerprint,
  cubeIds: JSON.parse(row.cube_ids) as string[],
  memoryIds: JSON.parse(row.memory_ids) as string[],
  ...(row.request_id !== null ? { requestId: row.request_id } : {}),
});

/**
 * The read audit in its own SQLite file (`audit/reads.db`): an append-only
 * table (updates and deletes are refused by triggers) and an index table
 * memory id -> record, so "who read X" and "what did P read" are index
 * lookups, never scans.
 */
export function openSqliteReadAuditLog(options: SqliteReadAuditOptions): ReadAuditLog {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`
    CREATE TABLE IF NOT EXISTS reads (
      seq          INTEGER PRIMARY KEY,
      at           TEXT NOT NULL,
      tenant_id    TEXT NOT NULL,
      principal_id TEXT NOT NULL,
      on_behalf_of TEXT,
      action       TEXT NOT NULL,
      fingerprint  TEXT NOT NULL,
      cube_ids     TEXT NOT NULL,
      memory_ids   TEXT NOT NULL,
      request_id   TEXT
    );
    CREATE INDEX IF NOT EXISTS reads_by_principal ON reads (tenant_id, principal_id, at, seq);
    CREATE TABLE IF NOT EXISTS read_memories (
      tenant_id TEXT NOT NULL,
      memory_id TEXT NOT NULL,
      seq       INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, memory_id, seq)
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS reads_append_only_update BEFORE UPDATE ON reads BEGIN SELECT RAISE(ABORT, 'the read audit is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS reads_append_only_delete BEFORE DELETE ON reads BEGIN SELECT RAISE(ABORT, 'the read audit is append-only'); END;
  `);
  const insertRead = db.prepare(
    "INSERT INTO reads (at, tenant_id, principal_id, on_behalf_of, action, fingerprint, cube_ids, memory_ids, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertMemory = db.prepare("INSERT OR IGNORE INTO read_memories (tenant_id, memory_id, seq) VALUES (?, ?, ?)");
  const writeBatch = db.transaction((batch: readonly ReadRecord[]) => {
    for (const r of batch) {
      const seq = Number(
        insertRead.run(r.at, r.tenantId, r.principalId, r.onBehalfOf ?? null, r.action, r.queryFingerprint, JSON.stringify(r.cubeIds), JSON.stringify(r.memoryIds), r.requestId ?? null).lastInsertRowid,
      );
      for (const memoryId of new Set(r.memoryIds)) insertMemory.run(r.tenantId, memoryId, seq);
    }
  });
  const byMemory = db.prepare<[string, string, number, string, string, number], Row>(
    `SELECT r.* FROM read_memories m JOIN reads r ON r.seq = m.seq
     WHERE m.tenant_id = ? AND m.memory_id = ? AND m.seq > ? AND r.at >= ? AND r.at <= ? ORDER BY m.seq LIMIT ?`,
  );
  const byPrincipal = db.prepare<[string, string, string, string, number, number], Row>(
    `SELECT * FROM reads WHERE tenant_id = ? AND principal_id = ? AND at >= ? AND at <= ? AND seq > ? ORDER BY at, seq LIMIT ?`,
  );

  const mode = options.mode ?? "buffered";
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  let buffer: ReadRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const flushNow = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0 || closed) return;
    const batch = buffer;
    buffer = [];
    writeBatch(batch);
  };
  const bounds = (q: ReadQuery) => ({ from: q.from ?? "", to: q.to ?? "\uffff", after: q.after ?? 0, limit: Math.min(Math.max(1, q.limit ?? defaultLimit), maxLimit) });

  return {
    record(entry) {
      if (closed) throw new Error("the read audit log is closed");
      if (mode === "sync") return writeBatch([entry]);
      buffer.push(entry);
      // Unref'd: a pending flush must not keep a finished process alive; close() flushes.
      if (timer === undefined) timer = setTimeout(flushNow, flushIntervalMs).unref();
    },
    async flush() {
      flushNow();
    },
    async whoRead(memoryId, query) {
      flushNow();
      const b = bounds(query);
      return byMemory.all(query.tenantId, memoryId, b.after, b.from, b.to, b.limit).map(toRecord);
    },
    async readsBy(principalId, query) {
      flushNow();
      const b = bounds(query);
      return byPrincipal.all(query.tenantId, principalId, b.from, b.to, b.after, b.limit).map(toRecord);
    },
    async close() {
      if (closed) return;
      flushNow();
      closed = true;
      db.close();
    },
  };
}
