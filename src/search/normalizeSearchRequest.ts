import { builtInMemoryTypes } from "../../domain/memory/memoryContent.js";
import { isoInstantRule, parseIsoInstant } from "../../domain/time/isoInstant.js";
import type { MemoryStatus } from "../../domain/memory/memoryEvents.js";
import { defaultRetrievableStatuses, memoryFilterLimits } from "../readModels/memoryView/memoryFilterSql.js";
import type { PlannedSearch } from "./hybridSearch.js";
import { InvalidSearch, SearchModeUnavailable } from "./searchErrors.js";
import { searchModes, searchTimeUses, type SearchRequest } from "./searchRequest.js";
import { resolveQueryTimeRange } from "../timeAwareSearch/queryTimeRange.js";

const maxTopK = 100;

/** How much one search may ask for (each item becomes SQL); the REST schema states the same limits (src/server/searchSchemas.ts). */
export const searchLimits = memoryFilterLimits;

/**
 * Default fusion weights. BM25 leads because, with the small local embedding
 * model, it is the stronger retriever on conversational memory (LoCoMo dev:
 * see docs/benchmarks.md); the vector list adds paraphrase matches and the
 * graph list only breaks ties. Tuned on the dev set; callers can override, and
 * a model's manifest may set its own vector weight (searchVectorWeight: a
 * stronger model earns a larger share).
 */
export const defaultRrfK = 10;

export const defaultRetrieverWeights = { vector: 0.5, bm25: 1, graph: 0.1 } as const;
const statuses: readonly MemoryStatus[] = ["generated", "activated", "merged", "archived", "frozen", "erased"];

/** Checks a search request and fills in defaults; every error names the field and what to send instead. */
export function normalizeSearchRequest(
  request: SearchRequest,
  capabilities: {
    readonly vector: boolean;
    readonly reranker: boolean;
    /** The embedding model's own vector weight (its manifest's searchVectorWeight), used when the request sets none. */
    readonly defaultVectorWeight?: number;
  },
  /** The clock's time: what "last May" is relative to when neither `time.now` nor an as-of time is given. */
  clockNow: Date = new Date(),
): PlannedSearch | InvalidSearch | SearchModeUnavailable {
  const invalid = (field: string, message: string) => new InvalidSearch({ field, message: `${field}: ${message}` });
  if (typeof request.query !== "string" || request.query.trim() === "") return invalid("query", "give the text to search for");
  if (!Array.isArray(request.cubeIds) || request.cubeIds.length === 0 || request.cubeIds.some((c) => typeof c !== "string" || c === "")) {
    return invalid("cubeIds", "give at least one cube id to search");
  }
  if (request.cubeIds.length > searchLimits.cubeIds) return invalid("cubeIds", `at most ${searchLimits.cubeIds} cubes per search (got ${request.cubeIds.length}); search fewer cubes at a time`);
  const topK = request.topK ?? 10;
  if (!Number.isInteger(topK) || topK < 1 || topK > maxTopK) return invalid("topK", `must be an integer from 1 to ${maxTopK}`);
  // Hybrid needs no model: without an embedder it fuses BM25 with graph expansion seeded from the BM25 hits.
  const mode = request.mode ?? "hybrid";
  if (!searchModes.includes(mode)) return invalid("mode", `must be one of ${searchModes.join(", ")}`);
  if (mode === "vector" && !capabilities.vector) {
    return new SearchModeUnavailable({
      mode,
      message: `${mode} search needs an embedder and none is configured; set MEMLEDGER_EMBEDDER (see docs/embeddings.md) or search with mode "hybrid" (BM25 + graph) or "bm25"`,
    });
  }
  const filters = request.filters ?? {};
  const tooBig = filterSizeProblem(filters);
  if (tooBig !== undefined) return invalid(tooBig.field, tooBig.problem);
  const requested = filters.statuses;
  if (requested !== undefined && requested !== "any" && (!Array.isArray(requested) || requested.some((s) => !statuses.includes(s)))) {
    return invalid("filters.statuses", `must be "any" or a list of ${statuses.join(", ")}`);
  }
  for (const t of filters.memoryTypes ?? []) {
    if (!(builtInMemoryTypes as readonly string[]).includes(t) && !t.startsWith("custom:")) return invalid("filters.memoryTypes", `unknown type ${t}; use ${builtInMemoryTypes.join(", ")} or custom:<name>`);
  }
  for (const field of ["eventTimeFrom", "eventTimeTo", "createdFrom", "createdTo"] as const) {
    const value = filters[field];
    if (value !== undefined && parseIsoInstant(value) === undefined) return invalid(`filters.${field}`, `must be ${isoInstantRule}`);
  }
  const base = requested ?? defaultRetrievableStatuses;
  const withArchived = request.includeArchived && base !== "any" && !base.includes("archived") ? [...base, "archived" as const] : base;
  if (request.asOf !== undefined) {
    const asOf = request.asOf as { position?: unknown; time?: unknown };
    const validPosition = typeof asOf.position === "number" && Number.isInteger(asOf.position) && asOf.position >= 0;
    const validTime = parseIsoInstant(asOf.time) !== undefined;
    if (!validPosition && !validTime) return invalid("asOf", `give { position: <global position> } or { time: <${isoInstantRule}> }`);
  }
  const mmrLambda = request.mmrLambda ?? 0.9;
  if (typeof mmrLambda !== "number" || mmrLambda < 0 || mmrLambda > 1) return invalid("mmrLambda", "must be a number from 0 to 1");
  const graphHops = request.graphHops ?? 2;
  if (!Number.isInteger(graphHops) || graphHops < 0 || graphHops > 4) return invalid("graphHops", "must be an integer from 0 to 4");
  const weights = { ...defaultRetrieverWeights, vector: capabilities.defaultVectorWeight ?? defaultRetrieverWeights.vector, ...(request.weights ?? {}) };
  for (const [name, weight] of Object.entries(weights)) {
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) return invalid(`weights.${name}`, "must be a number of at least 0");
  }
  const rrfK = request.rrfK ?? defaultRrfK;
  if (typeof rrfK !== "number" || !Number.isFinite(rrfK) || rrfK < 1 || rrfK > 1_000) return invalid("rrfK", "must be a number from 1 to 1000");
  if (request.minScore !== undefined && typeof request.minScore !== "number") return invalid("minScore", "must be a number");
  const timeOptions = request.time ?? {};
  const use = timeOptions.use ?? "boost";
  if (!searchTimeUses.includes(use)) return invalid("time.use", `must be one of ${searchTimeUses.join(", ")}`);
  if (timeOptions.now !== undefined && parseIsoInstant(timeOptions.now) === undefined) return invalid("time.now", `must be ${isoInstantRule}`);
  const timeWeight = timeOptions.weight ?? 1;
  if (typeof timeWeight !== "number" || !Number.isFinite(timeWeight) || timeWeight < 0) return invalid("time.weight", "must be a number of at least 0");
  const asOfTime = request.asOf !== undefined && "time" in request.asOf ? parseIsoInstant(request.asOf.time) : undefined;
  const reference = new Date(parseIsoInstant(timeOptions.now) ?? asOfTime ?? clockNow.toISOString());
  const range = use === "off" ? undefined : resolveQueryTimeRange(request.query, reference);
  const timeFilter =
    range && use === "filter"
      ? {
          eventTimeFrom: filters.eventTimeFrom !== undefined && parseIsoInstant(filters.eventTimeFrom)! > range.from ? parseIsoInstant(filters.eventTimeFrom)! : range.from,
          eventTimeTo: filters.eventTimeTo !== undefined && parseIsoInstant(filters.eventTimeTo)! < range.to ? parseIsoInstant(filters.eventTimeTo)! : range.to,
        }
      : {};
  const lexicalQuery = range && !timeOptions.keepExpression && range.queryWithout !== request.query ? range.queryWithout : undefined;
  return {
    ...(lexicalQuery !== undefined ? { lexicalQuery } : {}),
    ...(range ? { time: { expression: range.expression, from: range.from, to: range.to, use: use as "boost" | "filter", weight: timeWeight } } : {}),
    query: request.query,
    cubeIds: [...new Set(request.cubeIds)],
    topK,
    mode,
    filters: { ...filters, ...canonicalTimes(filters), ...timeFilter, statuses: withArchived },
    ...(request.asOf !== undefined ? { asOf: "position" in request.asOf ? { position: request.asOf.position } : { time: parseIsoInstant(request.asOf.time)! } } : {}),
    ...(request.minScore !== undefined ? { minScore: request.minScore } : {}),
    mmrLambda,
    graphHops,
    rerank: (request.rerank ?? true) && capabilities.reranker,
    weights,
    rrfK,
  };
}

type Filters = NonNullable<SearchRequest["filters"]>;

/** The first filter list or value over its limit: every item becomes SQL, and SQLite bounds an expression's size. */
function filterSizeProblem(filters: Filters): { field: string; problem: string } | undefined {
  const lists = [
    ["statuses", Array.isArray(filters.statuses) ? filters.statuses : [], searchLimits.statuses],
    ["memoryTypes", filters.memoryTypes ?? [], searchLimits.memoryTypes],
    ["tags", filters.tags ?? [], searchLimits.tags],
    ["metadata", Object.keys(filters.metadata ?? {}), searchLimits.metadataFields],
  ] as const;
  for (const [name, values, limit] of lists) {
    if (values.length > limit) return { field: `filters.${name}`, problem: `at most ${limit} per search (got ${values.length}); narrow the filter or search in several steps` };
  }
  const texts = [...(filters.memoryTypes ?? []), ...(filters.tags ?? []), filters.userId, filters.agentId, ...Object.entries(filters.metadata ?? {}).flat()];
  if (texts.some((t) => typeof t === "string" && t.length > searchLimits.valueLength)) return { field: "filters", problem: `a filter value or field name is longer than ${searchLimits.valueLength} characters` };
  return undefined;
}

/** Time bounds in UTC, so they compare as text with the stored times. */
function canonicalTimes(filters: Filters): Partial<Filters> {
  const out: Record<string, string> = {};
  for (const field of ["eventTimeFrom", "eventTimeTo", "createdFrom", "createdTo"] as const) {
    const value = filters[field];
    if (value !== undefined) out[field] = parseIsoInstant(value)!;
  }
  return out;
}
