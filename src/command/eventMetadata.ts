import type { ClockPort } from "../clock/clock.js";
import type { EventMetadata } from "../eventStore/eventStorePort.js";
import type { IdGeneratorPort } from "../ids/idGenerator.js";
import type { CommandContext } from "./commandContext.js";

/** Where an event belongs beyond who/why: its cube and, for sealed content, its subject and key. */
export interface EventScope {
  readonly cubeId?: string;
  readonly subjectId?: string;
  readonly keyId?: string;
}

/** The envelope metadata every service writes: the command context, stamped with the injected clock. */
export function eventMetadata(ctx: CommandContext, clock: ClockPort, ids: IdGeneratorPort, scope: EventScope = {}): EventMetadata {
  return {
    tenantId: ctx.tenantId,
    ...(scope.cubeId !== undefined ? { cubeId: scope.cubeId } : {}),
    actor: ctx.actor,
    ...(ctx.onBehalfOf !== undefined ? { onBehalfOf: ctx.onBehalfOf } : {}),
    ...(ctx.reason !== undefined ? { reason: ctx.reason } : {}),
    correlationId: ctx.correlationId ?? ids.newId(),
    ...(ctx.causationId !== undefined ? { causationId: ctx.causationId } : {}),
    ...(scope.subjectId !== undefined ? { subjectId: scope.subjectId } : {}),
    ...(scope.keyId !== undefined ? { keyId: scope.keyId } : {}),
    recordedAt: clock.now().toISOString(),
    ...(ctx.commandId !== undefined ? { commandId: ctx.commandId } : {}),
    ...(ctx.automation !== undefined ? { automation: ctx.automation } : {}),
  };
}
