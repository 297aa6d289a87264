import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backupSqliteFile } from "../src/backup/backupDataDir.js";

/**
 * SQLite's backup API starts over whenever another connection writes between
 * two steps. A file larger than one step, written to on every turn of the event
 * loop, would never finish; the backup then copies the rest in one step.
 */

const root = mkdtempSync(join(tmpdir(), "memledger-sqlite-backup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("backupSqliteFile under constant writes", () => {
  it("finishes, and the copy is one consistent snapshot", async () => {
    const file = join(root, "busy.db");
    const writer = new Database(file);
    writer.pragma("journal_mode = WAL");
    writer.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL); CREATE TABLE total (n INTEGER NOT NULL); INSERT INTO total VALUES (0);");
    const insert = writer.prepare("INSERT INTO rows (body) VALUES (randomblob(2000))");
    const bump = writer.prepare("UPDATE total SET n = n + 1");
    const write = writer.transaction(() => {
      insert.run();
      bump.run();
    });
    for (let i = 0; i < 6_000; i++) write(); // ~12 MB: about 3,000 pages, three steps of 1,024
    let writing = true;
    let writes = 0;
    const keepWriting = () => {
      if (!writing) return;
      write();
      writes += 1;
      setImmediate(keepWriting);
    };
    setImmediate(keepWriting);
    const steps: number[] = [];
    try {
      await Promise.race([
        backupSqliteFile(file, join(root, "copy.db"), (done) => steps.push(done)),
        new Promise((_, reject) => setTimeout(() => reject(new Error("the backup did not finish under writes")), 20_000)),
      ]);
    } finally {
      writing = false;
      writer.close();
    }
    expect(writes).toBeGreaterThan(0);
    const copy = new Database(join(root, "copy.db"), { readonly: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      const rows = (copy.prepare("SELECT count(*) AS n FROM rows").get() as { n: number }).n;
      const total = (copy.prepare("SELECT n FROM total").get() as { n: number }).n;
      expect(rows).toBe(total);
      expect(rows).toBeGreaterThanOrEqual(6_000);
    } finally {
      copy.close();
    }
  }, 60_000);
});
