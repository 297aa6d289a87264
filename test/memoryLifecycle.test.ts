import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { ManualClock } from "../src/clock/clock.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("a memory unit through its lifecycle (embedded ledger)", () => {
  let ledger: MemLedger;
  let clock: ManualClock;
  let dispose: () => Promise<void>;
  const alice = { tenantId: "acme", actor: "user:alice", reason: "onboarding chat" };

  beforeEach(async () => {
    ({ ledger, clock, dispose } = await tempLedger({ defaultContext: alice }));
    await ledger.cubes.create({ cubeId: "alice-cube", name: "Alice's memories", owner: { kind: "user", id: "alice" } });
  });
  afterEach(() => dispose());

  const remember = (text: string, extra: Record<string, unknown> = {}) =>
    ledger.memories.create({ cubeId: "alice-cube", text, userId: "alice", tags: ["food"], sources: [{ kind: "message", ref: "msg-1" }], ...extra });

  it("creates an activated unit at revision 1, version 1, recording who and when", async () => {
    const unit = await remember("Alice likes green tea");
    expect(unit.status).toBe("activated");
    expect(unit.revision).toBe(1);
    expect(unit.version).toBe(1);
    expect(unit.content?.text).toBe("Alice likes green tea");
    expect(unit.subjectId).toBe("alice");
    expect(unit.createdBy).toBe("user:alice");
    expect(unit.createdAt).toBe("2026-03-01T09:00:00.000Z");
  });

  it("leaves a unit generated when asked, and activates it later", async () => {
    const unit = await remember("pending", { activate: false });
    expect(unit.status).toBe("generated");
    expect((await ledger.memories.activate(unit.memoryId)).status).toBe("activated");
  });

  it("edits as new versions, keeps history with who/when/why, and reads any earlier revision", async () => {
    const unit = await remember("Alice likes green tea");
    clock.advance(60_000);
    await ledger.memories.edit(unit.memoryId, { content: { text: "Alice likes jasmine tea" } }, { ...alice, actor: "agent:planner", reason: "user corrected" });
    clock.advance(60_000);
    const edited = await ledger.memories.edit(unit.memoryId, { attributes: { confidence: 0.8 }, content: { tags: ["food", "drinks"] } });
    expect(edited.version).toBe(3);
    expect(edited.revision).toBe(3);

    const history = await ledger.memories.history(unit.memoryId);
    expect(history.map((h) => h.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryEdited"]);
    expect(history[2]).toMatchObject({ actor: "agent:planner", reason: "user corrected", versionAfter: 2, changedFields: ["content.text"] });
    expect(history[3]?.changedFields).toEqual(["content.tags", "attributes.confidence"]);

    expect((await ledger.memories.get(unit.memoryId, { revision: 1 })).content?.text).toBe("Alice likes green tea");
    expect((await ledger.memories.get(unit.memoryId, { time: "2026-03-01T09:01:30.000Z" })).content?.text).toBe("Alice likes jasmine tea");
    expect((await ledger.memories.get(unit.memoryId, { position: history[2]!.position })).version).toBe(2);
    const notYet = await failureOf(ledger.memories.get(unit.memoryId, { time: "2026-02-01T00:00:00Z" }));
    expect(notYet._tag).toBe("MemoryNotFound");
  });

  it("diffs two revisions field by field with a word diff of the text", async () => {
    const unit = await remember("Alice likes green tea");
    await ledger.memories.edit(unit.memoryId, { content: { text: "Alice likes jasmine tea", key: "tea" } });
    const diff = await ledger.memories.diff(unit.memoryId, 1, 2);
    expect(diff.changes.map((c) => c.field)).toEqual(["version", "content.key", "content.text"]);
    expect(diff.textDiff).toEqual([
      { op: "equal", text: "Alice likes " },
      { op: "delete", text: "green" },
      { op: "insert", text: "jasmine" },
      { op: "equal", text: " tea" },
    ]);
  });

  it("archives and restores, and reverts to an earlier revision with a compensating event", async () => {
    const unit = await remember("v1 text");
    await ledger.memories.edit(unit.memoryId, { content: { text: "v2 text" } });
    await ledger.memories.archive(unit.memoryId);
    expect((await ledger.memories.restore(unit.memoryId)).status).toBe("activated");
    const reverted = await ledger.memories.revert(unit.memoryId, 1, { ...alice, reason: "undo yesterday" });
    expect(reverted.content?.text).toBe("v1 text");
    expect(reverted.status).toBe("activated");
    expect(reverted.version).toBe(3);
    const history = await ledger.memories.history(unit.memoryId);
    expect(history.at(-1)).toMatchObject({ type: "MemoryReverted", revertedTo: 1, reason: "undo yesterday" });
    // History is never rewritten: the edit is still there.
    expect(history.map((h) => h.type)).toContain("MemoryEdited");
  });

  it("rejects transitions the lifecycle forbids with a typed error naming unit, state and command", async () => {
    const unit = await remember("x");
    await ledger.memories.freeze(unit.memoryId, "legal_hold", "case 42");
    const edit = await failureOf(ledger.memories.edit(unit.memoryId, { content: { text: "y" } }));
    expect(edit).toMatchObject({ _tag: "TransitionRejected", memoryId: unit.memoryId, state: "frozen", command: "edit" });
    const revert = await failureOf(ledger.memories.revert(unit.memoryId, 1));
    expect(revert).toMatchObject({ _tag: "TransitionRejected", state: "frozen", command: "revert" });
    const restore = await failureOf(ledger.memories.restore(unit.memoryId));
    expect(restore._tag).toBe("TransitionRejected");
    expect((await ledger.memories.erase(unit.memoryId)).status).toBe("erased");
    const after = await failureOf(ledger.memories.archive(unit.memoryId));
    expect(after).toMatchObject({ _tag: "TransitionRejected", state: "erased" });
  });

  it("rejects bad input with the field to fix", async () => {
    const empty = await failureOf(remember("   "));
    expect(empty).toMatchObject({ _tag: "InvalidCommand", field: "content.text" });
    const unit = await remember("ok");
    const confidence = await failureOf(ledger.memories.edit(unit.memoryId, { attributes: { confidence: 7 } }));
    expect(confidence).toMatchObject({ _tag: "InvalidCommand", field: "attributes.confidence" });
    const noop = await failureOf(ledger.memories.edit(unit.memoryId, { content: { text: "ok" } }));
    expect(noop._tag).toBe("TransitionRejected");
    expect(noop.message).toContain("changes nothing");
    expect((await failureOf(ledger.memories.get("nope")))._tag).toBe("MemoryNotFound");
    expect((await failureOf(ledger.memories.create({ cubeId: "no-cube", text: "x" })))._tag).toBe("CubeNotFound");
    expect((await failureOf(ledger.memories.revert(unit.memoryId, 5)))._tag).toBe("InvalidRequest");
  });

  it("merges into a live successor and can undo the merge by revert", async () => {
    const a = await remember("Alice drinks tea");
    const b = await remember("Alice drinks green tea daily");
    const merged = await ledger.memories.merge(a.memoryId, b.memoryId);
    expect(merged).toMatchObject({ status: "merged", successorId: b.memoryId });
    expect((await failureOf(ledger.memories.edit(a.memoryId, { content: { text: "z" } })))._tag).toBe("TransitionRejected");
    expect((await failureOf(ledger.memories.merge(b.memoryId, b.memoryId)))._tag).toBe("TransitionRejected");
    expect((await failureOf(ledger.memories.merge(b.memoryId, "missing")))._tag).toBe("MemoryNotFound");
    const undone = await ledger.memories.revert(a.memoryId, 1);
    expect(undone.status).toBe("activated");
    expect(undone.successorId).toBeUndefined();
  });

  it("applies a command retried with the same command id once", async () => {
    const unit = await remember("x");
    const ctx = { ...alice, commandId: "req-7" };
    const first = await ledger.memories.edit(unit.memoryId, { content: { text: "y" } }, ctx);
    const retry = await ledger.memories.edit(unit.memoryId, { content: { text: "y" } }, ctx);
    expect(retry.revision).toBe(first.revision);
    expect((await ledger.memories.history(unit.memoryId)).length).toBe(3);
    const createCtx = { ...alice, commandId: "create-9" };
    const c1 = await remember("once", { memoryId: "fixed-id" }).catch(() => undefined);
    expect(c1).toBeDefined();
    const again = await ledger.memories.create({ cubeId: "alice-cube", memoryId: "m-create", text: "once" }, createCtx);
    const againRetry = await ledger.memories.create({ cubeId: "alice-cube", memoryId: "m-create", text: "once" }, createCtx);
    expect(againRetry.revision).toBe(again.revision);
    const duplicate = await failureOf(ledger.memories.create({ cubeId: "alice-cube", memoryId: "m-create", text: "other" }));
    expect(duplicate._tag).toBe("TransitionRejected");
  });

  it("fails an edit whose expected revision is stale instead of overwriting", async () => {
    const unit = await remember("x");
    await ledger.memories.edit(unit.memoryId, { content: { text: "y" } }, alice, { expectedRevision: 1 });
    const stale = await failureOf(ledger.memories.edit(unit.memoryId, { content: { text: "z" } }, alice, { expectedRevision: 1 }));
    expect(stale).toMatchObject({ _tag: "RevisionMismatch", expected: 1, actual: 2 });
  });

  it("reads every past revision, time and position exactly as the unit was then", async () => {
    const unit = await remember("t0");
    const seen = [unit];
    for (let i = 1; i <= 30; i += 1) {
      clock.advance(1000);
      const id = unit.memoryId;
      if (i % 7 === 0) {
        seen.push(await ledger.memories.archive(id));
        clock.advance(1000);
        seen.push(await ledger.memories.restore(id));
      }
      else if (i % 11 === 0) seen.push(await ledger.memories.revert(id, seen[Math.floor(seen.length / 2)]!.revision));
      else seen.push(await ledger.memories.edit(id, { content: { text: `t${i}`, tags: [`tag${i % 3}`] }, attributes: { confidence: (i % 10) / 10 } }));
    }
    for (const view of seen) {
      for (const asOf of [{ revision: view.revision }, { position: view.position }, { time: view.updatedAt }]) {
        const past = await ledger.memories.get(unit.memoryId, asOf);
        expect({ status: past.status, version: past.version, content: past.content, attributes: past.attributes }).toEqual({
          status: view.status,
          version: view.version,
          content: view.content,
          attributes: view.attributes,
        });
      }
    }
  });

  it("keeps every acknowledged write across a restart of the ledger", async () => {
    const { ledger: l1, dataDir, dispose: d1 } = await tempLedger();
    await l1.cubes.create({ cubeId: "c", name: "c", owner: { kind: "agent", id: "a" } });
    const unit = await l1.memories.create({ cubeId: "c", text: "survives" });
    await l1.memories.edit(unit.memoryId, { content: { text: "survives twice" } });
    await l1.close();
    const { ledger: l2, dispose: d2 } = await tempLedger({ dataDir });
    expect((await l2.memories.get(unit.memoryId)).content?.text).toBe("survives twice");
    expect((await l2.cubes.memories("c")).length).toBe(1);
    await d2();
    await d1().catch(() => undefined);
  });
});
