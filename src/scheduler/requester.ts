import type { CommandContext } from "../command/commandContext.js";
import type { JobRecord, JsonValue } from "../jobs/jobBusPort.js";

/**
 * Who asked for a job, carried in its payload so the worker can act for them:
 * same tenant and correlation, the caller named in the reason, the job as the cause.
 */
export type Requester = {
  readonly tenantId: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly reason?: string;
};

export function requesterOf(ctx: CommandContext, fallbackCorrelationId: string): Requester {
  return {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    correlationId: ctx.correlationId ?? fallbackCorrelationId,
    ...(ctx.reason !== undefined ? { reason: ctx.reason } : {}),
  };
}

const isText = (v: unknown): v is string => typeof v === "string" && v !== "";

/** The requester part of a job payload; a payload without it is a malformed job (it fails and says so). */
export function parseRequester(payload: JsonValue, job: Pick<JobRecord, "jobId" | "kind">): Requester & { readonly fields: Readonly<Record<string, unknown>> } {
  const fields = payload !== null && typeof payload === "object" && !Array.isArray(payload) ? (payload as Readonly<Record<string, unknown>>) : {};
  if (!isText(fields.tenantId) || !isText(fields.actor) || !isText(fields.correlationId)) {
    throw new Error(`job ${job.jobId} has a malformed ${job.kind} payload: it needs tenantId, actor and correlationId`);
  }
  return { tenantId: fields.tenantId, actor: fields.actor, correlationId: fields.correlationId, ...(isText(fields.reason) ? { reason: fields.reason } : {}), fields };
}

/** The context a job's commands run under: a system actor, acting for the requester. */
export function actingFor(requester: Requester, job: Pick<JobRecord, "jobId">, systemActor: string, what: string): CommandContext {
  return {
    tenantId: requester.tenantId,
    actor: systemActor,
    correlationId: requester.correlationId,
    causationId: job.jobId,
    reason: `${what} requested by ${requester.actor}${requester.reason ? `: ${requester.reason}` : ""}`,
  };
}
