import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * What an embedded data directory holds and which of it a backup copies
 * (docs/operations.md, "The data directory"). The log comes before the key
 * store: backupDataDir explains why that order matters.
 */

export interface DataDirFile {
  readonly path: string;
  readonly sqlite: boolean;
}

/** Sources of truth: without them something acknowledged would be lost. */
const essentialSqlite = ["events.db", "keys/keys.db", "jobs.db", "checkpoints.db", "audit/reads.db"];
/** Plain files that are not derived: the tamper-evidence signing key and its signed checkpoints. */
const essentialPlain = ["keys/checkpoint-signing.key", "tamper/checkpoints.jsonl"];

/** SQLite's side files: the backup API copies their committed content into the main file. */
const sqliteSideFile = /-(wal|shm|journal)$/;

/**
 * `admin.key` holds the first admin's API key in clear. A backup is copied to
 * places with weaker access control than the data directory, and whoever holds
 * that key acts as a tenant admin on the live server as well as on any restore.
 * The key's hash is in the log, so the key the operator kept still works after
 * a restore; a lost one is replaced by issuing a new admin key with the trusted
 * CLI on the restored data directory (`memledger --data-dir … key issue`).
 */
const adminKeyWhy = "the first admin's API key in clear: a credential, not data; the key the operator kept still works after a restore (its hash is in the log), and the trusted CLI on the restored directory can issue a new one";

export function isReadModelFile(path: string): boolean {
  return path.startsWith("readmodels/") || path === "embeddings.db";
}

/** The files a backup copies, in the order it copies them. */
export function dataDirFiles(dataDir: string): DataDirFile[] {
  const files: DataDirFile[] = [];
  // The signed checkpoints before the log: each then names a position the copied log holds (one past its end would read as truncation).
  for (const path of essentialPlain) if (existsSync(join(dataDir, path))) files.push({ path, sqlite: false });
  for (const path of essentialSqlite) if (existsSync(join(dataDir, path))) files.push({ path, sqlite: true });
  if (existsSync(join(dataDir, "embeddings.db"))) files.push({ path: "embeddings.db", sqlite: true });
  for (const path of walk(dataDir).filter((p) => p.startsWith("readmodels/") && !sqliteSideFile.test(p))) {
    files.push({ path, sqlite: path.endsWith(".db") });
  }
  return files;
}

/** Files of the data directory a backup does not copy, each with why. */
export function leftOutOnPurpose(dataDir: string, includeReadModels: boolean): { path: string; why: string }[] {
  const copied = new Set(dataDirFiles(dataDir).filter((f) => includeReadModels || !isReadModelFile(f.path)).map((f) => f.path));
  const leftOut: { path: string; why: string }[] = [];
  for (const path of walk(dataDir)) {
    if (copied.has(path)) continue;
    if (sqliteSideFile.test(path)) continue;
    if (path === "admin.key") leftOut.push({ path, why: adminKeyWhy });
    else if (isReadModelFile(path)) leftOut.push({ path, why: "derived from the log: rebuilt on the first start after a restore" });
    else if (path === "events.db.damaged") leftOut.push({ path, why: "a damage finding about the live log; run `memledger log verify` on the backup instead" });
    else leftOut.push({ path, why: "not a file this version of memledger knows; copy it yourself if it matters" });
  }
  return leftOut;
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) visit(full);
      else out.push(relative(root, full).split(sep).join("/"));
    }
  };
  if (existsSync(root)) visit(root);
  return out.sort();
}
