import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { CheckpointStore } from "./checkpointStore.js";

/** Checkpoints in a small SQLite file of the data directory, fsynced on every save. */
export function openSqliteCheckpointStore(path: string): CheckpointStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.exec("CREATE TABLE IF NOT EXISTS checkpoints (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL, saved_at TEXT NOT NULL)");
  const select = db.prepare<[string], { position: number }>("SELECT position FROM checkpoints WHERE consumer = ?");
  // A checkpoint never moves backwards: a late save from a stale worker must not cause a replay flood.
  const upsert = db.prepare(
    "INSERT INTO checkpoints (consumer, position, saved_at) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, saved_at = excluded.saved_at WHERE excluded.position > checkpoints.position",
  );
  return {
    load: async (consumer) => select.get(consumer)?.position,
    save: async (consumer, position) => {
      upsert.run(consumer, position, new Date().toISOString());
    },
    close: async () => {
      if (db.open) db.close();
    },
  };
}
