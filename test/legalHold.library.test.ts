import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import { failureOf } from "./support/tempLedger.js";

/**
 * Legal holds through the library root (trusted code is bound too): a held
 * unit refuses erasure and every change, the refused erasure waits as a pending
 * erasure and runs when the last hold covering the unit is released, even
 * across a restart; cube and subject holds cover their units; a subject
 * erasure erases what is not held and reports what waits.
 */
const dirs: string[] = [];
const open: MemLedger[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function world(dataDir = mkdtempSync(join(tmpdir(), "memledger-hold-"))) {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
  const ledger = await openMemLedger({ dataDir, clock, worker: { concurrency: 2 }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
  open.push(ledger);
  return { ledger, clock, dataDir };
}

async function cubeWithUnits(ledger: MemLedger, cubeId: string, units: readonly { text: string; userId?: string }[]) {
  await ledger.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "u" } });
  const ids: string[] = [];
  for (const u of units) ids.push((await ledger.memories.create({ cubeId, text: u.text, ...(u.userId ? { userId: u.userId } : {}) })).memoryId);
  return ids;
}

async function waitForErasure(ledger: MemLedger, jobIds: readonly string[]) {
  for (const jobId of jobIds) {
    const waited = await ledger.jobs.wait(jobId, 15_000);
    expect(waited.job.status).toBe("done");
  }
}

describe("legal hold", () => {
  it("refuses erasure (naming the hold) and edits of a held unit; releasing it runs the pending erasure", async () => {
    const { ledger, clock } = await world();
    const [unit] = await cubeWithUnits(ledger, "c1", [{ text: "contract negotiation notes" }]);
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: unit! }, reason: "litigation 2026-041" }, { tenantId: "default", actor: "dpo" });
    expect(hold.active).toBe(true);

    const refused = await failureOf(ledger.memories.erase(unit!));
    expect(refused._tag).toBe("LegalHoldActive");
    expect(refused.holds).toEqual([expect.objectContaining({ holdId: hold.holdId, reason: "litigation 2026-041", placedBy: "dpo", scope: { kind: "memory", id: unit } })]);
    expect(refused.pendingErasureId).toEqual(expect.any(String));
    expect((await failureOf(ledger.memories.edit(unit!, { content: { text: "rewritten" } })))._tag).toBe("LegalHoldActive");
    expect((await failureOf(ledger.memories.archive(unit!)))._tag).toBe("LegalHoldActive");
    expect((await ledger.memories.get(unit!)).status).toBe("activated");

    // A second refused request adds no second pending erasure.
    await failureOf(ledger.memories.erase(unit!));
    const pending = await ledger.holds.pendingErasures();
    expect(pending).toEqual([expect.objectContaining({ erasureId: refused.pendingErasureId, memoryId: unit, waitingOn: [hold.holdId] })]);

    clock.advance(60_000);
    const released = await ledger.holds.release(hold.holdId, "case settled", { tenantId: "default", actor: "dpo" });
    expect(released.active).toBe(false);
    expect(released.resumedErasures).toEqual([expect.objectContaining({ erasureId: refused.pendingErasureId, memoryId: unit })]);
    await waitForErasure(ledger, released.resumedErasures!.map((r) => r.jobId));
    const erased = await ledger.memories.get(unit!);
    expect(erased.status).toBe("erased");
    expect(erased.content).toBeNull();
    expect(await ledger.holds.pendingErasures()).toEqual([]);
    expect(await ledger.holds.list()).toEqual([]);
    expect(await ledger.holds.list({ asOfTime: hold.placedAt })).toEqual([expect.objectContaining({ holdId: hold.holdId })]);
  });

  it("runs the pending erasure after a restart between the refusal and the release", async () => {
    const first = await world();
    const [unit] = await cubeWithUnits(first.ledger, "c1", [{ text: "keep until the audit ends" }]);
    const hold = await first.ledger.holds.place({ scope: { kind: "memory", id: unit! }, reason: "tax audit" });
    expect((await failureOf(first.ledger.memories.erase(unit!)))._tag).toBe("LegalHoldActive");
    await first.ledger.close();
    open.splice(open.indexOf(first.ledger), 1);

    const second = await world(first.dataDir);
    expect(await second.ledger.holds.pendingErasures()).toHaveLength(1);
    const released = await second.ledger.holds.release(hold.holdId, "audit closed");
    await waitForErasure(second.ledger, released.resumedErasures!.map((r) => r.jobId));
    expect((await second.ledger.memories.get(unit!)).status).toBe("erased");
  });

  it("a release's erasure is a durable job: a restart before any worker ran it still erases the unit", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-hold-"));
    dirs.push(dataDir);
    const clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
    // No worker: the jobs wait in the queue, as when the process dies right after answering the release.
    const idle = await openMemLedger({ dataDir, clock, worker: false });
    const [unit] = await cubeWithUnits(idle, "c1", [{ text: "held then released" }]);
    const hold = await idle.holds.place({ scope: { kind: "memory", id: unit! }, reason: "inquiry" });
    await failureOf(idle.memories.erase(unit!));
    const released = await idle.holds.release(hold.holdId, "inquiry closed");
    expect(released.resumedErasures).toHaveLength(1);
    await idle.close();

    const { ledger } = await world(dataDir);
    await waitForErasure(ledger, released.resumedErasures!.map((r) => r.jobId));
    expect((await ledger.memories.get(unit!)).status).toBe("erased");
    expect(await ledger.holds.pendingErasures()).toEqual([]);
  });

  it("a cube hold and a subject hold cover their units; an erasure waits for the last hold covering it", async () => {
    const { ledger } = await world();
    const [a, b] = await cubeWithUnits(ledger, "c1", [{ text: "a", userId: "alice" }, { text: "b" }]);
    const [other] = await cubeWithUnits(ledger, "c2", [{ text: "elsewhere" }]);
    const onCube = await ledger.holds.place({ scope: { kind: "cube", id: "c1" }, reason: "regulator inquiry" });
    const onAlice = await ledger.holds.place({ scope: { kind: "subject", id: "alice" }, reason: "alice's claim" });
    expect((await failureOf(ledger.memories.archive(b!)))._tag).toBe("LegalHoldActive");
    const refused = await failureOf(ledger.memories.erase(a!));
    expect((refused.holds as { holdId: string }[]).map((h) => h.holdId).sort()).toEqual([onCube.holdId, onAlice.holdId].sort());
    await ledger.memories.archive(other!);

    // Released the cube hold: alice's hold still covers `a`, so nothing runs yet.
    const first = await ledger.holds.release(onCube.holdId, "inquiry closed");
    expect(first.resumedErasures).toEqual([]);
    expect((await ledger.memories.get(a!)).status).toBe("activated");
    await ledger.memories.archive(b!);

    const last = await ledger.holds.release(onAlice.holdId, "claim withdrawn");
    await waitForErasure(ledger, last.resumedErasures!.map((r) => r.jobId));
    expect((await ledger.memories.get(a!)).status).toBe("erased");
  });

  it("subject erasure erases the units not held and reports the held one, whose erasure runs on release", async () => {
    const { ledger } = await world();
    const [held, free] = await cubeWithUnits(ledger, "c1", [{ text: "bob's held note", userId: "bob" }, { text: "bob's free note", userId: "bob" }]);
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: held! }, reason: "employment dispute" });
    const certificate = await ledger.subjects.erase("bob");
    expect(certificate.erasedMemoryIds).toEqual([free]);
    expect(certificate.heldMemoryIds).toEqual([expect.objectContaining({ memoryId: held, holdIds: [hold.holdId], pendingErasureId: expect.any(String) })]);
    expect((await ledger.memories.get(free!)).status).toBe("erased");
    // Its key lives on: the held unit is still readable, as the hold requires.
    expect((await ledger.memories.get(held!)).content?.text).toBe("bob's held note");

    const released = await ledger.holds.release(hold.holdId, "dispute resolved");
    await waitForErasure(ledger, released.resumedErasures!.map((r) => r.jobId));
    const erased = await ledger.memories.get(held!);
    expect(erased.status).toBe("erased");
    expect(erased.content).toBeNull();
  });

  it("a cube rollback reverts the units no hold covers and reports the held one as skipped", async () => {
    const { ledger, clock } = await world();
    const [held, free] = await cubeWithUnits(ledger, "c1", [{ text: "held v1" }, { text: "free v1" }]);
    clock.advance(60_000);
    const before = clock.now().toISOString();
    clock.advance(60_000);
    await ledger.memories.edit(held!, { content: { text: "held v2" } });
    await ledger.memories.edit(free!, { content: { text: "free v2" } });
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: held! }, reason: "evidence" });
    const report = await ledger.cubes.rollback("c1", before);
    expect(report.outcomes).toEqual(expect.arrayContaining([expect.objectContaining({ memoryId: held, action: "skipped", why: expect.stringContaining(hold.holdId) }), expect.objectContaining({ memoryId: free, action: "reverted" })]));
    expect((await ledger.memories.get(held!)).content?.text).toBe("held v2");
    expect((await ledger.memories.get(free!)).content?.text).toBe("free v1");
  });

  it("refuses a hold on a unit that does not exist and a second release", async () => {
    const { ledger } = await world();
    expect((await failureOf(ledger.holds.place({ scope: { kind: "memory", id: "nope" }, reason: "x" })))._tag).toBe("MemoryNotFound");
    expect((await failureOf(ledger.holds.place({ scope: { kind: "subject", id: "carol" }, reason: " " })))._tag).toBe("InvalidRequest");
    const hold = await ledger.holds.place({ scope: { kind: "subject", id: "carol" }, reason: "x" });
    await ledger.holds.release(hold.holdId, "done");
    expect((await failureOf(ledger.holds.release(hold.holdId, "again")))._tag).toBe("HoldConflict");
    // The same request retried (one Idempotency-Key) gets the same hold and the same release, not a second one or a 409.
    const ctx = { tenantId: "default", actor: "dpo", commandId: "key-1" };
    const once = await ledger.holds.place({ scope: { kind: "subject", id: "dave" }, reason: "x" }, ctx);
    expect((await ledger.holds.place({ scope: { kind: "subject", id: "dave" }, reason: "x" }, ctx)).holdId).toBe(once.holdId);
    const releaseCtx = { ...ctx, commandId: "key-2" };
    await ledger.holds.release(once.holdId, "done", releaseCtx);
    expect(await ledger.holds.release(once.holdId, "done", releaseCtx)).toMatchObject({ holdId: once.holdId, active: false });
    expect((await failureOf(ledger.holds.release("missing", "again")))._tag).toBe("HoldNotFound");
  });
});
