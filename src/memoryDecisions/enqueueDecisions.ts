import type { Effect } from "effect";
import type { CommandContext } from "../command/commandContext.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import type { EnqueueResult, JobBusPort } from "../jobs/jobBusPort.js";
import { requesterOf } from "../scheduler/requester.js";

export const decideJobKind = "memory.decide";

/**
 * The durable `memory.decide` job for a batch of units ingestion has just
 * activated (memories.add, MemReader, documents): it decides ADD / UPDATE /
 * MERGE / NOOP for each, acting for the requester. Ingestion paths call this
 * after activation; the same batch enqueues one job however often it is
 * called (a crashed ingestion job that runs again included).
 */
export function enqueueDecisions(bus: JobBusPort, cubeId: string, memoryIds: readonly string[], ctx: CommandContext): Effect.Effect<EnqueueResult, InvalidJob | JobBusUnavailable> {
  return bus.enqueue({
    kind: decideJobKind,
    key: cubeId,
    cubeId,
    payload: { ...requesterOf(ctx, ctx.correlationId ?? cubeId), cubeId, memoryIds: [...memoryIds] },
    idempotencyKey: `decide:${cubeId}:${memoryIds[0] ?? ""}:${memoryIds.length}`,
  });
}
