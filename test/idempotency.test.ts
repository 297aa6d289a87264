import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Effect, ManagedRuntime } from "effect";
import { memLedgerLayer, openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { scopedCommandId } from "../src/app/requestIdempotency.js";
import { MemoryService } from "../src/memory/memoryService.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { ManualClock } from "../src/clock/clock.js";
import { failureOf } from "./support/tempLedger.js";

/** hardening #4 at the library: ctx.commandId is the Idempotency-Key of the HTTP API. */
describe("hardening #4: idempotent commands in the library (embedded ledger)", () => {
  let dataDir: string;
  let clock: ManualClock;
  let ledger: MemLedger;
  const alice: CommandContext = { tenantId: "acme", actor: "user:alice" };
  const key = (commandId: string): CommandContext => ({ ...alice, commandId });
  const open = async () => (ledger = await openMemLedger({ dataDir, clock, worker: false, defaultContext: alice }));

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-idem-"));
    clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
    await open();
    await ledger.cubes.create({ cubeId: "c", name: "C", owner: { kind: "user", id: "alice" } });
  });
  afterEach(async () => {
    await ledger.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const refused = async (promise: Promise<unknown>, idempotencyKey: string) =>
    expect(await failureOf(promise)).toMatchObject({ _tag: "IdempotencyConflict", idempotencyKey, message: expect.stringContaining(idempotencyKey) });

  it("hardening #4: every keyed write of the library applies once, answers the same, and refuses the key for another request", async () => {
    const created = await ledger.memories.create({ cubeId: "c", text: "Alice likes tea" }, key("k-create"));
    expect(await ledger.memories.create({ cubeId: "c", text: "Alice likes tea" }, key("k-create"))).toEqual(created);
    await refused(ledger.memories.create({ cubeId: "c", text: "Alice likes mate" }, key("k-create")), "k-create");
    const id = created.memoryId;
    const other = (await ledger.memories.create({ cubeId: "c", text: "Alice likes tea a lot" })).memoryId;

    const cube = await ledger.cubes.create({ name: "Scratch", owner: { kind: "agent", id: "a" } }, key("k-cube"));
    expect(await ledger.cubes.create({ name: "Scratch", owner: { kind: "agent", id: "a" } }, key("k-cube"))).toEqual(cube);
    await refused(ledger.cubes.create({ name: "Scratch 2", owner: { kind: "agent", id: "a" } }, key("k-cube")), "k-cube");

    const writes: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ["k-edit", () => ledger.memories.edit(id, { content: { text: "Alice likes green tea" } }, key("k-edit")), () => ledger.memories.edit(id, { content: { text: "x" } }, key("k-edit"))],
      ["k-archive", () => ledger.memories.archive(id, key("k-archive")), () => ledger.memories.archive(other, key("k-archive"))],
      ["k-restore", () => ledger.memories.restore(id, key("k-restore")), () => ledger.memories.restore(other, key("k-restore"))],
      ["k-revert", () => ledger.memories.revert(id, 1, key("k-revert")), () => ledger.memories.revert(id, 2, key("k-revert"))],
      ["k-freeze", () => ledger.memories.freeze(id, "legal_hold", undefined, key("k-freeze")), () => ledger.memories.freeze(id, "retention", undefined, key("k-freeze"))],
      ["k-erase", () => ledger.memories.erase(id, key("k-erase")), () => ledger.memories.erase(other, key("k-erase"))],
    ];
    for (const [name, write, another] of writes) {
      const before = (await ledger.memories.history(id)).length;
      const first = await write();
      expect(await write()).toEqual(first);
      expect((await ledger.memories.history(id)).length).toBe(before + 1);
      await refused(another(), name);
    }
    expect((await ledger.memories.get(other)).status).toBe("activated");
  });

  it("hardening #4: a keyed add, schedule, rollback, branch and subject erasure apply once", async () => {
    const sync = await ledger.memories.add("c", { memories: [{ text: "Alice likes jazz", userId: "alice" }] }, key("k-add"));
    expect(await ledger.memories.add("c", { memories: [{ text: "Alice likes jazz", userId: "alice" }] }, key("k-add"))).toEqual(sync);
    await refused(ledger.memories.add("c", { memories: [{ text: "Alice likes rock" }] }, key("k-add")), "k-add");
    const async = await ledger.memories.add("c", { mode: "async", memories: [{ text: "Alice likes blues" }] }, key("k-async"));
    const asyncRetry = await ledger.memories.add("c", { mode: "async", memories: [{ text: "Alice likes blues" }] }, key("k-async"));
    expect(asyncRetry).toMatchObject({ memoryIds: async.mode === "async" ? async.memoryIds : [], job: { jobId: async.mode === "async" ? async.job.jobId : "" } });
    const unit = sync.mode === "sync" ? sync.memories[0]!.memoryId : "";

    const job = await ledger.memories.schedule(unit, { command: "archive", afterSeconds: 60 }, key("k-schedule"));
    expect((await ledger.memories.schedule(unit, { command: "archive", afterSeconds: 60 }, key("k-schedule"))).jobId).toBe(job.jobId);
    await refused(ledger.memories.schedule(unit, { command: "archive", afterSeconds: 61 }, key("k-schedule")), "k-schedule");

    const t = clock.now().toISOString();
    clock.advance(60_000);
    await ledger.memories.edit(unit, { content: { text: "Alice likes free jazz" } });
    const rollback = await ledger.cubes.rollback("c", t, key("k-rollback"));
    expect(await ledger.cubes.rollback("c", t, key("k-rollback"))).toEqual(rollback);
    expect((await ledger.cubes.get("c")).rollbacks).toBe(1);
    await refused(ledger.cubes.rollback("c", clock.now().toISOString(), key("k-rollback")), "k-rollback");

    const branch = await ledger.cubes.branch("c", t, {}, key("k-branch"));
    expect(await ledger.cubes.branch("c", t, {}, key("k-branch"))).toEqual(branch);
    expect((await ledger.cubes.get("c")).branches).toEqual([branch.cube.cubeId]);

    const certificate = await ledger.subjects.erase("alice", key("k-forget"));
    expect(await ledger.subjects.erase("alice", key("k-forget"))).toEqual(certificate);
    expect(await ledger.subjects.certificates("alice")).toHaveLength(1);
    await refused(ledger.subjects.erase("bob", key("k-forget")), "k-forget");
  });

  it("hardening #4: the same keyed request sent five times at once applies once and every copy gets the same answer", async () => {
    const creates = await Promise.all(Array.from({ length: 5 }, () => ledger.memories.create({ cubeId: "c", text: "raced" }, key("k-race"))));
    expect(new Set(creates.map((c) => JSON.stringify(c))).size).toBe(1);
    expect((await ledger.cubes.memories("c")).filter((m) => m.content?.text === "raced")).toHaveLength(1);
    const id = creates[0]!.memoryId;
    const edits = await Promise.all(Array.from({ length: 5 }, () => ledger.memories.edit(id, { content: { text: "raced again" } }, key("k-race-edit"))));
    expect(new Set(edits.map((e) => JSON.stringify(e))).size).toBe(1);
    expect(await ledger.memories.history(id)).toHaveLength(3);
  });

  it("hardening #4: a command that failed after its key was claimed applies once when retried, even after a restart", async () => {
    const request = { cubeId: "later", text: "Alice moved to Lyon" };
    expect((await failureOf(ledger.memories.create(request, key("k-crash"))))._tag).toBe("CubeNotFound");
    // The process goes away between the claim and the command (here: the command failed); a new one takes the retry.
    await ledger.close();
    await open();
    await ledger.cubes.create({ cubeId: "later", name: "Later", owner: { kind: "user", id: "alice" } });
    const created = await ledger.memories.create(request, key("k-crash"));
    expect(await ledger.memories.create(request, key("k-crash"))).toEqual(created);
    expect(await ledger.cubes.memories("later")).toHaveLength(1);
  });

  it("hardening #4: an acknowledged keyed write whose answer was lost is not applied again by a retry after a restart", async () => {
    const unit = await ledger.memories.create({ cubeId: "c", text: "Alice likes tea" });
    const first = await ledger.memories.edit(unit.memoryId, { content: { text: "Alice likes coffee" } }, key("k-lost"), { expectedRevision: 1 });
    await ledger.close();
    await open();
    // The retry carries the same (now stale) precondition; it gets the first answer, not a RevisionMismatch or a second edit.
    expect(await ledger.memories.edit(unit.memoryId, { content: { text: "Alice likes coffee" } }, key("k-lost"), { expectedRevision: 1 })).toEqual(first);
    expect(await ledger.memories.history(unit.memoryId)).toHaveLength(3);
  });

  it("hardening #4: a rollback that crashed after compensating one unit resumes on retry without compensating it twice", async () => {
    const a = await ledger.memories.create({ cubeId: "c", text: "A v1" });
    const b = await ledger.memories.create({ cubeId: "c", text: "B v1" });
    const t = clock.now().toISOString();
    clock.advance(60_000);
    await ledger.memories.edit(a.memoryId, { content: { text: "A v2" } });
    await ledger.memories.edit(b.memoryId, { content: { text: "B v2" } });
    await ledger.close();
    // The first attempt got as far as reverting unit A under the request's command id, then the process died.
    const crashed = ManagedRuntime.make(memLedgerLayer({ dataDir, clock, worker: false }));
    const commandId = scopedCommandId(alice, "cube.rollback", "k-resume");
    await crashed.runPromise(Effect.flatMap(MemoryService, (s) => s.revert(a.memoryId, 1, { ...alice, commandId })));
    await crashed.dispose();
    await open();
    const report = await ledger.cubes.rollback("c", t, key("k-resume"));
    expect(report.outcomes).toEqual([
      { memoryId: a.memoryId, action: "reverted", toRevision: 1 },
      { memoryId: b.memoryId, action: "reverted", toRevision: 1 },
    ]);
    expect((await ledger.memories.history(a.memoryId)).map((e) => e.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryReverted"]);
    expect((await ledger.memories.get(b.memoryId)).content?.text).toBe("B v1");
    expect(await ledger.cubes.rollback("c", t, key("k-resume"))).toEqual(report);
  });
});
