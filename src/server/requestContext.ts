import type { FastifyRequest } from "fastify";
import type { RequestOptions } from "../app/ledgerApi.js";
import type { AsOf } from "../../projections/asOf.js";
import { parseIsoInstant } from "../../domain/time/isoInstant.js";

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
};

/** Why and how a request relates to others, from its headers; who acts comes from its credential. */
export function requestOptions(request: FastifyRequest): RequestOptions {
  const reason = header(request, "x-reason");
  const commandId = header(request, "idempotency-key");
  return {
    ...(reason !== undefined ? { reason } : {}),
    correlationId: header(request, "x-correlation-id") ?? request.id,
    ...(commandId !== undefined ? { commandId } : {}),
  };
}

export class ConflictingAsOf extends Error {
  readonly _tag = "InvalidRequest";
  readonly field = "asOf";
  constructor() {
    super("asOf: give at most one of asOfRevision, asOfTime, asOfPosition");
  }
}

/** asOfRevision names a revision the memory has not reached yet. */
export class AsOfRevisionPastHead extends Error {
  readonly _tag = "InvalidRequest";
  readonly field = "asOfRevision";
  constructor(
    readonly memoryId: string,
    asOfRevision: number,
    readonly headRevision: number,
  ) {
    super(`asOfRevision ${asOfRevision} is past memory ${memoryId}'s head, revision ${headRevision}; ask for a revision from 0 to ${headRevision}`);
  }
}

export function asOfFrom(query: { asOfRevision?: number; asOfTime?: string; asOfPosition?: number }): AsOf | undefined {
  const given = [query.asOfRevision, query.asOfTime, query.asOfPosition].filter((v) => v !== undefined).length;
  if (given > 1) throw new ConflictingAsOf();
  if (query.asOfRevision !== undefined) return { revision: query.asOfRevision };
  // The schema's date-time format already ran the same parser; this only makes the text canonical (UTC).
  if (query.asOfTime !== undefined) return { time: parseIsoInstant(query.asOfTime) ?? query.asOfTime };
  if (query.asOfPosition !== undefined) return { position: query.asOfPosition };
  return undefined;
}
