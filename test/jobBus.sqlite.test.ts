import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobBusContract } from "../src/jobs/jobBus.contract.js";
import { openSqliteJobBus } from "../src/jobs/sqliteJobBus.js";

const fastRetries = { maxAttempts: 5, baseDelayMs: 40, maxDelayMs: 400 };

jobBusContract("embedded SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "memledger-jobs-"));
  return {
    open: async () => openSqliteJobBus({ path: join(dir, "jobs.db"), retryPolicy: fastRetries, leaseMs: 1_000, pollIntervalMs: 20 }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
