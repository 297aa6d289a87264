import type { FastifyRequest } from "fastify";
import type { CommandContext } from "../app/commandContext.js";
import type { AsOf } from "../../projections/asOf.js";

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
};

/** Who/why of a request, from its headers (authentication arrives with governance). */
export function commandContext(request: FastifyRequest): CommandContext {
  const reason = header(request, "x-reason");
  const commandId = header(request, "idempotency-key");
  return {
    tenantId: header(request, "x-tenant-id") ?? "default",
    actor: header(request, "x-actor") ?? "anonymous",
    ...(reason !== undefined ? { reason } : {}),
    correlationId: header(request, "x-correlation-id") ?? request.id,
    ...(commandId !== undefined ? { commandId } : {}),
  };
}

/** Expected revision from the body or an If-Match header (body wins). */
export function expectedRevision(request: FastifyRequest, body?: { expectedRevision?: number }): number | undefined {
  if (body?.expectedRevision !== undefined) return body.expectedRevision;
  const ifMatch = header(request, "if-match")?.replace(/"/g, "");
  return ifMatch !== undefined && /^\d+$/.test(ifMatch) ? Number(ifMatch) : undefined;
}

export class ConflictingAsOf extends Error {
  readonly _tag = "InvalidRequest";
  readonly field = "asOf";
  constructor() {
    super("asOf: give at most one of asOfRevision, asOfTime, asOfPosition");
  }
}

export function asOfFrom(query: { asOfRevision?: number; asOfTime?: string; asOfPosition?: number }): AsOf | undefined {
  const given = [query.asOfRevision, query.asOfTime, query.asOfPosition].filter((v) => v !== undefined).length;
  if (given > 1) throw new ConflictingAsOf();
  if (query.asOfRevision !== undefined) return { revision: query.asOfRevision };
  if (query.asOfTime !== undefined) return { time: query.asOfTime };
  if (query.asOfPosition !== undefined) return { position: query.asOfPosition };
  return undefined;
}
