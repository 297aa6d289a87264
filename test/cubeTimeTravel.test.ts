import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { ManualClock } from "../src/clock/clock.js";
import { tempLedger } from "./support/tempLedger.js";

describe("cube-level time travel: as-of listing, rollback, branch", () => {
  let ledger: MemLedger;
  let clock: ManualClock;
  let dispose: () => Promise<void>;
  const ctx = { tenantId: "acme", actor: "agent:planner" };
  const add = (text: string) => ledger.memories.create({ cubeId: "proj", text, userId: "u1" }, ctx);
  const texts = async (options?: Parameters<MemLedger["cubes"]["memories"]>[1]) =>
    (await ledger.cubes.memories("proj", options)).map((m) => `${m.content?.text ?? "<shredded>"}:${m.status}`).sort();

  beforeEach(async () => {
    ({ ledger, clock, dispose } = await tempLedger({ defaultContext: ctx }));
    await ledger.cubes.create({ cubeId: "proj", name: "Project X", owner: { kind: "project", id: "x" } }, ctx);
  });
  afterEach(() => dispose());

  it("lists the cube as it stood at a past time or log position", async () => {
    const a = await add("a1");
    const t1 = clock.now().toISOString();
    const position = a.position;
    clock.advance(1000);
    await ledger.memories.edit(a.memoryId, { content: { text: "a2" } }, ctx);
    await add("b1");
    expect(await texts()).toEqual(["a2:activated", "b1:activated"]);
    expect(await texts({ asOf: { time: t1 } })).toEqual(["a1:activated"]);
    expect(await texts({ asOf: { position } })).toEqual(["a1:activated"]);
    expect(await texts({ statuses: ["archived"] })).toEqual([]);
    const cubes = await ledger.cubes.list("acme");
    expect(cubes.map((c) => c.cubeId)).toEqual(["proj"]);
    expect(cubes[0]?.memoryCount).toBe(2);
  });

  it("rolls back with compensating events: edits reverted, later units archived, frozen and erased units reported", async () => {
    const edited = await add("edited-before");
    const archived = await add("archived-later");
    const untouched = await add("untouched");
    const frozen = await add("frozen-later");
    const erased = await add("erased-later");
    clock.advance(1000);
    const t = clock.now().toISOString();
    clock.advance(1000);
    await ledger.memories.edit(edited.memoryId, { content: { text: "edited-after" } }, ctx);
    await ledger.memories.archive(archived.memoryId, ctx);
    await ledger.memories.freeze(frozen.memoryId, "legal_hold", undefined, ctx);
    await ledger.memories.erase(erased.memoryId, ctx);
    const newer = await add("created-after");
    const newerGenerated = await ledger.memories.create({ cubeId: "proj", text: "generated-after", activate: false }, ctx);

    const report = await ledger.cubes.rollback("proj", t, { ...ctx, reason: "bad import yesterday" });
    const outcome = (id: string) => report.outcomes.find((o) => o.memoryId === id);
    expect(outcome(edited.memoryId)).toMatchObject({ action: "reverted", toRevision: 1 });
    expect(outcome(archived.memoryId)).toMatchObject({ action: "reverted", toRevision: 1 });
    expect(outcome(untouched.memoryId)).toMatchObject({ action: "unchanged" });
    expect(outcome(frozen.memoryId)).toMatchObject({ action: "skipped" });
    expect(outcome(erased.memoryId)).toMatchObject({ action: "skipped" });
    expect(outcome(newer.memoryId)).toMatchObject({ action: "archived" });
    expect(outcome(newerGenerated.memoryId)).toMatchObject({ action: "archived" });

    expect((await ledger.memories.get(edited.memoryId)).content?.text).toBe("edited-before");
    expect((await ledger.memories.get(archived.memoryId)).status).toBe("activated");
    // Nothing was deleted: the unit created after T is archived, and history keeps the undone edit.
    expect((await ledger.memories.get(newer.memoryId)).status).toBe("archived");
    const history = await ledger.memories.history(edited.memoryId);
    expect(history.map((h) => h.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryReverted"]);
    expect(history.at(-1)).toMatchObject({ reason: "bad import yesterday", actor: "agent:planner" });
    // All compensating events of one rollback share a correlation id.
    const revertOfArchived = (await ledger.memories.history(archived.memoryId)).at(-1)!;
    expect(revertOfArchived.correlationId).toBe(history.at(-1)!.correlationId);

    // Running the same rollback again changes nothing more.
    const again = await ledger.cubes.rollback("proj", t, ctx);
    expect(again.outcomes.filter((o) => o.action === "reverted" || o.action === "archived")).toEqual([]);
    expect((await ledger.cubes.get("proj")).rollbacks).toBe(2);
  });

  it("branches a cube at a past time into an independent what-if cube", async () => {
    const a = await add("a-before");
    const b = await add("b-before");
    await ledger.memories.merge(a.memoryId, b.memoryId, ctx);
    const gone = await add("erased-before");
    await ledger.memories.erase(gone.memoryId, ctx);
    clock.advance(1000);
    const t = clock.now().toISOString();
    clock.advance(1000);
    await ledger.memories.edit(b.memoryId, { content: { text: "b-after" } }, ctx);
    await add("c-after");

    const branch = await ledger.cubes.branch("proj", t, { cubeId: "proj-whatif" }, ctx);
    expect(branch.cube.branchedFrom).toEqual({ cubeId: "proj", asOf: t });
    expect(Object.keys(branch.memoryMap).sort()).toEqual([a.memoryId, b.memoryId].sort());
    expect(branch.skipped).toEqual([{ memoryId: gone.memoryId, why: expect.stringContaining("erased") }]);
    const copies = await ledger.cubes.memories("proj-whatif");
    expect(copies.map((m) => `${m.content?.text}:${m.status}`).sort()).toEqual(["a-before:merged", "b-before:activated"]);
    const copyOfA = copies.find((m) => m.branchedFrom?.memoryId === a.memoryId)!;
    expect(copyOfA.successorId).toBe(branch.memoryMap[b.memoryId]);

    // The branch evolves on its own.
    await ledger.memories.edit(branch.memoryMap[b.memoryId]!, { content: { text: "b-in-branch" } }, ctx);
    expect((await ledger.memories.get(b.memoryId)).content?.text).toBe("b-after");
    expect((await ledger.cubes.get("proj")).branches).toEqual(["proj-whatif"]);
  });

  it("rejects a rollback or branch time that is not a time", async () => {
    await expect(ledger.cubes.rollback("proj", "yesterday", ctx)).rejects.toMatchObject({ _tag: "InvalidRequest", field: "toTime" });
    await expect(ledger.cubes.branch("proj", "2026-13-45", {}, ctx)).rejects.toMatchObject({ _tag: "InvalidRequest" });
    await expect(ledger.cubes.rollback("nope", "2026-01-01T00:00:00Z", ctx)).rejects.toMatchObject({ _tag: "CubeNotFound" });
  });
});
