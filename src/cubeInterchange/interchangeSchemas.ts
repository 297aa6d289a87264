import { Ajv } from "ajv";
import { interchangeFormat, type RecordKind } from "./interchangeRecords.js";

/**
 * A JSON Schema of each record kind of `memledger-cube/1` (docs/interchange.md).
 * The importer validates every record against its kind's schema before it
 * trusts a field, so a file from another tool fails with the field named.
 */
const hashed = { seq: { type: "integer", minimum: 0 }, sha256: { type: "string", pattern: "^[0-9a-f]{64}$" } } as const;
const str = { type: "string", minLength: 1 } as const;
const instant = { type: "string", minLength: 1 } as const;

const metadata = {
  type: "object",
  required: ["tenantId", "actor", "correlationId", "recordedAt"],
  properties: {
    tenantId: str,
    actor: str,
    onBehalfOf: str,
    reason: { type: "string" },
    correlationId: str,
    causationId: str,
    commandId: str,
    subjectId: str,
    recordedAt: instant,
    automation: { type: "object", required: ["component"], properties: { component: str, model: str, prompt: str, jobId: str } },
  },
} as const;

const exportedEvent = {
  type: "object",
  required: ["eventId", "type", "schemaVersion", "revision", "position", "data", "metadata"],
  properties: {
    eventId: str,
    type: { type: "string", pattern: "^Memory[A-Za-z]+$" },
    schemaVersion: { type: "integer", minimum: 1 },
    revision: { type: "integer", minimum: 0 },
    position: { type: "integer", minimum: 0 },
    data: { type: "object", required: ["memoryId"], properties: { memoryId: str } },
    metadata,
  },
} as const;

const content = {
  type: ["object", "null"],
  required: ["text", "tags", "sources", "metadata"],
  properties: { text: { type: "string" }, tags: { type: "array", items: { type: "string" } }, sources: { type: "array" }, metadata: { type: "object" } },
} as const;

const attributes = {
  type: "object",
  required: ["memoryType", "confidence", "visibility"],
  properties: { memoryType: str, confidence: { type: "number" }, visibility: { enum: ["private", "session", "cube", "tenant", "public"] }, eventTime: str },
} as const;

export const interchangeRecordSchemas: Readonly<Record<RecordKind, object>> = {
  manifest: {
    $id: "memledger-cube/1/manifest",
    type: "object",
    required: ["kind", "format", "sourceInstanceId", "exportedAt", "exportedBy", "cubeId", "options", "embeddingModel", "seq", "sha256"],
    properties: {
      kind: { const: "manifest" },
      format: { const: interchangeFormat },
      sourceInstanceId: str,
      exportedAt: instant,
      exportedBy: str,
      cubeId: str,
      options: { type: "object", required: ["currentState", "includeGrants"], properties: { currentState: { type: "boolean" }, includeGrants: { type: "boolean" } } },
      embeddingModel: { type: ["string", "null"] },
      ...hashed,
    },
  },
  cube: {
    $id: "memledger-cube/1/cube",
    type: "object",
    required: ["kind", "cubeId", "name", "owner", "createdAt", "createdBy", "seq", "sha256"],
    properties: {
      kind: { const: "cube" },
      cubeId: str,
      name: str,
      owner: { type: "object", required: ["kind", "id"], properties: { kind: { enum: ["user", "agent", "session", "project"] }, id: str } },
      description: { type: "string" },
      branchedFrom: { type: "object", required: ["cubeId", "asOf"], properties: { cubeId: str, asOf: instant } },
      createdAt: instant,
      createdBy: str,
      ...hashed,
    },
  },
  unit: {
    $id: "memledger-cube/1/unit",
    type: "object",
    required: ["kind", "memoryId", "erased", "events", "seq", "sha256"],
    properties: { kind: { const: "unit" }, memoryId: str, erased: { type: "boolean" }, events: { type: "array", minItems: 1, items: exportedEvent }, ...hashed },
  },
  unitState: {
    $id: "memledger-cube/1/unitState",
    type: "object",
    required: ["kind", "memoryId", "status", "content", "attributes", "revision", "createdAt", "createdBy", "updatedAt", "updatedBy", "seq", "sha256"],
    properties: {
      kind: { const: "unitState" },
      memoryId: str,
      status: { enum: ["generated", "activated", "merged", "archived", "frozen", "erased"] },
      content,
      attributes,
      successorId: str,
      subjectId: str,
      revision: { type: "integer", minimum: 0 },
      createdAt: instant,
      createdBy: str,
      updatedAt: instant,
      updatedBy: str,
      ...hashed,
    },
  },
  grant: {
    $id: "memledger-cube/1/grant",
    type: "object",
    required: ["kind", "grant", "seq", "sha256"],
    properties: {
      kind: { const: "grant" },
      grant: { type: "object", required: ["grantee", "permission"], properties: { grantee: { type: "object", required: ["kind", "id"] }, permission: { enum: ["read", "write", "admin"] } } },
      ...hashed,
    },
  },
  trailer: {
    $id: "memledger-cube/1/trailer",
    type: "object",
    required: ["kind", "records", "units", "events", "digest", "seq", "sha256"],
    properties: {
      kind: { const: "trailer" },
      records: { type: "integer", minimum: 0 },
      units: { type: "integer", minimum: 0 },
      events: { type: "integer", minimum: 0 },
      digest: { type: "string", pattern: "^[0-9a-f]{64}$" },
      ...hashed,
    },
  },
};

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = Object.fromEntries(Object.entries(interchangeRecordSchemas).map(([kind, schema]) => [kind, ajv.compile(schema)]));

/** Undefined when the record fits its kind's schema; otherwise the first problem, with its field. */
export function recordProblem(record: unknown): string | undefined {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return "is not a JSON object";
  const kind = (record as { kind?: unknown }).kind;
  const validate = typeof kind === "string" ? validators[kind] : undefined;
  if (validate === undefined) return `has kind ${JSON.stringify(kind)}, not one of ${Object.keys(interchangeRecordSchemas).join(", ")}`;
  if (validate(record)) return undefined;
  const first = validate.errors?.[0];
  return `is not a valid ${kind} record: ${first?.instancePath || "(record)"} ${first?.message ?? "is invalid"}`;
}
