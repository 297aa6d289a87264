import { cubeViewSchema, memoryViewSchema } from "./schemas.js";
import { erasureCertificateSchema } from "../erasure/erasureCertificateSchema.js";

/**
 * Success bodies of the routes that declared none, so the OpenAPI document
 * names their status and shape. Fastify serializes responses with these, and
 * drops properties an object schema does not list: every object stays open
 * (`additionalProperties: true`) so adding a field to a report never loses it.
 */
const openObject = (properties: Record<string, object> = {}) => ({ type: "object", additionalProperties: true, properties }) as const;
const string = { type: "string" } as const;
const integer = { type: "integer" } as const;
const strings = { type: "array", items: string } as const;

export const cubeListSchema = openObject({ cubes: { type: "array", items: cubeViewSchema } });

export const cubeMemoriesSchema = openObject({
  cubeId: string,
  asOf: openObject({ time: string, position: integer }),
  memories: { type: "array", items: memoryViewSchema },
});

export const rollbackReportSchema = openObject({
  cubeId: string,
  toTime: string,
  outcomes: { type: "array", items: openObject({ memoryId: string, action: string }) },
});

export const branchReportSchema = openObject({
  cube: cubeViewSchema,
  sourceCubeId: string,
  asOf: string,
  memoryMap: { type: "object", additionalProperties: string, description: "source memory id -> branch memory id" },
  skipped: { type: "array", items: openObject({ memoryId: string, why: string }) },
});

export const memoryHistorySchema = openObject({
  memoryId: string,
  entries: {
    type: "array",
    items: openObject({ revision: integer, position: integer, eventId: string, type: string, statusAfter: string, versionAfter: integer, changedFields: strings, revertedTo: integer, successorId: string }),
  },
});

export const memoryDiffSchema = openObject({
  memoryId: string,
  fromRevision: integer,
  toRevision: integer,
  changes: { type: "array", items: openObject({ field: string, before: {}, after: {} }) },
  textDiff: { type: "array", items: openObject({ op: { type: "string", enum: ["equal", "insert", "delete"] }, text: string }) },
  contentUnavailable: { type: "boolean" },
});

export { erasureCertificateSchema };

export const erasureCertificatesSchema = openObject({ subjectId: string, certificates: { type: "array", items: erasureCertificateSchema } });

/** One Server-Sent Event of `GET /events`, as an EventSource hands it over (OpenAPI before 3.2 describes each event with `schema`). */
export const feedEventSchema = {
  type: "object",
  required: ["data"],
  properties: {
    id: { type: "string", pattern: "^[0-9]+$", description: "the event's global log position; send it back as Last-Event-ID to resume" },
    event: { type: "string", description: "the memory event type, e.g. MemoryCreated" },
    data: { type: "string", description: "the public memory event as JSON" },
    retry: { type: "integer", minimum: 0, description: "how long to wait before reconnecting, in milliseconds" },
  },
} as const;
