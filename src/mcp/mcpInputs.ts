import { z } from "zod";
import type { AsOf } from "../../projections/asOf.js";
import type { LogMoment } from "../../projections/projectionEvent.js";
import { builtInMemoryTypes, visibilities } from "../../domain/memory/memoryContent.js";

/**
 * The pieces of the tools' input schemas, described for a model: each field
 * says what it is and when to give it. Flat fields (`asOfTime`, not a nested
 * union) because models fill flat objects far more reliably.
 */

export const id = (what: string) => z.string().min(1).max(200).describe(what);

export const isoTime = (what: string) => z.iso.datetime({ offset: true }).describe(what);

export const memoryType = z
  .union([z.enum(builtInMemoryTypes), z.string().regex(/^custom:[A-Za-z0-9_.-]{1,64}$/)])
  .describe(`kind of memory: ${builtInMemoryTypes.join(", ")} (default long_term), or custom:<name>`);

export const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const metadata = z.record(z.string(), metadataValue).describe("flat key/value metadata (string, number, boolean or null values); searchable with exact matches");

export const tags = z.array(z.string().min(1).max(100)).max(50).describe("short labels, e.g. [\"diet\", \"travel\"]");

export const visibility = z.enum(visibilities).describe("who may read it: private (its writer and subject), session (also requests stating its session), cube (default), tenant, public");

export const reason = z.string().min(1).max(500).optional().describe("why you make this change; recorded in the audit trail with the event");

export const expectedRevision = z
  .number()
  .int()
  .nonnegative()
  .optional()
  .describe("fail instead of writing if the memory is no longer at this revision (from get_memory): use it when you decided the change from what you read");

/** `asOfTime` / `asOfPosition` (and for one memory `asOfRevision`): at most one. */
export const pointInTime = {
  asOfTime: isoTime("read as things stood at this moment (ISO-8601 with offset, e.g. 2026-03-01T09:00:00Z); leave out for now").optional(),
  asOfPosition: z.number().int().nonnegative().optional().describe("read as of this global log position (from an earlier answer's `position`); leave out for now"),
};

export const revisionInTime = {
  asOfRevision: z.number().int().nonnegative().optional().describe("read the memory as it was at this revision of its own history (see memory_history)"),
};

export class InputProblem extends Error {
  readonly _tag = "InvalidRequest";
}

export function asOfOf(input: { asOfTime?: string | undefined; asOfPosition?: number | undefined; asOfRevision?: number | undefined }): AsOf | undefined {
  const given = [
    ...(input.asOfTime !== undefined ? [{ time: input.asOfTime }] : []),
    ...(input.asOfPosition !== undefined ? [{ position: input.asOfPosition }] : []),
    ...(input.asOfRevision !== undefined ? [{ revision: input.asOfRevision }] : []),
  ];
  if (given.length > 1) throw new InputProblem("give at most one of asOfTime, asOfPosition, asOfRevision");
  return given[0];
}

export function logMomentOf(input: { asOfTime?: string | undefined; asOfPosition?: number | undefined }): LogMoment | undefined {
  return asOfOf(input) as LogMoment | undefined;
}

/** The object without its undefined entries (the API's optional fields are exact). */
export function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
