import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BackupManifest } from "./backupManifest.js";
import { RestoreRefused } from "./backupErrors.js";

/**
 * What the live data directory erased after a backup was taken: the erasure
 * events after the backup's log position, and every key its key store has
 * destroyed (which also covers an erasure that destroyed keys and crashed
 * before it could append its events).
 */

export interface LaterErasures {
  readonly from: string;
  readonly destroyedKeys: readonly { readonly keyId: string; readonly destroyedAt: string }[];
  readonly subjects: readonly { readonly subjectId: string; readonly tenantId: string; readonly position: number; readonly reason: string }[];
  readonly memories: readonly { readonly memoryId: string; readonly tenantId: string; readonly position: number }[];
}

export function laterErasures(liveDataDir: string, backupLog: BackupManifest["log"]): LaterErasures {
  const from = resolve(liveDataDir);
  const logFile = join(from, "events.db");
  if (!existsSync(logFile)) throw new RestoreRefused(`no event log at ${logFile}: --replay-erasures-from takes the live data directory the backup was taken from`);
  const log = new Database(logFile, { readonly: true, fileMustExist: true });
  const subjects: LaterErasures["subjects"][number][] = [];
  const memories: LaterErasures["memories"][number][] = [];
  try {
    log.pragma("busy_timeout = 5000");
    if (backupLog.eventId !== undefined) {
      const same = log.prepare<[number], { event_id: string }>("SELECT event_id FROM events WHERE position = ?").get(backupLog.position);
      if (same?.event_id !== backupLog.eventId) {
        throw new RestoreRefused(
          `${logFile} is not the log this backup was taken from: at position ${backupLog.position} it holds ${same ? `event ${same.event_id}` : "nothing"}, the backup ends with ${backupLog.eventId}. Give the data directory the backup came from`,
        );
      }
    }
    const rows = log
      .prepare<[number], { position: number; type: string; data: string; metadata: string }>("SELECT position, type, data, metadata FROM events WHERE position > ? AND type IN ('SubjectErased', 'MemoryErased') ORDER BY position")
      .all(backupLog.position);
    for (const row of rows) {
      const data = JSON.parse(row.data) as { subjectId?: string; memoryId?: string; reason?: string; scope?: string };
      const tenantId = (JSON.parse(row.metadata) as { tenantId?: string }).tenantId ?? "default";
      if (row.type === "SubjectErased" && data.subjectId !== undefined) subjects.push({ subjectId: data.subjectId, tenantId, position: row.position, reason: data.reason ?? "" });
      // A unit erased as part of a subject erasure is finished by that subject's replay.
      else if (row.type === "MemoryErased" && data.memoryId !== undefined && data.scope !== "subject") memories.push({ memoryId: data.memoryId, tenantId, position: row.position });
    }
  } finally {
    log.close();
  }
  return { from, destroyedKeys: destroyedKeysOf(join(from, "keys", "keys.db")), subjects: uniqueSubjects(subjects), memories };
}

function destroyedKeysOf(keyStoreFile: string): LaterErasures["destroyedKeys"] {
  if (!existsSync(keyStoreFile)) return [];
  const db = new Database(keyStoreFile, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[], { key_id: string; destroyed_at: string }>("SELECT key_id, destroyed_at FROM destroyed_keys ORDER BY key_id")
      .all()
      .map((r) => ({ keyId: r.key_id, destroyedAt: r.destroyed_at }));
  } finally {
    db.close();
  }
}

/** A subject erased twice after the backup is replayed once, at its first position. */
function uniqueSubjects(subjects: LaterErasures["subjects"][number][]): LaterErasures["subjects"][number][] {
  const seen = new Set<string>();
  return subjects.filter((s) => {
    const key = `${s.tenantId}\u0000${s.subjectId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
