import type { Effect } from "effect";
import type { CommandContext } from "../command/commandContext.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import type { EnqueueResult, JobBusPort } from "../jobs/jobBusPort.js";
import { requesterOf } from "../scheduler/requester.js";

export const inferJobKind = "preferences.infer";

/**
 * The durable `preferences.infer` job for one user of a cube. `trigger` names
 * what asked (a MemReader job id, or a request's command id): the same
 * trigger enqueues one job however often it runs (a rerun reader job too).
 */
export function enqueuePreferenceInference(bus: JobBusPort, cubeId: string, userId: string, ctx: CommandContext, trigger: string): Effect.Effect<EnqueueResult, InvalidJob | JobBusUnavailable> {
  return bus.enqueue({
    kind: inferJobKind,
    // One inference per user at a time: two running at once would both create the same new preference.
    key: `${cubeId}:${userId}`,
    cubeId,
    payload: { ...requesterOf(ctx, ctx.correlationId ?? cubeId), cubeId, userId },
    idempotencyKey: `${inferJobKind}:${cubeId}:${userId}:${trigger}`,
  });
}
