import { Effect } from "effect";
import { describe, expect, it } from "vitest";
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

describe("embedded job bus under a flood", () => {
  it("holds far more jobs than any in-memory queue would (MemOS drops past its bound) and runs every one exactly once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-jobs-flood-"));
    const bus = openSqliteJobBus({ path: join(dir, "jobs.db"), retryPolicy: fastRetries, pollIntervalMs: 20 });
    try {
      const total = 20_000;
      for (let i = 0; i < total; i += 1) await Effect.runPromise(bus.enqueue({ kind: "flood", key: `unit-${i % 500}`, payload: i, cubeId: "flood-cube" }));
      const seen = new Map<number, number>();
      const worker = await Effect.runPromise(bus.startWorker({ handlers: { flood: async (job) => void seen.set(job.payload as number, (seen.get(job.payload as number) ?? 0) + 1) }, concurrency: 4 }));
      const deadline = Date.now() + 120_000;
      while (seen.size < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      await worker.stop({ graceMs: 5_000 });
      expect(seen.size).toBe(total);
      expect([...seen.values()].every((runs) => runs === 1)).toBe(true);
      expect(await Effect.runPromise(bus.list({ cubeId: "flood-cube", status: "waiting" }))).toEqual([]);
    } finally {
      await Effect.runPromise(bus.close());
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
