import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAuditContract } from "../src/readAudit/readAudit.contract.js";
import { openSqliteReadAuditLog } from "../src/readAudit/sqliteReadAuditLog.js";

for (const mode of ["buffered", "sync"] as const) {
  readAuditContract(`embedded SQLite (${mode})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-reads-"));
    return {
      open: async () => openSqliteReadAuditLog({ path: join(dir, "audit", "reads.db"), mode }),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
}

describe("embedded read audit", () => {
  it("refuses to change or delete a recorded read, even through SQL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-reads-"));
    const path = join(dir, "reads.db");
    const log = openSqliteReadAuditLog({ path, mode: "sync" });
    log.record({ at: "2026-03-01T09:00:00.000Z", tenantId: "acme", principalId: "alice", action: "memory.get", queryFingerprint: "0", cubeIds: [], memoryIds: ["m1"] });
    await log.close();
    const db = new Database(path);
    expect(() => db.prepare("DELETE FROM reads").run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE reads SET principal_id = 'mallory'").run()).toThrow(/append-only/);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a buffered record within its flush interval without being asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-reads-"));
    const path = join(dir, "reads.db");
    const log = openSqliteReadAuditLog({ path, flushIntervalMs: 20 });
    log.record({ at: "2026-03-01T09:00:00.000Z", tenantId: "acme", principalId: "alice", action: "search", queryFingerprint: "0", cubeIds: [], memoryIds: ["m1"] });
    const count = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM reads").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(count()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(count()).toBe(1);
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
