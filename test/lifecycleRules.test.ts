import { describe, expect, it } from "vitest";
import { decide } from "../domain/memory/decide.js";
import { fold } from "../domain/memory/evolve.js";
import type { MemoryCommand } from "../domain/memory/memoryCommands.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "../domain/memory/memoryState.js";

/** Given the commands so far, when one more is decided, then these events or this rejection. */
const memoryId = "m-1";
const create: MemoryCommand = {
  type: "create",
  memoryId,
  cubeId: "cube-a",
  content: { text: "Alice likes tea", tags: [], sources: [], metadata: {} },
  attributes: { memoryType: "long_term", confidence: 1, visibility: "cube" },
  activate: true,
};

function given(commands: readonly MemoryCommand[]): { state: MemoryState; history: MemoryEvent[] } {
  let state: MemoryState = initialMemoryState;
  const history: MemoryEvent[] = [];
  for (const command of commands) {
    const decision = decide(state, command);
    if (decision.kind === "rejected") throw decision.error;
    history.push(...decision.events);
    state = fold(decision.events, state);
  }
  return { state, history };
}

const successor = (cubeId: string, status: ExistingMemory["status"] = "activated") => ({ memoryId: "m-2", cubeId, status });

describe("hardening #10: merge stays within one cube", () => {
  it("hardening #10: a unit cannot be merged into a unit of another cube", () => {
    const { state } = given([create]);
    const decision = decide(state, { type: "merge", memoryId, successorId: "m-2", successor: successor("cube-b") });
    expect(decision).toMatchObject({ kind: "rejected", error: { _tag: "TransitionRejected", memoryId, state: "activated", command: "merge" } });
    if (decision.kind === "rejected") expect(decision.error.message).toContain("cube-b");
  });

  it("hardening #10: a unit is merged into an activated unit of its own cube", () => {
    const { state } = given([create]);
    const decision = decide(state, { type: "merge", memoryId, successorId: "m-2", successor: successor("cube-a") });
    expect(decision).toMatchObject({ kind: "accepted", nextStatus: "merged", events: [{ type: "MemoryMerged", data: { memoryId, successorId: "m-2" } }] });
  });

  it("hardening #10: the machine refuses a successor that is not activated, and says so", () => {
    const { state } = given([create]);
    const decision = decide(state, { type: "merge", memoryId, successorId: "m-2", successor: successor("cube-a", "archived") });
    expect(decision).toMatchObject({ kind: "rejected", error: { _tag: "TransitionRejected" } });
    if (decision.kind === "rejected") expect(decision.error.message).toContain("archived");
  });
});

describe("hardening #10: a revert never sends a processed unit back to generated", () => {
  it("hardening #10: revert to revision 0 of an activated unit restores revision 0's content and stays activated", () => {
    const { state, history } = given([create, { type: "edit", memoryId, content: { text: "Alice likes coffee" } }]);
    const target = fold(history.slice(0, 1)) as ExistingMemory;
    expect(target.status).toBe("generated");
    const decision = decide(state, { type: "revert", memoryId, toRevision: 0, target });
    expect(decision).toMatchObject({ kind: "accepted", nextStatus: "activated" });
    if (decision.kind !== "accepted") return;
    const after = fold(decision.events, state) as ExistingMemory;
    expect(after.status).toBe("activated");
    expect(after.content?.text).toBe("Alice likes tea");
  });

  it("hardening #10: revert to revision 0 of an archived unit lands in activated, not generated", () => {
    const { state, history } = given([create, { type: "archive", memoryId }]);
    const target = fold(history.slice(0, 1)) as ExistingMemory;
    const decision = decide(state, { type: "revert", memoryId, toRevision: 0, target });
    expect(decision).toMatchObject({ kind: "accepted", nextStatus: "activated", events: [{ type: "MemoryReverted", data: { status: "activated" } }] });
  });

  it("hardening #10: a unit that is still generated stays generated when reverted to its creation", () => {
    const pending: MemoryCommand = { ...create, activate: false };
    const { state, history } = given([pending, { type: "recordProcessingFailure", memoryId, jobId: "j", attempt: 1, error: "down", willRetry: true }]);
    const decision = decide(state, { type: "revert", memoryId, toRevision: 0, target: fold(history.slice(0, 1)) as ExistingMemory });
    expect(decision).toMatchObject({ kind: "accepted", nextStatus: "generated" });
  });
});
