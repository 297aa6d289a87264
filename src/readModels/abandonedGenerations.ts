import Database from "better-sqlite3";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * Deletes the generations of an embedded read model other than `currentFile`
 * that no connection has open: what a process killed during a rebuild (its
 * next generation) or right after a switch (the previous one) leaves behind.
 * Nothing projects into them any more, so content erased since would stay in
 * them for good. A generation another process is still writing or serving is
 * kept: SQLite refuses it an exclusive lock. Returns the files deleted.
 */
export function removeAbandonedGenerations(
  directory: string,
  name: string,
  currentFile: string,
  companionFiles: (file: string) => readonly string[],
  onError: (error: Error) => void,
): string[] {
  if (!existsSync(directory)) return [];
  const generation = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+\\.db$`);
  const removed: string[] = [];
  for (const entry of readdirSync(directory)) {
    const file = join(directory, entry);
    // Only files: anything else under that name was not written by a read model.
    if (!generation.test(entry) || entry === basename(currentFile) || !statSync(file).isFile() || isOpenElsewhere(file)) continue;
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`, ...companionFiles(file)]) {
      try {
        if (!existsSync(f)) continue;
        rmSync(f, { force: true });
        removed.push(f);
      } catch (error) {
        // Not fatal: the read model still opens; the operator can delete the file (server stopped).
        onError(new Error(`could not delete ${f}, a generation no longer in use that may hold erased content: ${String(error)}; delete it with the server stopped`));
      }
    }
  }
  return removed;
}

/** True when another connection (of this process or another) has the database open; WAL-mode connections hold a shared lock until they close. */
function isOpenElsewhere(file: string): boolean {
  let probe: Database.Database | undefined;
  try {
    probe = new Database(file, { timeout: 0 });
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("BEGIN EXCLUSIVE");
    probe.exec("COMMIT");
    return false;
  } catch (error) {
    // Busy or locked: someone has it open. Anything else (a damaged file, not a database): nobody can be using it.
    const code = (error as { code?: unknown }).code;
    return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
  } finally {
    probe?.close();
  }
}
