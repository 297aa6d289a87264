import { Data } from "effect";
import type { Hold } from "../../domain/legalHold/holdState.js";

/** What a refusal shows of a hold: enough to find it and the person who placed it. */
export interface HoldSummary {
  readonly holdId: string;
  readonly scope: Hold["scope"];
  readonly reason: string;
  readonly placedBy: string;
  readonly placedAt: string;
}

export const holdSummary = (hold: Hold): HoldSummary => ({ holdId: hold.holdId, scope: hold.scope, reason: hold.reason, placedBy: hold.placedBy, placedAt: hold.placedAt });

/** 409: a legal hold binds the unit; an erasure was recorded as pending and runs when the last hold is released. */
export class LegalHoldActive extends Data.TaggedError("LegalHoldActive")<{
  readonly memoryId: string;
  readonly command: string;
  readonly holds: readonly HoldSummary[];
  readonly pendingErasureId?: string;
  readonly message: string;
}> {}

export function legalHoldActive(memoryId: string, command: string, holds: readonly Hold[], pendingErasureId?: string): LegalHoldActive {
  const named = holds.map((h) => `${h.holdId} (${h.scope.kind} ${h.scope.id}, "${h.reason}", placed by ${h.placedBy} at ${h.placedAt})`).join("; ");
  const then =
    pendingErasureId !== undefined
      ? `the erasure is recorded as pending (${pendingErasureId}) and runs by itself when the last of these holds is released (GDPR art. 17(3)(e))`
      : "release the hold(s) first (POST /holds/<holdId>/release) if the matter is closed";
  return new LegalHoldActive({
    memoryId,
    command,
    holds: holds.map(holdSummary),
    ...(pendingErasureId !== undefined ? { pendingErasureId } : {}),
    message: `memory ${memoryId} is under legal hold, so '${command}' is refused: ${named}; ${then}`,
  });
}

/** 404: no hold of this id in the caller's tenant. */
export class HoldNotFound extends Data.TaggedError("HoldNotFound")<{ readonly holdId: string; readonly message: string }> {}

/** 409: the hold exists but the command cannot apply (already released, id taken). */
export class HoldConflict extends Data.TaggedError("HoldConflict")<{ readonly holdId: string; readonly message: string }> {}
