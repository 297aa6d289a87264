import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type SqliteDb = Database.Database;

/**
 * A read model's own SQLite file: WAL so searches read while the projection
 * writes, secure_delete so erased text and vectors do not linger in free
 * pages, and one `projection_checkpoint` row committed with every batch.
 * synchronous=NORMAL is enough: a read model lost to a power cut is rebuilt
 * from the log, which is the durable copy.
 */
export function openReadModelDb(file: string, name: string, projectionVersion: number): SqliteDb {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("secure_delete = ON");
  db.pragma("busy_timeout = 5000");
  // A kill -9 between an erasure's commit and its purge leaves erased pages in the WAL, and nothing replays that erasure.
  if (file !== ":memory:") purgeWriteAheadLog(db);
  db.exec(
    "CREATE TABLE IF NOT EXISTS projection_checkpoint (name TEXT PRIMARY KEY, position INTEGER NOT NULL, projection_version INTEGER NOT NULL)",
  );
  db.prepare("INSERT OR IGNORE INTO projection_checkpoint (name, position, projection_version) VALUES (?, 0, ?)").run(name, projectionVersion);
  return db;
}

export interface CheckpointRow {
  readonly position: number;
  readonly projectionVersion: number;
}

export function readCheckpoint(db: SqliteDb, name: string): CheckpointRow {
  const row = db
    .prepare<[string], { position: number; projection_version: number }>("SELECT position, projection_version FROM projection_checkpoint WHERE name = ?")
    .get(name);
  return { position: row?.position ?? 0, projectionVersion: row?.projection_version ?? 0 };
}

/**
 * The ReadModelStore members every SQLite read model shares: its name, the
 * projection version of the code, the version its file was built with, and
 * its checkpoint (read through one prepared statement: the runner asks often).
 */
export function checkpointMembers(db: SqliteDb, name: string, projectionVersion: number) {
  const select = db.prepare<[string], { position: number; projection_version: number }>("SELECT position, projection_version FROM projection_checkpoint WHERE name = ?");
  return {
    name,
    projectionVersion,
    storedProjectionVersion: (): number => select.get(name)?.projection_version ?? 0,
    checkpoint: (): number => select.get(name)?.position ?? 0,
  };
}

/**
 * Runs `fold` for the events above the checkpoint and moves the checkpoint,
 * all in one transaction. Returns the new checkpoint.
 */
export function applyInTransaction<E extends { readonly envelope: { readonly position: number } }>(
  db: SqliteDb,
  name: string,
  batch: readonly E[],
  fold: (event: E) => void,
): number {
  const run = db.transaction(() => {
    const from = readCheckpoint(db, name).position;
    let last = from;
    for (const item of batch) {
      const position = item.envelope.position;
      if (position <= last) continue;
      fold(item);
      last = position;
    }
    if (last > from) db.prepare("UPDATE projection_checkpoint SET position = ? WHERE name = ?").run(last, name);
    return last;
  });
  return run.immediate();
}

/**
 * After an erasure: write the WAL back into the database and truncate it.
 * secure_delete zeroes freed pages in the database file, but the WAL still
 * holds the pages as they were before the delete until it is checkpointed.
 */
export function purgeWriteAheadLog(db: SqliteDb): void {
  // TRUNCATE waits (busy_timeout) for readers on other connections (the BM25 ranking thread) to finish; if one
  // still held the log after that, the erased pages would stay in it, so that is an error, never a quiet success.
  const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number; log: number; checkpointed: number }>;
  if (result !== undefined && result.busy !== 0) {
    throw new Error(`could not truncate the write-ahead log of ${db.name}: another connection kept reading it past the busy timeout; the erasure's pages may still be in it until the next purge`);
  }
}
