import { Effect } from "effect";
import { holdsCovering, pendingErasureOf, type HeldUnit } from "../../domain/legalHold/holdState.js";
import type { CommandContext } from "../command/commandContext.js";
import type { ClockPort } from "../clock/clock.js";
import type { EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import type { IdGeneratorPort } from "../ids/idGenerator.js";
import { legalHoldActive, type LegalHoldActive } from "./legalHoldErrors.js";
import type { HoldRegistryApi } from "./holdRegistry.js";

/** Commands a hold forbids: everything that changes the unit's content or lifecycle. */
export const commandsBoundByHold: ReadonlySet<string> = new Set(["edit", "merge", "archive", "restore", "freeze", "erase", "revert"]);

/** The erasure that a refusal records, so it can run once the holds are gone. */
export interface ErasureRequest {
  readonly scope: "memory" | "subject";
  readonly subjectId?: string;
  readonly ctx: CommandContext;
}

const maxAttempts = 5;

/**
 * The check every bound command passes, whoever sends it (library root, REST,
 * jobs): a hold binds everyone. An erasure refused here is not dropped: it is
 * recorded as pending in the hold stream, once per unit.
 */
export function holdGate(registry: HoldRegistryApi, clock: ClockPort, ids: IdGeneratorPort) {
  const deferErasure = (tenantId: string, unit: HeldUnit, request: ErasureRequest) =>
    Effect.gen(function* () {
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        const { state, revision } = yield* registry.current(tenantId);
        const holds = holdsCovering(state, unit);
        const waiting = pendingErasureOf(state, unit.memoryId);
        if (waiting !== undefined || holds.length === 0) return { holds, erasureId: waiting?.erasureId };
        const erasureId = ids.newId();
        const appended = yield* Effect.either(
          registry.append(
            tenantId,
            [
              {
                type: "ErasureDeferred",
                data: {
                  erasureId,
                  memoryId: unit.memoryId,
                  scope: request.scope,
                  ...(request.subjectId !== undefined ? { subjectId: request.subjectId } : {}),
                  requestedBy: request.ctx.actor,
                  requestedAt: clock.now().toISOString(),
                  reason: request.ctx.reason ?? (request.scope === "subject" ? "erasure request (GDPR art. 17)" : "erasure request"),
                  holdIds: holds.map((h) => h.holdId),
                },
              },
            ],
            revision,
            request.ctx,
          ),
        );
        if (appended._tag === "Right") return { holds, erasureId };
        if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
      }
      return yield* Effect.die(new Error(`the hold stream of tenant ${tenantId} changed ${maxAttempts} times in a row while recording a pending erasure of ${unit.memoryId}; retry the request`));
    });

  return {
    /** The active holds covering the unit, if any. */
    covering: (tenantId: string, unit: HeldUnit) => Effect.map(registry.current(tenantId), ({ state }) => holdsCovering(state, unit)),
    /** Fails with LegalHoldActive when a hold binds the unit; a refused erasure is recorded as pending first. */
    require: (tenantId: string, unit: HeldUnit, command: string, erasure?: ErasureRequest): Effect.Effect<void, LegalHoldActive | EventStoreUnavailable | IdempotencyConflict> =>
      Effect.gen(function* () {
        if (!commandsBoundByHold.has(command)) return;
        const { state } = yield* registry.current(tenantId);
        const holds = holdsCovering(state, unit);
        if (holds.length === 0) return;
        if (command !== "erase" || erasure === undefined) return yield* Effect.fail(legalHoldActive(unit.memoryId, command, holds));
        const deferred = yield* deferErasure(tenantId, unit, erasure);
        return yield* Effect.fail(legalHoldActive(unit.memoryId, command, deferred.holds.length > 0 ? deferred.holds : holds, deferred.erasureId));
      }),
    deferErasure,
  };
}

export type HoldGate = ReturnType<typeof holdGate>;
