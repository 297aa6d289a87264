import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { backupFormat, memledgerVersion, sha256OfFile, writeManifest, type BackupFileEntry, type BackupManifest } from "./backupManifest.js";
import { dataDirFiles, isReadModelFile, leftOutOnPurpose } from "./dataDirFiles.js";
import type { BackupProgress } from "./backupProgress.js";
import { BackupRefused } from "./backupErrors.js";

export { BackupRefused };

/**
 * An online, consistent backup of an embedded data directory, taken while a
 * server may be writing to it.
 *
 * Every SQLite file is copied with SQLite's online backup API (better-sqlite3's
 * `.backup()`), each a consistent snapshot of its own. Across files the order is
 * what makes them fit together: the log first, then the key store. Erasure
 * destroys keys before it appends its events, so a key destroyed while the
 * backup runs is either missing from the copy (the erasure is then after the
 * backed-up log position, and a restore with the live log replays it) or
 * destroyed in both; a key the backed-up log needs was created before the
 * events that use it and so is in the copy. Keys created after the log copy
 * are extra rows that nothing reads.
 */

export interface BackupOptions {
  readonly dataDir: string;
  /** A new (or empty) directory to write into. */
  readonly target: string;
  /** Also copy the read models and the embedding cache (default: no, they rebuild from the log). */
  readonly includeReadModels?: boolean;
  readonly onProgress?: BackupProgress;
  readonly now?: () => Date;
}

/** Pages per backup step: small enough to report progress, large enough to be quick. */
const pagesPerStep = 1024;

export async function backupDataDir(options: BackupOptions): Promise<BackupManifest> {
  const { dataDir, target } = options;
  if (!existsSync(join(dataDir, "events.db"))) throw new BackupRefused(`no event log at ${join(dataDir, "events.db")}: is ${dataDir} an embedded memledger data directory? (an EventStoreDB log is backed up with its own tools)`);
  if (existsSync(target) && readdirSync(target).length > 0) throw new BackupRefused(`${target} is not empty: give a new directory for the backup (a backup never overwrites another)`);
  mkdirSync(target, { recursive: true, mode: 0o700 });

  const plan = dataDirFiles(dataDir).filter((f) => options.includeReadModels === true || !isReadModelFile(f.path));
  const files: BackupFileEntry[] = [];
  for (const file of plan) {
    const from = join(dataDir, file.path);
    const to = join(target, file.path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    if (file.sqlite) await backupSqliteFile(from, to, (done, total) => options.onProgress?.({ file: file.path, done, total, unit: "pages" }));
    else {
      copyFileSync(from, to);
      const bytes = statSync(to).size;
      options.onProgress?.({ file: file.path, done: bytes, total: bytes, unit: "bytes" });
    }
    files.push({ path: file.path, bytes: statSync(to).size, sha256: await sha256OfFile(to), sqlite: file.sqlite });
  }

  const manifest: BackupManifest = {
    format: backupFormat,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    memledgerVersion: memledgerVersion(),
    sourceDataDir: dataDir,
    log: logHead(join(target, "events.db")),
    readModels: options.includeReadModels === true,
    files,
    leftOut: leftOutOnPurpose(dataDir, options.includeReadModels === true),
  };
  writeManifest(target, manifest);
  return manifest;
}

/**
 * One SQLite file through the online backup API. A write by another connection
 * restarts the copy; under steady writes it could restart for ever, so after a
 * restart the rest goes in one step (a read transaction: writers in WAL mode go on).
 */
export async function backupSqliteFile(from: string, to: string, onProgress: (done: number, total: number) => void): Promise<void> {
  const source = new Database(from, { readonly: true, fileMustExist: true });
  try {
    source.pragma("busy_timeout = 5000");
    let lastRemaining = Number.POSITIVE_INFINITY;
    let restarted = false;
    const result = await source.backup(to, {
      progress: ({ totalPages, remainingPages }) => {
        if (remainingPages > lastRemaining) restarted = true;
        lastRemaining = remainingPages;
        onProgress(totalPages - remainingPages, totalPages);
        return restarted ? 0x7fffffff : pagesPerStep;
      },
    });
    onProgress(result.totalPages, result.totalPages);
  } finally {
    source.close();
  }
}

/** The last event of a (backed-up) log. */
export function logHead(logFile: string): BackupManifest["log"] {
  const db = new Database(logFile, { readonly: true, fileMustExist: true });
  try {
    const last = db.prepare<[], { position: number; event_id: string }>("SELECT position, event_id FROM events ORDER BY position DESC LIMIT 1").get();
    const { n } = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events").get() ?? { n: 0 };
    return last ? { position: last.position, eventId: last.event_id, events: n } : { position: 0, events: 0 };
  } finally {
    db.close();
  }
}

