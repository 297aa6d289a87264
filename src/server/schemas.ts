/**
 * JSON Schemas for the REST API: Fastify validates requests with them and
 * @fastify/swagger turns them into the OpenAPI document. Unknown properties are
 * rejected (not silently dropped) so a typo becomes a clear 400.
 */
import type { MemoryStatus } from "../../domain/memory/memoryEvents.js";

export const memoryStatuses = ["generated", "activated", "merged", "archived", "frozen", "erased"] as const satisfies readonly MemoryStatus[];

/** Checked by the one time parser (domain/time/isoInstant.ts): a time zone is required, impossible dates are refused. */
export const isoTime = { type: "string", format: "date-time", description: "ISO-8601 time with a time zone, e.g. 2026-03-03T12:00:00Z" } as const;
const stringMap = { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } } as const;
const source = {
  type: "object",
  required: ["kind", "ref"],
  additionalProperties: false,
  properties: { kind: { type: "string", enum: ["message", "document", "url", "tool", "other"] }, ref: { type: "string", minLength: 1 }, at: isoTime, note: { type: "string" } },
} as const;
const memoryType = { type: "string", description: "working, long_term, user, preference, tool, skill, raw_source or custom:<name>" } as const;
const visibility = { type: "string", enum: ["private", "session", "cube", "tenant", "public"] } as const;
const revision = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const logPosition = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export const idParam = (name: string) => ({ type: "object", required: [name], properties: { [name]: { type: "string", minLength: 1, maxLength: 200 } } }) as const;

export const errorResponse = {
  type: "object",
  properties: { error: { type: "string" }, message: { type: "string" } },
  additionalProperties: true,
} as const;

export const memoryViewSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    memoryId: { type: "string" },
    cubeId: { type: "string" },
    status: { type: "string", enum: ["generated", "activated", "merged", "archived", "frozen", "erased"] },
    revision: { type: "integer" },
    version: { type: "integer" },
    content: { type: ["object", "null"], additionalProperties: true },
    attributes: { type: "object", additionalProperties: true },
    successorId: { type: "string" },
    subjectId: { type: "string" },
    createdAt: { type: "string" },
    createdBy: { type: "string" },
    updatedAt: { type: "string" },
    updatedBy: { type: "string" },
    position: { type: "integer" },
  },
} as const;

export const cubeViewSchema = { type: "object", additionalProperties: true, properties: { cubeId: { type: "string" }, name: { type: "string" }, memoryCount: { type: "integer" } } } as const;

export const createCubeBody = {
  type: "object",
  required: ["name", "owner"],
  additionalProperties: false,
  properties: {
    cubeId: { type: "string", minLength: 1, maxLength: 128 },
    name: { type: "string", minLength: 1, maxLength: 200 },
    owner: {
      type: "object",
      required: ["kind", "id"],
      additionalProperties: false,
      properties: { kind: { type: "string", enum: ["user", "agent", "session", "project"] }, id: { type: "string", minLength: 1 } },
    },
    description: { type: "string", maxLength: 2000 },
  },
} as const;

export const createMemoryBody = {
  type: "object",
  required: ["cubeId", "text"],
  additionalProperties: false,
  properties: {
    cubeId: { type: "string", minLength: 1 },
    memoryId: { type: "string", minLength: 1, maxLength: 200 },
    text: { type: "string", minLength: 1, description: "what to remember; not blank" },
    key: { type: "string" },
    tags: { type: "array", items: { type: "string" } },
    sources: { type: "array", items: source },
    userId: { type: "string" },
    agentId: { type: "string" },
    sessionId: { type: "string" },
    metadata: stringMap,
    memoryType,
    confidence: { type: "number" },
    visibility,
    eventTime: isoTime,
    subjectId: { type: "string", minLength: 1 },
    activate: { type: "boolean", default: true },
  },
} as const;

const nullable = (schema: object) => ({ anyOf: [schema, { type: "null" }] });

export const editMemoryBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    content: {
      type: "object",
      additionalProperties: false,
      properties: {
        text: { type: "string", minLength: 1, description: "the new text; not blank" },
        key: nullable({ type: "string" }),
        tags: { type: "array", items: { type: "string" } },
        sources: { type: "array", items: source },
        userId: nullable({ type: "string" }),
        agentId: nullable({ type: "string" }),
        sessionId: nullable({ type: "string" }),
        metadata: stringMap,
      },
    },
    attributes: {
      type: "object",
      additionalProperties: false,
      properties: { memoryType, confidence: { type: "number" }, visibility, eventTime: nullable(isoTime) },
    },
    expectedRevision: revision,
  },
} as const;

export const expectedRevisionBody = { type: "object", additionalProperties: false, properties: { expectedRevision: revision } } as const;
export const mergeBody = { type: "object", required: ["successorId"], additionalProperties: false, properties: { successorId: { type: "string", minLength: 1 }, expectedRevision: revision } } as const;
export const freezeBody = {
  type: "object",
  required: ["reason"],
  additionalProperties: false,
  properties: { reason: { type: "string", enum: ["legal_hold", "retention", "other"] }, note: { type: "string" }, expectedRevision: revision },
} as const;
export const revertBody = { type: "object", required: ["toRevision"], additionalProperties: false, properties: { toRevision: revision, expectedRevision: revision } } as const;
export const emptyBody = { type: "object", additionalProperties: false, properties: {} } as const;

export const asOfQuery = {
  type: "object",
  additionalProperties: false,
  properties: { asOfRevision: revision, asOfTime: isoTime, asOfPosition: logPosition },
} as const;

export const cubeMemoriesQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    asOf: isoTime,
    asOfPosition: logPosition,
    status: { type: "string", pattern: `^(${memoryStatuses.join("|")})(,(${memoryStatuses.join("|")}))*$`, description: `comma-separated statuses among ${memoryStatuses.join(", ")}, e.g. activated,archived` },
  },
} as const;

export const diffQuery = { type: "object", required: ["from", "to"], additionalProperties: false, properties: { from: revision, to: revision } } as const;
export const rollbackBody = { type: "object", required: ["toTime"], additionalProperties: false, properties: { toTime: isoTime } } as const;
export const branchBody = {
  type: "object",
  required: ["asOf"],
  additionalProperties: false,
  properties: { asOf: isoTime, cubeId: { type: "string", minLength: 1, maxLength: 128 }, name: { type: "string", minLength: 1 } },
} as const;
