/** JSON Schemas of the hot-plug, transfer and fan-out routes (src/cube/, src/cubeTransfer/). */
import { addMemoriesBody, jobSchema } from "./jobSchemas.js";
import { cubeViewSchema, memoryViewSchema } from "./schemas.js";
import { maxFanOutCubes } from "../cubeTransfer/fanOutAdd.js";

const cubeId = { type: "string", minLength: 1, maxLength: 128 } as const;

export const updateCubeBody = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: { type: "string", minLength: 1, maxLength: 500, description: "The cube's new name" },
    description: { type: ["string", "null"], maxLength: 5000, description: "The new description; null clears it" },
  },
} as const;

export const emptyBody = { type: "object", additionalProperties: false, properties: {} } as const;

export const listCubesQuery = {
  type: "object",
  additionalProperties: false,
  properties: { includeRemoved: { type: "boolean", default: false, description: "List removed cubes too (each with `removed: { at, by }`)" } },
} as const;

export const transferBody = {
  type: "object",
  required: ["targetCubeId", "mode"],
  additionalProperties: false,
  properties: {
    targetCubeId: cubeId,
    mode: { type: "string", enum: ["copy", "move"], description: "copy: a new unit in the target with copiedFrom; move: the copy, then the source archived with movedTo" },
  },
} as const;

export const transferReportSchema = {
  type: "object",
  additionalProperties: true,
  properties: { mode: { type: "string", enum: ["copy", "move"] }, source: memoryViewSchema, copy: memoryViewSchema },
} as const;

export const fanOutBody = {
  ...addMemoriesBody,
  required: ["cubeIds", "memories"],
  properties: {
    ...addMemoriesBody.properties,
    cubeIds: { type: "array", minItems: 1, maxItems: maxFanOutCubes, items: cubeId, description: "The cubes each memory is added to; duplicates are written once" },
  },
} as const;

const addResult = {
  type: "object",
  additionalProperties: true,
  properties: { mode: { type: "string" }, memories: { type: "array", items: memoryViewSchema }, memoryIds: { type: "array", items: { type: "string" } }, job: jobSchema },
} as const;

export const fanOutReportSchema = {
  type: "object",
  additionalProperties: true,
  properties: {
    results: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: true,
        properties: {
          cubeId: { type: "string" },
          memoryIds: { type: "array", items: { type: "string" } },
          result: addResult,
          error: { type: "object", additionalProperties: true, properties: { error: { type: "string" }, message: { type: "string" } } },
        },
      },
    },
    succeeded: { type: "integer" },
    failed: { type: "integer" },
  },
} as const;

export { cubeViewSchema };
