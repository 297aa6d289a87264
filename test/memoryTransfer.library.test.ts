import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("memory transfer between cubes: copy and move with lineage both ways", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  const ctx = { tenantId: "acme", actor: "user:ops" };

  beforeEach(async () => {
    ({ ledger, dispose } = await tempLedger({ defaultContext: ctx }));
    for (const cubeId of ["inbox", "project"]) await ledger.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "ops" } }, ctx);
  });
  afterEach(() => dispose());

  it("copy: a new unit in the target with copiedFrom; the source stays as it was, its history intact", async () => {
    const source = await ledger.memories.create({ cubeId: "inbox", text: "Nadia prefers email", userId: "nadia", tags: ["pref"], memoryType: "preference" }, ctx);
    const edited = await ledger.memories.edit(source.memoryId, { content: { text: "Nadia prefers email, not calls" } }, ctx);
    const historyBefore = await ledger.memories.history(source.memoryId);
    const report = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "copy" }, ctx);
    expect(report.mode).toBe("copy");
    expect(report.copy).toMatchObject({ cubeId: "project", status: "activated", subjectId: "nadia", copiedFrom: { cubeId: "inbox", memoryId: source.memoryId, revision: edited.revision } });
    expect(report.copy.content).toMatchObject({ text: "Nadia prefers email, not calls", tags: ["pref"], userId: "nadia" });
    expect(report.copy.attributes.memoryType).toBe("preference");
    expect(report.source).toEqual(await ledger.memories.get(source.memoryId));
    expect(report.source.status).toBe("activated");
    expect(await ledger.memories.history(source.memoryId)).toEqual(historyBefore);
    expect((await ledger.cubes.memories("project")).map((m) => m.memoryId)).toEqual([report.copy.memoryId]);
    // Sealed under the subject's key: erasing the subject shreds the copy too.
    const certificate = await ledger.subjects.erase("nadia", ctx);
    expect(certificate.erasedMemoryIds).toEqual(expect.arrayContaining([source.memoryId, report.copy.memoryId]));
  });

  it("a unit that belonged to its cube only belongs to the target cube once copied", async () => {
    const source = await ledger.memories.create({ cubeId: "inbox", text: "team offsite in June" }, ctx);
    const report = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "copy" }, ctx);
    expect(source.subjectId).toBe("cube:inbox");
    expect(report.copy.subjectId).toBe("cube:project");
  });

  it("move: the copy, then the source archived with movedTo; walkable both ways", async () => {
    const source = await ledger.memories.create({ cubeId: "inbox", text: "the launch moves to May" }, ctx);
    const report = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "move" }, ctx);
    expect(report.source).toMatchObject({ status: "archived", movedTo: { cubeId: "project", memoryId: report.copy.memoryId } });
    const copy = await ledger.memories.get(report.source.movedTo!.memoryId);
    expect(copy.copiedFrom).toEqual({ cubeId: "inbox", memoryId: source.memoryId, revision: source.revision });
    const sourceAgain = await ledger.memories.get(copy.copiedFrom!.memoryId);
    expect(sourceAgain.movedTo?.memoryId).toBe(copy.memoryId);
    expect((await ledger.memories.history(source.memoryId)).map((e) => e.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryArchived"]);
    await ledger.readModels.catchUp();
    expect((await ledger.search({ query: "launch", cubeIds: ["inbox", "project"] })).results.map((r) => r.memory.memoryId)).toEqual([copy.memoryId]);
  });

  it("a unit under legal hold is not moved (409 naming the hold, nothing written) but may be copied", async () => {
    const source = await ledger.memories.create({ cubeId: "inbox", text: "contract terms" }, ctx);
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: source.memoryId }, reason: "matter 12" }, ctx);
    const refused = await failureOf(ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "move" }, ctx));
    expect(refused._tag).toBe("LegalHoldActive");
    expect(refused.message).toContain(hold.holdId);
    expect(await ledger.cubes.memories("project")).toEqual([]);
    expect((await ledger.memories.get(source.memoryId)).status).toBe("activated");
    const copied = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "copy" }, ctx);
    expect(copied.copy.copiedFrom?.memoryId).toBe(source.memoryId);
  });

  it("refuses clearly: same cube, missing target, removed target, erased source; a keyed retry answers as the first move", async () => {
    const source = await ledger.memories.create({ cubeId: "inbox", text: "x" }, ctx);
    expect((await failureOf(ledger.memories.transfer(source.memoryId, { targetCubeId: "inbox", mode: "copy" }, ctx)))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.memories.transfer(source.memoryId, { targetCubeId: "nowhere", mode: "copy" }, ctx)))._tag).toBe("CubeNotFound");
    await ledger.cubes.remove("project", ctx);
    expect((await failureOf(ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "copy" }, ctx)))._tag).toBe("CubeRemoved");
    await ledger.cubes.reinstate("project", ctx);
    const keyed = { ...ctx, commandId: "move-1" };
    const first = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "move" }, keyed);
    const again = await ledger.memories.transfer(source.memoryId, { targetCubeId: "project", mode: "move" }, keyed);
    expect(again.copy).toEqual(first.copy);
    expect(again.source.status).toBe("archived");
    expect(await ledger.cubes.memories("project")).toHaveLength(1);
    const gone = await ledger.memories.create({ cubeId: "inbox", text: "y" }, ctx);
    await ledger.memories.erase(gone.memoryId, ctx);
    expect((await failureOf(ledger.memories.transfer(gone.memoryId, { targetCubeId: "project", mode: "copy" }, ctx)))._tag).toBe("TransitionRejected");
  });
});
