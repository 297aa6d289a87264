import { createMemoryBody, isoTime } from "./schemas.js";

/** JSON Schemas of the scheduler's REST surface: async add, job status, scheduled commands. */
const { cubeId: _cube, activate: _activate, ...memoryItemProperties } = createMemoryBody.properties;

export const addMemoriesBody = {
  type: "object",
  required: ["memories"],
  additionalProperties: false,
  properties: {
    memories: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      items: { type: "object", required: ["text"], additionalProperties: false, properties: memoryItemProperties },
    },
    mode: { type: "string", enum: ["sync", "async"], default: "sync", description: "sync: returns activated units; async: returns unit ids and a job id at once (202)" },
  },
} as const;

const jobStatus = { type: "string", enum: ["waiting", "running", "failed", "done", "dead"] } as const;

export const jobSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    jobId: { type: "string" },
    kind: { type: "string" },
    key: { type: "string" },
    cubeId: { type: "string" },
    status: jobStatus,
    attempts: { type: "integer" },
    maxAttempts: { type: "integer" },
    priority: { type: "integer" },
    notBefore: { type: "string" },
    lastError: { type: "string" },
    result: {},
    payload: {},
    enqueuedAt: { type: "string" },
    updatedAt: { type: "string" },
    finishedAt: { type: "string" },
  },
} as const;

export const listJobsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    cubeId: { type: "string", minLength: 1 },
    status: jobStatus,
    kind: { type: "string", minLength: 1 },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

export const waitQuery = {
  type: "object",
  additionalProperties: false,
  properties: { timeoutMs: { type: "integer", minimum: 0, maximum: 120_000, default: 30_000, description: "how long to block at most" } },
} as const;

export const scheduleBody = {
  type: "object",
  required: ["command"],
  additionalProperties: false,
  properties: {
    command: { type: "string", enum: ["archive", "freeze", "activate"] },
    at: { ...isoTime, description: "ISO-8601 time with a time zone when the command runs" },
    afterSeconds: { type: "integer", minimum: 0, maximum: 3_153_600_000, description: "or: seconds from now (at most 100 years)" },
    freezeReason: { type: "string", enum: ["legal_hold", "retention", "other"] },
    note: { type: "string" },
  },
} as const;

export const retentionSweepBody = {
  type: "object",
  required: ["olderThanDays"],
  additionalProperties: false,
  properties: {
    olderThanDays: { type: "number", exclusiveMinimum: 0, maximum: 36_500, description: "archive activated units unchanged for this many days" },
    at: { ...isoTime, description: "ISO-8601 time with a time zone when the sweep runs (default: now)" },
    afterSeconds: { type: "integer", minimum: 0, maximum: 3_153_600_000, description: "or: seconds from now" },
  },
} as const;
