import type { FastifyInstance } from "fastify";
import { keepOriginalModes, redactionKinds } from "../../../domain/redaction/redactionSettings.js";
import { requestOptions } from "../requestContext.js";
import { idParam } from "../schemas.js";
import type { RedactionSettingsInput } from "../../redaction/redactionLedgerApi.js";

const kindsSchema = { type: "array", items: { type: "string", enum: [...redactionKinds] }, uniqueItems: true } as const;
const countsSchema = { type: "object", properties: Object.fromEntries(redactionKinds.map((k) => [k, { type: "integer" }])), additionalProperties: false } as const;

const settingsBody = {
  type: "object",
  required: ["enabled"],
  additionalProperties: false,
  properties: {
    enabled: { type: "boolean" },
    keepOriginal: { type: "string", enum: [...keepOriginalModes], description: "drop: the clear original never enters the log; sealed: kept encrypted with the unit's data key, readable with memory.readUnredacted" },
    kinds: { ...kindsSchema, description: "what to mask; all kinds when omitted" },
    metadata: { type: "boolean", description: "also mask string values of the unit's metadata" },
  },
} as const;

const settingsSchema = {
  type: "object",
  required: ["cubeId", "enabled", "keepOriginal", "kinds", "metadata"],
  properties: { cubeId: { type: "string" }, ...settingsBody.properties, configuredAt: { type: "string" }, configuredBy: { type: "string" } },
} as const;

const recordProperties = {
  memoryId: { type: "string" },
  operation: { type: "string", enum: ["create", "edit"] },
  revision: { type: "integer" },
  recordedAt: { type: "string" },
  actor: { type: "string" },
  kinds: countsSchema,
  fields: { type: "array", items: { type: "string" } },
  keepOriginal: { type: "string", enum: [...keepOriginalModes] },
} as const;

const recordsSchema = { type: "object", required: ["memoryId", "records"], properties: { memoryId: { type: "string" }, records: { type: "array", items: { type: "object", properties: recordProperties } } } } as const;

const originalsSchema = {
  type: "object",
  required: ["memoryId", "records"],
  properties: {
    memoryId: { type: "string" },
    records: {
      type: "array",
      items: {
        type: "object",
        properties: {
          ...recordProperties,
          originalState: { type: "string", enum: ["dropped", "sealed", "shredded"] },
          original: { type: ["object", "null"], properties: { text: { type: "string" }, key: { type: "string" }, metadata: { type: "object", additionalProperties: { type: "string" } } } },
        },
      },
    },
  },
} as const;

type CubeParams = { Params: { cubeId: string } };
type MemoryParams = { Params: { memoryId: string } };

/** Per-cube redaction of personal data at ingest (docs/compliance.md#redaction). */
export function redactionRoutes(app: FastifyInstance): void {
  app.put<CubeParams & { Body: RedactionSettingsInput }>(
    "/cubes/:cubeId/redaction",
    { schema: { tags: ["cubes"], summary: "Set the cube's redaction: which personal data is masked at ingest and whether originals are dropped or sealed (cube admin)", params: idParam("cubeId"), body: settingsBody, response: { 200: settingsSchema } } },
    async (request) => request.ledger.redaction.configure(request.params.cubeId, request.body, requestOptions(request)),
  );
  app.get<CubeParams>(
    "/cubes/:cubeId/redaction",
    { schema: { tags: ["cubes"], summary: "The cube's redaction setting (off when never set)", params: idParam("cubeId"), response: { 200: settingsSchema } } },
    async (request) => request.ledger.redaction.settings(request.params.cubeId),
  );
  app.get<MemoryParams>(
    "/memories/:memoryId/redaction",
    { schema: { tags: ["memories"], summary: "What was masked in the unit: kinds and counts per write, never the values", params: idParam("memoryId"), response: { 200: recordsSchema } } },
    async (request) => ({ memoryId: request.params.memoryId, records: await request.ledger.redaction.explain(request.params.memoryId) }),
  );
  app.get<MemoryParams>(
    "/memories/:memoryId/unredacted",
    { schema: { tags: ["memories"], summary: "The sealed clear originals of masked fields (memory.readUnredacted: data protection officer, tenant admin); audited", params: idParam("memoryId"), response: { 200: originalsSchema } } },
    async (request) => ({ memoryId: request.params.memoryId, records: await request.ledger.redaction.originals(request.params.memoryId) }),
  );
}
