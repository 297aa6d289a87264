/** Query, body and answer schemas of the interchange routes (src/server/routes/cubeInterchangeRoutes.ts). */
const flag = { type: "boolean" } as const;

export const cubeExportQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    currentState: { ...flag, description: "only the units as they are now, no history (for another engine or model)" },
    includeGrants: { ...flag, description: "add the cube's grants (for the record; an import does not apply them)" },
    flat: { ...flag, description: "flat JSONL { id, text, metadata, created_at, updated_at, tags, memory_type, user_id } of the live units, for other tools" },
  },
} as const;

export const cubeImportQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    format: { type: "string", enum: ["memledger", "mem0", "jsonl"], default: "memledger", description: "memledger-cube/1 (default), a mem0 export, or a plain JSONL of { text, metadata, created_at }" },
    onConflict: { type: "string", enum: ["fail", "remap"], description: "a cube or memory id of the file taken here by something else: fail (409, default) or give it a new id (reported)" },
    cubeId: { type: "string", minLength: 1, maxLength: 200, description: "mem0/jsonl: an existing cube to add to (default: a new cube)" },
    name: { type: "string", minLength: 1, maxLength: 200, description: "mem0/jsonl: the new cube's name" },
  },
} as const;

export const ndjsonBody = {
  content: {
    "application/x-ndjson": { schema: { type: "string", description: "one JSON record per line, streamed (a mem0 export may also be one JSON document)" } },
    "application/json": { schema: { type: ["array", "object"], description: "the same records as one array; for format=mem0, its export document ({ results: [...] }) or array" } },
  },
} as const;

const remap = { type: "object", required: ["kind", "from", "to"], properties: { kind: { type: "string", enum: ["cube", "memory"] }, from: { type: "string" }, to: { type: "string" } } } as const;

/** Either report: a memledger-cube/1 import (units, events, remaps) or a mem0/jsonl one (imported, memoryIds). */
export const cubeImportReportSchema = {
  type: "object",
  additionalProperties: true,
  required: ["cubeId"],
  properties: {
    cubeId: { type: "string" },
    format: { type: "string" },
    mode: { type: "string", enum: ["history", "currentState"] },
    sourceInstanceId: { type: "string" },
    sourceCubeId: { type: "string" },
    remapped: { type: "array", items: remap },
    units: { type: "object", additionalProperties: true, properties: { imported: { type: "integer" }, alreadyPresent: { type: "integer" }, diverged: { type: "array", items: { type: "string" } } } },
    events: { type: "object", additionalProperties: true, properties: { appended: { type: "integer" }, alreadyPresent: { type: "integer" } } },
    embedding: { type: "object", additionalProperties: true, properties: { source: { type: ["string", "null"] }, target: { type: ["string", "null"] }, reembedded: { type: "boolean" } } },
    grantsInFile: { type: "integer" },
    cubeCreated: { type: "boolean" },
    imported: { type: "integer" },
    alreadyPresent: { type: "integer" },
    memoryIds: { type: "array", items: { type: "string" } },
  },
} as const;
