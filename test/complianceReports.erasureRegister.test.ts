import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { failureOf } from "./support/tempLedger.js";

/** The erasure register answers "every erasure this quarter" and also what is waiting, and why. */
describe("the erasure register with legal holds", () => {
  let dir: string;
  let ledger: MemLedger;
  const dpo = { tenantId: "default", actor: "principal:dpo" };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "memledger-register-"));
    ledger = await openMemLedger({ dataDir: dir, worker: { concurrency: 1 }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
  });
  afterAll(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the active holds and the erasures they keep waiting after the certificates, and drops them once released", async () => {
    await ledger.cubes.create({ cubeId: "files", name: "files", owner: { kind: "project", id: "p" } });
    const kept = await ledger.memories.create({ cubeId: "files", text: "Nadia's contract", userId: "nadia" });
    const hold = await ledger.holds.place({ scope: { kind: "subject", id: "nadia" }, reason: "litigation 2026-7" }, dpo);
    expect((await failureOf(ledger.memories.erase(kept.memoryId, dpo)))._tag).toBe("LegalHoldActive");

    const waiting = (await ledger.reports.erasures()).rows;
    expect(waiting).toContainEqual(expect.objectContaining({ kind: "hold", subjectId: "nadia", actor: "principal:dpo", reason: expect.stringContaining("litigation 2026-7") }));
    expect(waiting).toContainEqual(expect.objectContaining({ kind: "pending", memoryId: kept.memoryId, reason: expect.stringContaining(hold.holdId) }));

    const released = await ledger.holds.release(hold.holdId, "case closed", dpo);
    for (const resumed of released.resumedErasures ?? []) expect((await ledger.jobs.wait(resumed.jobId, 15_000)).job.status).toBe("done");
    const after = (await ledger.reports.erasures()).rows;
    expect(after.filter((row) => row.kind === "hold" || row.kind === "pending")).toEqual([]);
    expect(after).toContainEqual(expect.objectContaining({ kind: "memory", memoryId: kept.memoryId }));
  });
});
