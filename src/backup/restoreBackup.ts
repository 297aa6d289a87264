import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { openMemLedger } from "../app/memLedger.js";
import type { BackupProgress } from "./backupProgress.js";
import { readManifest } from "./backupManifest.js";
import { laterErasures, type LaterErasures } from "./laterErasures.js";
import { verifyBackup } from "./verifyBackup.js";
import { RestoreRefused } from "./backupErrors.js";

export { RestoreRefused };

/**
 * Restores a backup into a new data directory. The backup is verified first
 * (a damaged one is refused). Keys in the backup that an erasure destroyed
 * after it was taken must not come back: with the live data directory given,
 * those erasures are replayed (keys destroyed, then each erasure finished in the
 * restored log with its own certificate); without it the restore warns and says
 * so in `restored-from.json` in the new directory.
 */

export interface RestoreOptions {
  readonly backup: string;
  /** A new (or empty) data directory. */
  readonly target: string;
  /** The live data directory the backup was taken from: its erasures after the backup are replayed. */
  readonly replayErasuresFrom?: string;
  readonly onProgress?: BackupProgress;
  readonly now?: () => Date;
}

export interface ReplayedErasures {
  readonly from: string;
  /** Keys of the backup destroyed because the live directory destroyed them after the backup. */
  readonly keysDestroyed: readonly string[];
  /** Subject erasures finished in the restored log (a new certificate each). */
  readonly subjectsErased: readonly string[];
  /** Single-unit erasures finished in the restored log. */
  readonly memoriesErased: readonly string[];
  /** Erasures of units the backup does not hold (created after it): nothing to do. */
  readonly notInBackup: readonly string[];
  readonly failures: readonly string[];
}

export interface RestoreReport {
  readonly backup: string;
  readonly target: string;
  readonly restoredAt: string;
  readonly log: { readonly position: number; readonly events: number };
  readonly files: number;
  /** Absent: no live directory was given, so erasures after the backup were not replayed. */
  readonly erasures?: ReplayedErasures;
  readonly warnings: readonly string[];
}

export const restoreRecordFile = "restored-from.json";

export async function restoreBackup(options: RestoreOptions): Promise<RestoreReport> {
  const target = resolve(options.target);
  if (existsSync(target) && readdirSync(target).length > 0) throw new RestoreRefused(`${target} is not empty: restore into a new directory (never over a live data directory), then point the server at it`);
  const manifest = readManifest(options.backup);
  const verify = await verifyBackup(options.backup, options.onProgress ? { onProgress: options.onProgress } : {});
  if (!verify.ok) throw new RestoreRefused(`the backup ${options.backup} fails verification, nothing restored: ${verify.problems.join("; ")}`, verify);
  // Read before anything is copied: a live directory that is not this backup's origin refuses the restore.
  const later = options.replayErasuresFrom !== undefined ? laterErasures(options.replayErasuresFrom, manifest.log) : undefined;

  mkdirSync(target, { recursive: true, mode: 0o700 });
  let copied = 0;
  for (const entry of manifest.files) {
    mkdirSync(dirname(join(target, entry.path)), { recursive: true, mode: 0o700 });
    copyFileSync(join(options.backup, entry.path), join(target, entry.path));
    copied += 1;
    options.onProgress?.({ file: entry.path, done: copied, total: manifest.files.length, unit: "files" });
  }

  const warnings: string[] = [];
  let erasures: ReplayedErasures | undefined;
  if (later) erasures = await replayErasures(target, later);
  else {
    warnings.push(
      `erasures recorded after this backup (${manifest.createdAt}, log position ${manifest.log.position}) were NOT replayed: keys they destroyed are back in ${join(target, "keys/keys.db")}. ` +
        `If the live data directory still exists, delete ${target} and restore again with --replay-erasures-from <live data dir>; otherwise erase again every subject erased since ${manifest.createdAt} (your erasure register) before serving.`,
    );
  }
  if (erasures && erasures.failures.length > 0) warnings.push(`${erasures.failures.length} erasure(s) could not be finished in the restored log (their keys are destroyed): ${erasures.failures.join("; ")}`);

  const report: RestoreReport = {
    backup: resolve(options.backup),
    target,
    restoredAt: (options.now?.() ?? new Date()).toISOString(),
    log: { position: manifest.log.position, events: manifest.log.events },
    files: copied,
    ...(erasures ? { erasures } : {}),
    warnings,
  };
  writeFileSync(join(target, restoreRecordFile), `${JSON.stringify({ ...report, erasuresReplayed: erasures !== undefined, backupCreatedAt: manifest.createdAt }, null, 2)}\n`, { mode: 0o600 });
  return report;
}

async function replayErasures(target: string, later: LaterErasures): Promise<ReplayedErasures> {
  // First the keys, directly in the restored key store: nothing may unseal with them, even if finishing an erasure below fails.
  const keysDestroyed = destroyKeys(join(target, "keys", "keys.db"), later.destroyedKeys);
  const subjectsErased: string[] = [];
  const memoriesErased: string[] = [];
  const notInBackup: string[] = [];
  const failures: string[] = [];
  if (later.subjects.length > 0 || later.memories.length > 0) {
    const ledger = await openMemLedger({ dataDir: target, worker: false });
    try {
      const present = (memoryId: string) =>
        ledger.memories.get(memoryId).then(
          () => true,
          () => false,
        );
      for (const s of later.subjects) {
        const ctx = { tenantId: s.tenantId, actor: "system:restore", reason: `replayed on restore: subject erasure at live log position ${s.position} (${s.reason})` };
        try {
          await ledger.subjects.erase(s.subjectId, ctx);
          subjectsErased.push(s.subjectId);
        } catch (error) {
          failures.push(`subject ${s.subjectId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      for (const m of later.memories) {
        if (!(await present(m.memoryId))) {
          notInBackup.push(m.memoryId);
          continue;
        }
        const ctx = { tenantId: m.tenantId, actor: "system:restore", reason: `replayed on restore: erasure at live log position ${m.position}` };
        try {
          const view = await ledger.memories.get(m.memoryId);
          if (view.status !== "erased") await ledger.memories.erase(m.memoryId, ctx);
          memoriesErased.push(m.memoryId);
        } catch (error) {
          failures.push(`memory ${m.memoryId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      await ledger.close();
    }
  }
  return { from: later.from, keysDestroyed, subjectsErased, memoriesErased, notInBackup, failures };
}

/** Destroys keys the way the key store does (row deleted under secure_delete, a tombstone kept); returns those the backup held. */
function destroyKeys(keyStoreFile: string, keys: readonly { readonly keyId: string; readonly destroyedAt: string }[]): string[] {
  if (!existsSync(keyStoreFile) || keys.length === 0) return [];
  const db = new Database(keyStoreFile, { fileMustExist: true });
  try {
    db.pragma("secure_delete = ON");
    const select = db.prepare<[string], { subject_id: string }>("SELECT subject_id FROM data_keys WHERE key_id = ?");
    const remove = db.prepare("DELETE FROM data_keys WHERE key_id = ?");
    const tombstone = db.prepare("INSERT OR IGNORE INTO destroyed_keys (key_id, subject_id, destroyed_at) VALUES (?, ?, ?)");
    return db.transaction(() => {
      const destroyed: string[] = [];
      for (const key of keys) {
        const row = select.get(key.keyId);
        if (!row) continue;
        remove.run(key.keyId);
        tombstone.run(key.keyId, row.subject_id, key.destroyedAt);
        destroyed.push(key.keyId);
      }
      return destroyed;
    })();
  } finally {
    db.close();
  }
}
