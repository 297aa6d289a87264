import type Database from "better-sqlite3";
import { eventChecksum } from "./eventChecksum.js";
import { genesisHash, nextChainHash, nextStreamHash } from "./eventHashChain.js";

/**
 * The embedded log's table and its format version (`PRAGMA user_version`):
 * 0: written before checksums; rows may have no checksum (legacy, unchecked until migrated).
 * 1: every row has its checksum (eventChecksum.ts); a row without one is damage.
 * 2: every row also has its stream hash and chain hash (eventHashChain.ts); a row without them is damage.
 */
export const checksummedFormat = 1;
export const chainedFormat = 2;

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
  stream_hash    BLOB,
  chain_hash     BLOB,
  UNIQUE (stream_id, revision)
);
`;

/** Creates the table, or adds the checksum and hash columns to a log written before them; returns the format version. */
export function prepareLogTable(db: Database.Database): number {
  db.exec(schema);
  const columns = db.pragma("table_info(events)") as { name: string }[];
  for (const column of ["checksum", "stream_hash", "chain_hash"]) {
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE events ADD COLUMN ${column} BLOB`);
  }
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
  /** Null on rows stored before the hash chains (format < 2) until the migration reaches them. */
  stream_hash: Buffer | null;
  chain_hash: Buffer | null;
}

type UncheckedRow = Omit<StoredEventRow, "checksum" | "stream_hash" | "chain_hash">;

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
  inResumableBatches(db, page, batchSize, batch, anyMissing, checksummedFormat);
  return { migrated };
}

/**
 * Feeds `batch` the pages of rows a migration still has to write, in log order, each page its own
 * transaction (a crash resumes after the last page written), then marks the log `format` unless a
 * row is still missing: another process (an older version still running) may have appended some meanwhile.
 */
function inResumableBatches<Row extends { position: number }>(
  db: Database.Database,
  page: Database.Statement<[number, number], Row>,
  batchSize: number,
  batch: Database.Transaction<(rows: readonly Row[]) => void>,
  anyMissing: Database.Statement<[], { position: number }>,
  format: number,
): void {
  for (let after = 0; ; ) {
    const rows = page.all(after, batchSize);
    if (rows.length === 0) break;
    batch.immediate(rows);
    after = rows[rows.length - 1]!.position;
  }
  db.transaction(() => {
    if (anyMissing.get() === undefined) db.pragma(`user_version = ${format}`);
  }).immediate();
}

/**
 * Writes the stream and chain hashes of a checksummed log written before them, in log order and in batches
 * (each its own transaction: a crash resumes after the last chained row), then marks the log chained.
 * The chains are built over the stored checksums, so no event body is re-read; they vouch for the rows as
 * of the migration, not before (`memledger audit verify` still checks each checksum).
 */
export function migrateHashChains(db: Database.Database, batchSize = 5_000): { readonly migrated: number } {
  const page = db.prepare<[number, number], { position: number; stream_id: string; revision: number; checksum: Buffer | null }>(
    "SELECT position, stream_id, revision, checksum FROM events WHERE position > ? AND stream_hash IS NULL ORDER BY position LIMIT ?",
  );
  const chainBefore = db.prepare<[number], { chain_hash: Buffer | null }>("SELECT chain_hash FROM events WHERE position < ? ORDER BY position DESC LIMIT 1");
  const streamBefore = db.prepare<[string, number], { stream_hash: Buffer | null }>("SELECT stream_hash FROM events WHERE stream_id = ? AND revision < ? ORDER BY revision DESC LIMIT 1");
  const write = db.prepare<[Buffer, Buffer, number]>("UPDATE events SET stream_hash = ?, chain_hash = ? WHERE position = ? AND stream_hash IS NULL");
  const anyMissing = db.prepare<[], { position: number }>("SELECT position FROM events WHERE stream_hash IS NULL OR chain_hash IS NULL LIMIT 1");
  let migrated = 0;
  const batch = db.transaction((rows: readonly { position: number; stream_id: string; revision: number; checksum: Buffer | null }[]) => {
    for (const row of rows) {
      if (!row.checksum) throw new Error(`the event at log position ${row.position} has no checksum, so it cannot be chained: run \`memledger log verify\``);
      // Read from the table each time: the previous rows may have been chained by this batch, an earlier one, or an earlier run.
      const previousChain = chainBefore.get(row.position)?.chain_hash ?? genesisHash;
      const previousStream = streamBefore.get(row.stream_id, row.revision)?.stream_hash ?? genesisHash;
      const streamHash = nextStreamHash(previousStream, row.checksum);
      migrated += write.run(streamHash, nextChainHash(previousChain, streamHash), row.position).changes;
    }
  });
  inResumableBatches(db, page, batchSize, batch, anyMissing, chainedFormat);
  return { migrated };
}
