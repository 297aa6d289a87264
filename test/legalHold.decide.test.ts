import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideHold } from "../domain/legalHold/decideHold.js";
import type { HoldEvent } from "../domain/legalHold/holdEvents.js";
import { foldHolds, holdsCovering, pendingErasureOf } from "../domain/legalHold/holdState.js";

/** The hold decider and fold, as specifications: given events, when a command, then events or a refusal. */
const at = "2026-03-01T09:00:00.000Z";
const placed = (holdId: string, kind: "memory" | "cube" | "subject", id: string): HoldEvent => ({ type: "HoldPlaced", data: { holdId, scope: { kind, id }, reason: "r", placedBy: "dpo", placedAt: at } });
const released = (holdId: string): HoldEvent => ({ type: "HoldReleased", data: { holdId, reason: "done", releasedBy: "dpo", releasedAt: at } });

describe("legal hold decider", () => {
  it("places a hold with a reason, refuses an empty reason, a bad scope and a taken id", () => {
    const state = foldHolds([placed("h1", "cube", "c1")]);
    expect(decideHold(state, { type: "placeHold", holdId: "h2", scope: { kind: "subject", id: "alice" }, reason: "case", by: "dpo", at })).toMatchObject({ kind: "accepted", events: [{ type: "HoldPlaced" }] });
    expect(decideHold(state, { type: "placeHold", holdId: "h2", scope: { kind: "subject", id: "alice" }, reason: "  ", by: "dpo", at })).toMatchObject({ kind: "rejected", rejection: { reason: "invalid", field: "reason" } });
    expect(decideHold(state, { type: "placeHold", holdId: "h2", scope: { kind: "tenant" as "cube", id: "x" }, reason: "case", by: "dpo", at })).toMatchObject({ kind: "rejected", rejection: { field: "scope.kind" } });
    expect(decideHold(state, { type: "placeHold", holdId: "h1", scope: { kind: "cube", id: "c1" }, reason: "case", by: "dpo", at })).toMatchObject({ kind: "rejected", rejection: { reason: "conflict" } });
  });

  it("releases an active hold once; an unknown or released hold is refused", () => {
    const state = foldHolds([placed("h1", "memory", "m1"), placed("h2", "memory", "m1"), released("h2")]);
    expect(decideHold(state, { type: "releaseHold", holdId: "h1", reason: "over", by: "dpo", at })).toMatchObject({ kind: "accepted", events: [{ type: "HoldReleased" }] });
    expect(decideHold(state, { type: "releaseHold", holdId: "h2", reason: "over", by: "dpo", at })).toMatchObject({ kind: "rejected", rejection: { reason: "conflict" } });
    expect(decideHold(state, { type: "releaseHold", holdId: "h9", reason: "over", by: "dpo", at })).toMatchObject({ kind: "rejected", rejection: { reason: "not_found" } });
  });

  it("a unit is covered by exactly the active holds on itself, its cube or its subject", () => {
    const scopes = fc.record({ kind: fc.constantFrom("memory" as const, "cube" as const, "subject" as const), id: fc.constantFrom("m1", "m2", "c1", "c2", "alice", "bob") });
    fc.assert(
      fc.property(fc.array(fc.tuple(scopes, fc.boolean()), { maxLength: 12 }), (holds) => {
        const events = holds.flatMap(([scope, isReleased], i) => [placed(`h${i}`, scope.kind, scope.id), ...(isReleased ? [released(`h${i}`)] : [])]);
        const state = foldHolds(events);
        const unit = { memoryId: "m1", cubeId: "c1", subjectId: "alice" };
        const expected = holds
          .map(([scope, isReleased], i) => ({ scope, isReleased, holdId: `h${i}` }))
          .filter(({ scope, isReleased }) => !isReleased && ((scope.kind === "memory" && scope.id === "m1") || (scope.kind === "cube" && scope.id === "c1") || (scope.kind === "subject" && scope.id === "alice")))
          .map((h) => h.holdId);
        expect(holdsCovering(state, unit).map((h) => h.holdId)).toEqual(expected);
      }),
    );
  });

  it("a deferred erasure is pending until completed", () => {
    const deferred: HoldEvent = { type: "ErasureDeferred", data: { erasureId: "e1", memoryId: "m1", scope: "memory", requestedBy: "u", requestedAt: at, reason: "r", holdIds: ["h1"] } };
    expect(pendingErasureOf(foldHolds([placed("h1", "memory", "m1"), deferred]), "m1")?.erasureId).toBe("e1");
    expect(pendingErasureOf(foldHolds([placed("h1", "memory", "m1"), deferred, { type: "DeferredErasureCompleted", data: { erasureId: "e1", memoryId: "m1", completedAt: at } }]), "m1")).toBeUndefined();
  });
});
