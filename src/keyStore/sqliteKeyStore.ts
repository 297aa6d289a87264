import Database from "better-sqlite3";
import { Effect, Layer } from "effect";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { KeyStore, KeyStoreUnavailable, type DataKey, type KeyLookup, type KeyStorePort } from "./keyStorePort.js";
import { groupCommit, type Outcome } from "../storage/groupCommit.js";

/**
 * Embedded key store: its own SQLite file beside (never inside) the event log.
 * `secure_delete` overwrites a destroyed key's bytes in the file, and the
 * rollback journal (not WAL) leaves no stale page copy behind after commit, so
 * a destroyed key cannot be recovered from the data directory.
 */
export function openSqliteKeyStore(path: string): KeyStorePort {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = DELETE");
  db.pragma("secure_delete = ON");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.exec(`
    CREATE TABLE IF NOT EXISTS data_keys (
      key_id     TEXT PRIMARY KEY,
      subject_id TEXT NOT NULL,
      material   BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS data_keys_by_subject ON data_keys (subject_id);
    CREATE TABLE IF NOT EXISTS destroyed_keys (
      key_id       TEXT PRIMARY KEY,
      subject_id   TEXT NOT NULL,
      destroyed_at TEXT NOT NULL
    );
  `);
  const insert = db.prepare("INSERT INTO data_keys (key_id, subject_id, material) VALUES (?, ?, ?)");
  const select = db.prepare<[string], { key_id: string; subject_id: string; material: Buffer }>("SELECT * FROM data_keys WHERE key_id = ?");
  const selectDestroyed = db.prepare<[string], { key_id: string; subject_id: string; destroyed_at: string }>("SELECT * FROM destroyed_keys WHERE key_id = ?");
  const bySubject = db.prepare<[string], { key_id: string }>("SELECT key_id FROM data_keys WHERE subject_id = ? ORDER BY key_id");
  const remove = db.prepare("DELETE FROM data_keys WHERE key_id = ?");
  const tombstone = db.prepare("INSERT OR IGNORE INTO destroyed_keys (key_id, subject_id, destroyed_at) VALUES (?, ?, ?)");

  const destroyOne = db.transaction((keyId: string, destroyedAt: string): boolean => {
    const row = select.get(keyId);
    if (!row) return false;
    remove.run(keyId);
    tombstone.run(keyId, row.subject_id, destroyedAt);
    return true;
  });
  const destroyAll = db.transaction((subjectId: string, destroyedAt: string): string[] => {
    const ids = bySubject.all(subjectId).map((r) => r.key_id);
    for (const id of ids) destroyOne(id, destroyedAt);
    return ids;
  });

  // Keys created in one turn of the event loop share one transaction: the rollback journal costs several fsyncs per commit.
  const insertGroup = db.transaction((keys: readonly DataKey[]): Outcome<DataKey>[] =>
    keys.map((key) => {
      try {
        insertOne(key);
        return { ok: true, value: key };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const insertOne = db.transaction((key: DataKey) => void insert.run(key.keyId, key.subjectId, key.material));
  const submitKey = groupCommit((keys: readonly DataKey[]) => insertGroup.immediate(keys));

  const failure = (cause: unknown) => new KeyStoreUnavailable({ message: `key store ${path} failed: ${String(cause)}`, cause });

  return {
    createKey: (subjectId, keyId) =>
      Effect.async<DataKey, KeyStoreUnavailable>((resume) => {
        submitKey({ keyId, subjectId, material: randomBytes(32) }).then(
          (key) => resume(Effect.succeed(key)),
          (cause: unknown) => resume(Effect.fail(failure(cause))),
        );
      }),
    getKey: (keyId) =>
      Effect.try({
        try: (): KeyLookup => {
          const row = select.get(keyId);
          if (row) return { status: "active", key: { keyId, subjectId: row.subject_id, material: Buffer.from(row.material) } };
          const gone = selectDestroyed.get(keyId);
          if (gone) return { status: "destroyed", keyId, subjectId: gone.subject_id, destroyedAt: gone.destroyed_at };
          return { status: "unknown", keyId };
        },
        catch: failure,
      }),
    destroyKey: (keyId, destroyedAt) => Effect.try({ try: () => destroyOne.immediate(keyId, destroyedAt), catch: failure }),
    destroySubjectKeys: (subjectId, destroyedAt) => Effect.try({ try: () => destroyAll.immediate(subjectId, destroyedAt), catch: failure }),
    keysOfSubject: (subjectId) => Effect.try({ try: () => bySubject.all(subjectId).map((r) => r.key_id), catch: failure }),
    close: () => Effect.sync(() => db.open && db.close()),
  };
}

export const layerSqliteKeyStore = (path: string) =>
  Layer.scoped(
    KeyStore,
    Effect.acquireRelease(
      Effect.try({ try: () => openSqliteKeyStore(path), catch: (cause) => new KeyStoreUnavailable({ message: `cannot open key store ${path}: ${String(cause)}`, cause }) }),
      (store) => store.close(),
    ),
  );
