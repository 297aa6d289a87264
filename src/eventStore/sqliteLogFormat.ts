import type Database from "better-sqlite3";
import { eventChecksum } from "./eventChecksum.js";

/**
 * The embedded log's table and its format version (`PRAGMA user_version`):
 * 0: written before checksums; rows may have no checksum (legacy, unchecked until migrated).
 * 1: every row has its checksum (eventChecksum.ts); a row without one is damage.
 */
export const checksummedFormat = 1;

const schema = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id      TEXT    NOT NULL,
  revision       INTEGER NOT NULL,
  event_id       TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  checksum       BLOB,
  UNIQUE (stream_id, revision)
);
`;

/** Creates the table, or adds the checksum column to a log written before it; returns the format version. */
export function prepareLogTable(db: Database.Database): number {
  db.exec(schema);
  const columns = db.pragma("table_info(events)") as { name: string }[];
  if (!columns.some((c) => c.name === "checksum")) db.exec("ALTER TABLE events ADD COLUMN checksum BLOB");
  return readLogFormat(db);
}

export function readLogFormat(db: Database.Database): number {
  return Number(db.pragma("user_version", { simple: true }));
}

/** A row of the `events` table as SQLite returns it; `checksum` is null on rows stored before checksums existed. */
export interface StoredEventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  checksum: Buffer | null;
}

type UncheckedRow = Omit<StoredEventRow, "checksum">;

/**
 * Writes the missing checksums of a log written before them, in log order and in batches (each its own
 * transaction, so a crash resumes where it stopped), then marks the log checksummed. The checksums of these
 * rows vouch for their bytes as of the migration, not before. Throws the engine's error on an unreadable row.
 */
export function migrateChecksums(db: Database.Database, batchSize = 5_000): { readonly migrated: number } {
  const page = db.prepare<[number, number], UncheckedRow>(
    "SELECT position, stream_id, revision, event_id, type, schema_version, data, metadata FROM events WHERE position > ? AND checksum IS NULL ORDER BY position LIMIT ?",
  );
  const write = db.prepare<[Buffer, number]>("UPDATE events SET checksum = ? WHERE position = ? AND checksum IS NULL");
  const anyMissing = db.prepare<[], { position: number }>("SELECT position FROM events WHERE checksum IS NULL LIMIT 1");
  let after = 0;
  let migrated = 0;
  const batch = db.transaction((rows: readonly UncheckedRow[]) => {
    for (const row of rows) {
      const checksum = eventChecksum({
        position: row.position,
        streamId: row.stream_id,
        revision: row.revision,
        eventId: row.event_id,
        type: row.type,
        schemaVersion: row.schema_version,
        data: row.data,
        metadata: row.metadata,
      });
      migrated += write.run(checksum, row.position).changes;
    }
  });
  for (;;) {
    const rows = page.all(after, batchSize);
    if (rows.length === 0) break;
    batch.immediate(rows);
    after = rows[rows.length - 1]!.position;
  }
  // Another process may have appended legacy rows meanwhile (an old version still running): only mark when none is left.
  db.transaction(() => {
    if (anyMissing.get() === undefined) db.pragma(`user_version = ${checksummedFormat}`);
  }).immediate();
  return { migrated };
}
