import { builtInMemoryTypes } from "../../domain/memory/memoryContent.js";
import { defaultRetrieverWeights, defaultRrfK, searchLimits } from "../search/normalizeSearchRequest.js";
import { searchModes } from "../search/searchRequest.js";
import { isoTime, memoryStatuses as statuses, memoryViewSchema } from "./schemas.js";

const filtersSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    statuses: { anyOf: [{ type: "string", enum: ["any"] }, { type: "array", maxItems: searchLimits.statuses, items: { type: "string", enum: [...statuses] } }] },
    memoryTypes: { type: "array", maxItems: searchLimits.memoryTypes, items: { type: "string", maxLength: searchLimits.valueLength, description: `${builtInMemoryTypes.join(", ")} or custom:<name>` } },
    tags: { type: "array", maxItems: searchLimits.tags, items: { type: "string", maxLength: searchLimits.valueLength }, description: "matches units carrying at least one of these tags" },
    userId: { type: "string", maxLength: searchLimits.valueLength },
    agentId: { type: "string", maxLength: searchLimits.valueLength },
    eventTimeFrom: isoTime,
    eventTimeTo: isoTime,
    createdFrom: isoTime,
    createdTo: isoTime,
    metadata: {
      type: "object",
      description: "exact matches on flat metadata fields",
      maxProperties: searchLimits.metadataFields,
      additionalProperties: { type: ["string", "number", "boolean", "null"], maxLength: searchLimits.valueLength },
    },
  },
} as const;

export const searchBody = {
  type: "object",
  additionalProperties: false,
  required: ["query", "cubeIds"],
  properties: {
    query: { type: "string", minLength: 1, maxLength: 4_000 },
    cubeIds: { type: "array", minItems: 1, maxItems: searchLimits.cubeIds, items: { type: "string", minLength: 1, maxLength: searchLimits.valueLength } },
    topK: { type: "integer", minimum: 1, maximum: 100 },
    mode: { type: "string", enum: [...searchModes] },
    filters: filtersSchema,
    includeArchived: { type: "boolean" },
    asOf: {
      type: "object",
      description: "search the memory as it was at a global log position or a recorded time",
      anyOf: [
        { type: "object", additionalProperties: false, required: ["position"], properties: { position: { type: "integer", minimum: 0 } } },
        { type: "object", additionalProperties: false, required: ["time"], properties: { time: isoTime } },
      ],
    },
    minScore: { type: "number" },
    mmrLambda: { type: "number", minimum: 0, maximum: 1 },
    graphHops: { type: "integer", minimum: 0, maximum: 4 },
    weights: {
      type: "object",
      additionalProperties: false,
      description: `weight of each retriever's votes in the fusion (defaults ${JSON.stringify(defaultRetrieverWeights)}); 0 leaves a retriever out`,
      properties: { vector: { type: "number", minimum: 0 }, bm25: { type: "number", minimum: 0 }, graph: { type: "number", minimum: 0 } },
    },
    rrfK: { type: "number", minimum: 1, maximum: 1_000, description: `RRF's rank constant: smaller values reward the top ranks more (default ${defaultRrfK})` },
    rerank: { type: "boolean" },
    time: {
      type: "object",
      additionalProperties: false,
      description: 'what a time expression in the query ("last May", "in 2022") does: "boost" (default) gives units whose eventTime falls in the range an extra fusion vote, "filter" searches only them, "off" reads the query as words',
      properties: {
        use: { type: "string", enum: ["boost", "filter", "off"] },
        now: { ...isoTime, description: "what relative expressions are relative to (default the asOf time, else the server's clock)" },
        keepExpression: { type: "boolean", description: "keep the expression's words in the BM25 query (default false)" },
        weight: { type: "number", minimum: 0, description: "weight of the boost's fusion vote (default 1)" },
      },
    },
  },
} as const;

const rankedPart = (score: string) => ({ type: "object", properties: { rank: { type: "integer" }, [score]: { type: "number" } } }) as const;

export const searchResponseSchema = {
  type: "object",
  properties: {
    mode: { type: "string" },
    asOf: { type: "object", additionalProperties: true },
    behind: { type: "integer", description: "events a read model had not folded yet when the search ran (absent when caught up)" },
    time: {
      type: "object",
      description: "the time expression found in the query and the event-time range it was resolved to (absent when none)",
      properties: { expression: { type: "string" }, from: { type: "string" }, to: { type: "string" }, use: { type: "string", enum: ["boost", "filter"] } },
    },
    rerank: {
      type: "object",
      description: "set when a reranker ran: which, on how many of the fused candidates, and how long it took in milliseconds (also when it failed: see degraded)",
      properties: { reranker: { type: "string" }, candidates: { type: "integer" }, ms: { type: "number" } },
    },
    degraded: {
      type: "array",
      description: "retrievers left out because their read model's engine failed (or the reranker, whose failure keeps the fused order), with why",
      items: { type: "object", properties: { readModel: { type: "string" }, error: { type: "string" } } },
    },
    results: {
      type: "array",
      items: {
        type: "object",
        properties: {
          memory: memoryViewSchema,
          version: { type: "integer" },
          score: { type: "number" },
          why: {
            type: "object",
            properties: {
              vector: rankedPart("similarity"),
              bm25: rankedPart("score"),
              graph: { type: "object", properties: { rank: { type: "integer" }, score: { type: "number" }, via: { type: "array", items: { type: "string" } } } },
              fused: { type: "number" },
              rerank: { type: "number" },
            },
          },
        },
      },
    },
  },
} as const;

export const readModelLagSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    checkpoint: { type: "integer" },
    head: { type: "integer" },
    behind: { type: "integer" },
    rebuilding: { type: "boolean" },
    lastError: { type: "string" },
    damaged: { type: "string", description: "why the live generation was found damaged; it serves nothing until the rebuild replaces it" },
    rebuild: {
      type: "object",
      description: "the new generation's progress while rebuilding",
      properties: { eventsFolded: { type: "integer" }, eventsToFold: { type: "integer" }, startedAt: { type: "string", format: "date-time" } },
    },
    indexPending: {
      type: "integer",
      description: "vector points folded and searchable but not yet in the HNSW graph (searched by an exact scan meanwhile); absent when none",
    },
  },
} as const;
