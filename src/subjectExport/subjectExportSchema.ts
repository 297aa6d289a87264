import { maxExportPageSize, subjectExportFormatVersion } from "./subjectExportDocument.js";
import { erasureCertificateSchema } from "../erasure/erasureCertificateSchema.js";

/**
 * The JSON Schema of a subject access export (SubjectExportDocument): the
 * REST response schema and the format a receiving controller can validate
 * (GDPR art. 20). Objects stay open (`additionalProperties: true`) so a field
 * added in a later minor change is carried, not dropped, by the serializer.
 */
const open = (properties: Record<string, object>, required: readonly string[] = []) =>
  ({ type: "object", additionalProperties: true, properties, ...(required.length > 0 ? { required } : {}) }) as const;
const string = { type: "string" } as const;
const integer = { type: "integer" } as const;
const strings = { type: "array", items: string } as const;
const content = { type: ["object", "null"], additionalProperties: true, description: "the content, decrypted: text, key, tags, sources, userId, agentId, sessionId, metadata; null once erased" } as const;
const attributes = open({ memoryType: string, confidence: { type: "number" }, visibility: string, eventTime: string });
const source = open({ kind: string, ref: string, at: string, note: string });

const version = open(
  { revision: integer, version: integer, type: string, recordedAt: string, actor: string, onBehalfOf: string, reason: string, content, attributes },
  ["revision", "version", "type", "recordedAt", "actor", "content"],
);

const memory = open(
  {
    memoryId: string,
    cubeId: string,
    status: string,
    revision: integer,
    version: integer,
    content,
    attributes,
    sources: { type: "array", items: source },
    createdAt: string,
    createdBy: string,
    updatedAt: string,
    updatedBy: string,
    successorId: string,
    versions: { type: "array", items: version },
    redactions: {
      type: "array",
      description: "what ingest redaction masked, per write, with the clear original when the cube kept it sealed",
      items: open({ operation: string, revision: integer, recordedAt: string, actor: string, kinds: open({}), fields: strings, keepOriginal: string, originalState: string, original: { type: ["object", "null"], additionalProperties: true } }),
    },
    erasureCertificateEventId: { type: "string", description: "the certificate (in certificates[]) of the subject erasure that erased this unit" },
  },
  ["memoryId", "cubeId", "status", "content", "versions"],
);

const read = open(
  { seq: integer, at: string, tenantId: string, principalId: string, onBehalfOf: string, action: string, queryFingerprint: string, cubeIds: strings, memoryIds: strings, requestId: string },
  ["seq", "at", "principalId", "action", "memoryIds"],
);

const change = open(
  {
    memoryId: string,
    revision: integer,
    position: integer,
    eventId: string,
    type: string,
    recordedAt: string,
    actor: string,
    onBehalfOf: string,
    reason: string,
    correlationId: string,
    causationId: string,
    commandId: string,
    statusAfter: string,
    versionAfter: integer,
    changedFields: strings,
    revertedTo: integer,
    successorId: string,
  },
  ["memoryId", "revision", "type", "recordedAt", "actor"],
);

const certificate = erasureCertificateSchema;

export const subjectExportJsonSchema = {
  ...open(
    {
      formatVersion: { type: "integer", enum: [subjectExportFormatVersion] },
      generatedAt: string,
      tenant: string,
      subjectId: string,
      requestedBy: string,
      selection: { type: "string", description: "which units count as the subject's" },
      page: open({ limit: integer, after: string, nextCursor: { type: "string", description: "give as ?after= for the next page; absent on the last" }, totalMemories: integer }, ["limit", "totalMemories"]),
      memories: { type: "array", items: memory },
      reads: { type: "array", items: read },
      changes: { type: "array", items: change },
      certificates: { type: "array", items: certificate },
    },
    ["formatVersion", "generatedAt", "tenant", "subjectId", "requestedBy", "page", "memories", "reads", "changes", "certificates"],
  ),
  title: "memledger subject access export",
} as const;

export const subjectExportQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    format: { type: "string", enum: ["json", "summary"], default: "json", description: "json (the portable document) or summary (text/markdown for people)" },
    after: { type: "string", minLength: 1, maxLength: 200, description: "the nextCursor of the previous page" },
    limit: { type: "integer", minimum: 1, maximum: maxExportPageSize, description: "units per page (default 100)" },
  },
} as const;
