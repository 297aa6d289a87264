import { holdScopeKinds, type HoldEvent, type HoldScope } from "./holdEvents.js";
import type { HoldState } from "./holdState.js";

export type HoldCommand =
  | { readonly type: "placeHold"; readonly holdId: string; readonly scope: HoldScope; readonly reason: string; readonly by: string; readonly at: string }
  | { readonly type: "releaseHold"; readonly holdId: string; readonly reason: string; readonly by: string; readonly at: string };

/** Why a hold command was refused: which field, and what to do. */
export type HoldRejection = { readonly reason: "invalid" | "not_found" | "conflict"; readonly field: string; readonly message: string };

export type HoldDecision = { readonly kind: "accepted"; readonly events: readonly HoldEvent[] } | { readonly kind: "rejected"; readonly rejection: HoldRejection };

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const rejected = (reason: HoldRejection["reason"], field: string, message: string): HoldDecision => ({ kind: "rejected", rejection: { reason, field, message } });

/** A hold and its release each need a reason a court or an auditor can read later. */
const badReason = (reason: unknown) => typeof reason !== "string" || reason.trim() === "" || reason.length > 2_000;

export function decideHold(state: HoldState, command: HoldCommand): HoldDecision {
  if (badReason(command.reason)) return rejected("invalid", "reason", "must be a non-empty text of at most 2000 characters (why the hold is placed or released)");
  switch (command.type) {
    case "placeHold": {
      if (!holdScopeKinds.includes(command.scope?.kind)) return rejected("invalid", "scope.kind", `must be one of ${holdScopeKinds.join(", ")}`);
      if (typeof command.scope.id !== "string" || !idPattern.test(command.scope.id)) return rejected("invalid", "scope.id", "must be 1-128 characters: letters, digits and . _ : @ -");
      if (state.holds.has(command.holdId)) return rejected("conflict", "holdId", `hold ${command.holdId} already exists; place a new hold without an id`);
      return { kind: "accepted", events: [{ type: "HoldPlaced", data: { holdId: command.holdId, scope: { kind: command.scope.kind, id: command.scope.id }, reason: command.reason, placedBy: command.by, placedAt: command.at } }] };
    }
    case "releaseHold": {
      const hold = state.holds.get(command.holdId);
      if (hold === undefined) return rejected("not_found", "holdId", `hold ${command.holdId} does not exist in this tenant; list the holds (GET /holds) to find its id`);
      if (hold.released !== undefined) return rejected("conflict", "holdId", `hold ${command.holdId} was already released at ${hold.released.releasedAt} by ${hold.released.releasedBy}`);
      return { kind: "accepted", events: [{ type: "HoldReleased", data: { holdId: command.holdId, reason: command.reason, releasedBy: command.by, releasedAt: command.at } }] };
    }
  }
}
