import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { ManualClock } from "../src/clock/clock.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("hot-plug cubes: rename, soft removal, reinstatement", () => {
  let ledger: MemLedger;
  let clock: ManualClock;
  let dispose: () => Promise<void>;
  const ctx = { tenantId: "acme", actor: "user:ops" };

  beforeEach(async () => {
    ({ ledger, clock, dispose } = await tempLedger({ defaultContext: ctx }));
    await ledger.cubes.create({ cubeId: "proj", name: "Project X", owner: { kind: "project", id: "x" }, description: "first" }, ctx);
  });
  afterEach(() => dispose());

  it("a rename shows in get, in the list and in the cube's history", async () => {
    clock.advance(1000);
    const renamed = await ledger.cubes.update("proj", { name: "Project Y" }, { ...ctx, reason: "new codename" });
    expect(renamed.name).toBe("Project Y");
    expect(renamed.description).toBe("first");
    expect((await ledger.cubes.get("proj")).name).toBe("Project Y");
    expect((await ledger.cubes.list("acme")).map((c) => c.name)).toEqual(["Project Y"]);
    const cleared = await ledger.cubes.update("proj", { description: null }, ctx);
    expect(cleared.description).toBeUndefined();
    expect(cleared.lifecycle).toEqual([
      expect.objectContaining({ type: "CubeUpdated", name: "Project Y", by: "user:ops", reason: "new codename", at: "2026-03-01T09:00:01.000Z" }),
      expect.objectContaining({ type: "CubeUpdated", description: null }),
    ]);
    expect((await failureOf(ledger.cubes.update("proj", { name: "Project Y" }, ctx)))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.cubes.update("proj", { name: " " }, ctx)))._tag).toBe("InvalidRequest");
  });

  it("removal hides the cube from lists, reads, searches and writes; reinstatement brings everything back unchanged", async () => {
    const unit = await ledger.memories.create({ cubeId: "proj", text: "the launch moves to May", userId: "u1" }, ctx);
    await ledger.readModels.catchUp();
    const before = await ledger.memories.get(unit.memoryId);
    const historyBefore = await ledger.memories.history(unit.memoryId);
    expect((await ledger.search({ query: "launch", cubeIds: ["proj"] })).results).toHaveLength(1);

    const removed = await ledger.cubes.remove("proj", { ...ctx, reason: "project paused" });
    expect(removed.removed).toEqual({ at: "2026-03-01T09:00:00.000Z", by: "user:ops" });
    expect(await ledger.cubes.list("acme")).toEqual([]);
    expect((await ledger.cubes.list("acme", { includeRemoved: true })).map((c) => [c.cubeId, c.removed?.by])).toEqual([["proj", "user:ops"]]);

    for (const refused of [
      ledger.cubes.get("proj"),
      ledger.cubes.memories("proj"),
      ledger.memories.get(unit.memoryId),
      ledger.memories.history(unit.memoryId),
      ledger.search({ query: "launch", cubeIds: ["proj"] }),
      ledger.memories.create({ cubeId: "proj", text: "more" }, ctx),
      ledger.memories.edit(unit.memoryId, { content: { text: "changed" } }, ctx),
      ledger.memories.archive(unit.memoryId, ctx),
    ]) {
      const failure = await failureOf(refused);
      expect(failure._tag).toBe("CubeRemoved");
      expect(failure.message).toContain("reinstate");
      expect(failure.cubeId).toBe("proj");
    }
    expect((await failureOf(ledger.cubes.remove("proj", ctx)))._tag).toBe("CubeLifecycleConflict");

    const back = await ledger.cubes.reinstate("proj", ctx);
    expect(back.removed).toBeUndefined();
    expect(back.lifecycle?.map((e) => e.type)).toEqual(["CubeRemoved", "CubeReinstated"]);
    expect(back.lifecycle?.[0]?.reason).toBe("project paused");
    expect(await ledger.memories.get(unit.memoryId)).toEqual(before);
    expect(await ledger.memories.history(unit.memoryId)).toEqual(historyBefore);
    expect((await ledger.search({ query: "launch", cubeIds: ["proj"] })).results.map((r) => r.memory.memoryId)).toEqual([unit.memoryId]);
    expect((await ledger.cubes.list("acme")).map((c) => c.cubeId)).toEqual(["proj"]);
    expect((await failureOf(ledger.cubes.reinstate("proj", ctx)))._tag).toBe("CubeLifecycleConflict");
  });

  it("time travel: as of a moment before the removal the cube reads as it was then; after it, 410", async () => {
    const unit = await ledger.memories.create({ cubeId: "proj", text: "kept in the past" }, ctx);
    const beforeRemoval = clock.now().toISOString();
    clock.advance(60_000);
    await ledger.cubes.remove("proj", ctx);
    const afterRemoval = clock.now().toISOString();
    expect((await ledger.memories.get(unit.memoryId, { time: beforeRemoval })).content?.text).toBe("kept in the past");
    expect((await ledger.cubes.memories("proj", { asOf: { time: beforeRemoval } })).map((m) => m.memoryId)).toEqual([unit.memoryId]);
    expect((await ledger.cubes.memories("proj", { asOf: { position: unit.position } })).map((m) => m.memoryId)).toEqual([unit.memoryId]);
    expect((await failureOf(ledger.memories.get(unit.memoryId, { time: afterRemoval })))._tag).toBe("CubeRemoved");
    expect((await failureOf(ledger.cubes.memories("proj", { asOf: { time: afterRemoval } })))._tag).toBe("CubeRemoved");
  });

  it("erasure is unaffected: a unit of a removed cube is still erased, and a subject erasure reaches it", async () => {
    const one = await ledger.memories.create({ cubeId: "proj", text: "Nadia's address", userId: "nadia" }, ctx);
    const two = await ledger.memories.create({ cubeId: "proj", text: "Nadia's phone", userId: "nadia" }, ctx);
    await ledger.cubes.remove("proj", ctx);
    const erased = await ledger.memories.erase(one.memoryId, ctx);
    expect(erased.status).toBe("erased");
    const certificate = await ledger.subjects.erase("nadia", ctx);
    expect(certificate.erasedMemoryIds).toContain(two.memoryId);
    expect(certificate.alreadyErasedMemoryIds).toContain(one.memoryId);
    await ledger.cubes.reinstate("proj", ctx);
    expect((await ledger.memories.get(two.memoryId)).content).toBeNull();
  });

  it("an idempotent retry of a removal answers as the first time instead of failing", async () => {
    const keyed = { ...ctx, commandId: "remove-1" };
    const first = await ledger.cubes.remove("proj", keyed);
    const again = await ledger.cubes.remove("proj", keyed);
    expect(again).toEqual(first);
  });
});
