import type { LogMoment } from "../../projections/projectionEvent.js";
import { searchableText } from "../../projections/memoryIntervals.js";
import type { Embedder } from "../embedding/embedderPort.js";
import type { GraphReadModel } from "../readModels/graph/graphReadModel.js";
import type { LexicalStore } from "../readModels/lexical/sqliteLexicalStore.js";
import type { MemoryFilters } from "../readModels/memoryView/memoryFilterSql.js";
import type { MemoryViewRow, MemoryViewStore } from "../readModels/memoryView/sqliteMemoryViewStore.js";
import type { VectorReadModel } from "../readModels/vector/vectorReadModel.js";
import { maximalMarginalRelevance } from "./maximalMarginalRelevance.js";
import { reciprocalRankFusion, type RankedList } from "./rankFusion.js";
import { searchRowReader, type SearchRowReader } from "./searchRowReader.js";
import { filterPlanner, type FilterPlanTuning } from "./filterPlan.js";
import { lexicalCandidates, postFilterLexicalCandidates, postFilterVectorCandidates, startLexicalFirstFetch, vectorCandidates } from "./filteredCandidates.js";
import type { Reranker } from "../reranking/rerankerPort.js";
import { rerankFusedTop, type RerankCost } from "../reranking/rerankFusedTop.js";
import { ReadModelEngineUnavailable } from "./searchErrors.js";
import type { ResolvedSearchTime, ScoreParts, SearchHit, SearchMode } from "./searchRequest.js";
import { eventTimeWithin } from "../timeAwareSearch/eventTimeWithin.js";

export interface SearchReadModels {
  readonly memoryView: MemoryViewStore;
  readonly lexical: LexicalStore;
  readonly graph?: GraphReadModel;
  readonly vector?: VectorReadModel;
  readonly queryEmbedder?: Embedder;
  readonly reranker?: Reranker;
  /** How many of the fused candidates the reranker reads (default: the 3×k shortlist); the rest keep their fused order below. */
  readonly rerankTopN?: number;
  /** Told what each rerank cost, whether it succeeded or not. */
  readonly onReranked?: (cost: RerankCost) => void;
  /**
   * Told when the graph or vector read model failed to answer (its server is
   * down), or the reranker did: the search goes on without it instead of failing.
   */
  readonly onDegraded?: (readModel: "graph" | "vector" | "reranker", error: unknown) => void;
  /**
   * "planned" (the default): the matching set's size picks exact ranking, an allow-list pushed into
   * the ANN walk and BM25, or post-filtering (filterPlan.ts). "postFilter": the strategy before
   * issue 17 (over-fetch, filter, count only when short), kept as the same-run baseline of
   * bench/filteredSearchBench.ts and the equivalence test.
   */
  readonly filterStrategy?: "planned" | "postFilter";
  /** The planner's thresholds (filterPlan.ts); tests shrink them to reach every plan on a small corpus. */
  readonly filterPlanTuning?: Partial<FilterPlanTuning>;
}

/** A validated request (see normalizeSearchRequest). */
export interface PlannedSearch {
  readonly query: string;
  readonly cubeIds: readonly string[];
  readonly topK: number;
  readonly mode: SearchMode;
  readonly filters: Omit<MemoryFilters, "cubeIds">;
  readonly asOf?: LogMoment;
  readonly minScore?: number;
  readonly mmrLambda: number;
  readonly graphHops: number;
  readonly rerank: boolean;
  readonly weights: RetrieverWeights;
  /** RRF's rank constant k. */
  readonly rrfK: number;
  /** The BM25 query when it differs from `query` (a time expression taken out). */
  readonly lexicalQuery?: string;
  /** A time range the query named (src/timeAwareSearch/): boosted here; as a filter it is already in `filters`. */
  readonly time?: ResolvedSearchTime & { readonly weight: number };
}

/** How much each retriever's RRF votes count. */
export interface RetrieverWeights {
  readonly vector: number;
  readonly bm25: number;
  readonly graph: number;
}

/** Hub entities (a speaker named in every turn) are not expanded through. */
const graphMaxDegree = 50;
/** Seeds for graph expansion: the best few of the other retrievers. */
const graphSeeds = 5;
type Candidate = { row: MemoryViewRow; parts: { vector?: { rank: number; similarity: number }; bm25?: { rank: number; score: number }; graph?: { rank: number; score: number; via: readonly string[] } } };

/**
 * One search over one or more cubes: per cube, vector (ANN or exact), BM25 and
 * graph expansion each produce a ranked list of units valid at the moment and
 * matching the filters; the lists of every cube are fused by RRF, near-duplicates
 * pushed down by MMR, optionally reranked, then cut to top k.
 */
export async function hybridSearch(models: SearchReadModels, plan: PlannedSearch): Promise<SearchHit[]> {
  const pool = Math.max(50, plan.topK * 5);
  const embedQuery = async () => {
    assertSameVectorSpace(models.vector, models.queryEmbedder!);
    return (await models.queryEmbedder!.embed([plan.query], "query"))[0];
  };
  // Without the query's vector, hybrid search still has BM25 and the graph; vector search has nothing.
  const queryVector =
    plan.mode === "bm25" || !models.queryEmbedder ? undefined : plan.mode === "vector" ? await embedQuery() : await degradable(models, "vector", embedQuery);
  const perCube = await Promise.all(plan.cubeIds.map((cubeId) => searchCube(models, plan, { ...plan.filters, cubeIds: [cubeId] }, queryVector, pool)));

  const candidates = new Map<string, Candidate>();
  const lists: RankedList<string>[] = [];
  perCube.forEach((cube, c) => {
    for (const [name, ranked] of Object.entries(cube)) {
      lists.push({ name: `${name}#${c}`, ids: ranked.map((r) => r.row.memoryId), weight: plan.weights[name as keyof RetrieverWeights] });
      ranked.forEach((r, i) => {
        const entry = candidates.get(r.row.memoryId) ?? { row: r.row, parts: {} };
        const part = { ...r.part, rank: i + 1 };
        (entry.parts as Record<string, unknown>)[name] = part;
        candidates.set(r.row.memoryId, entry);
      });
    }
  });
  const time = plan.time;
  if (time?.use === "boost" && plan.mode === "hybrid") {
    // One more vote for the candidates the query's time range covers, in the order the retrievers agree on.
    const inRange = reciprocalRankFusion(lists, plan.rrfK).filter((f) => eventTimeWithin(candidates.get(f.id)!.row.eventTime, time));
    if (inRange.length > 0) lists.push({ name: "time", ids: inRange.map((f) => f.id), weight: time.weight });
  }
  const fused = reciprocalRankFusion(lists, plan.rrfK);
  const scoreOf = (id: string, fusedScore: number): number => {
    const parts = candidates.get(id)!.parts;
    if (plan.mode === "vector") return parts.vector?.similarity ?? 0;
    if (plan.mode === "bm25") return parts.bm25?.score ?? 0;
    return fusedScore;
  };
  const ranked = fused
    .map((f) => ({ id: f.id, score: scoreOf(f.id, f.score), fused: f.score }))
    .filter((r) => plan.minScore === undefined || r.score >= plan.minScore)
    .sort((a, b) => b.score - a.score);

  const reranking = plan.rerank && models.reranker !== undefined;
  const rerankTopN = models.rerankTopN ?? plan.topK * 3;
  const shortlist = ranked.slice(0, reranking ? Math.max(plan.topK * 3, rerankTopN) : plan.topK * 3);
  // Candidates were read without their content; the shortlist's rows are read now, before anything is awaited,
  // so a read model replaced by a rebuild while MMR or a reranker runs cannot take them away.
  for (const r of shortlist) candidates.get(r.id)!.row.readWhole();
  let order = shortlist.map((r) => r.id);
  if (plan.mmrLambda < 1 && models.vector && shortlist.length > 1) {
    const vectors = await models.vector.vectorsOf(shortlist.map((r) => candidates.get(r.id)!.row.contentPosition).filter((p): p is number => p !== null));
    order = maximalMarginalRelevance(
      shortlist.map((r) => {
        const position = candidates.get(r.id)!.row.contentPosition;
        const vector = position === null ? undefined : vectors.get(position);
        return { id: r.id, relevance: r.score, ...(vector ? { vector } : {}) };
      }),
      // MMR picks greedily, so its first topK are the same whatever it is asked for; only a reranker reads further.
      plan.rerank && models.reranker ? shortlist.length : plan.topK,
      plan.mmrLambda,
    );
  }

  let rerankScores: ReadonlyMap<string, number> = new Map();
  if (reranking && order.length > 0) {
    const textOf = (id: string) => {
      const content = candidates.get(id)!.row.view.content;
      return content ? searchableText(content) : "";
    };
    const result = await rerankFusedTop(models.reranker!, plan.query, order, textOf, rerankTopN);
    models.onReranked?.(result.cost);
    if (result.outcome === "reranked") {
      order = [...result.order];
      rerankScores = result.scores;
    } else if (models.onDegraded) {
      models.onDegraded("reranker", result.error);
    } else {
      throw result.error;
    }
  }

  const byId = new Map(ranked.map((r) => [r.id, r]));
  return order.slice(0, plan.topK).map((id) => {
    const { row, parts } = candidates.get(id)!;
    const scored = byId.get(id)!;
    const why: ScoreParts = {
      ...parts,
      ...(plan.mode === "hybrid" ? { fused: scored.fused } : {}),
      ...(rerankScores.has(id) ? { rerank: rerankScores.get(id)! } : {}),
    };
    return { memory: row.view, version: row.view.version, score: scored.score, why };
  });
}

type Ranked<P> = { row: MemoryViewRow; part: P }[];

async function searchCube(models: SearchReadModels, plan: PlannedSearch, filters: MemoryFilters, queryVector: Float32Array | undefined, pool: number) {
  const rows = searchRowReader(models.memoryView, filters, plan.asOf);
  // Counted at most once per cube, and only when a retriever needs it: both retrievers follow the same plan.
  const planner = filterPlanner(models.memoryView, filters, plan.asOf, models.vector?.size, pool, models.filterPlanTuning);
  const postFilterOnly = models.filterStrategy === "postFilter";
  const lists: { vector?: Ranked<{ similarity: number }>; bm25?: Ranked<{ score: number }>; graph?: Ranked<{ score: number; via: readonly string[] }> } = {};
  const lexicalQuery = plan.lexicalQuery ?? plan.query;
  const vectorLaneRuns = plan.mode !== "bm25" && queryVector !== undefined && models.vector !== undefined;
  // Both lanes are synchronous work on this thread; with a vector lane to run, BM25 ranks on the lexical store's
  // own thread meanwhile, so on two cores the two overlap instead of adding up (docs/retrieval.md, "Search").
  const lexicalFirstFetch = plan.mode === "hybrid" && vectorLaneRuns && !postFilterOnly ? startLexicalFirstFetch(planner, models.lexical, lexicalQuery, pool) : undefined;
  if (plan.mode !== "bm25" && queryVector && models.vector) {
    // In vector mode the vectors are the whole answer, so their failure is the search's; in hybrid mode BM25 carries on.
    const vector = models.vector;
    const retrieve = () =>
      postFilterOnly ? postFilterVectorCandidates(models.memoryView, rows, vector, queryVector, filters, plan.asOf, pool) : vectorCandidates(rows, planner, vector, queryVector, pool);
    lists.vector = plan.mode === "vector" ? await required("vector", retrieve) : await degradable(models, "vector", retrieve);
  }
  if (plan.mode !== "vector") {
    lists.bm25 = postFilterOnly
      ? postFilterLexicalCandidates(models.memoryView, rows, models.lexical, lexicalQuery, filters, plan.asOf, pool)
      : lexicalCandidates(rows, planner, models.lexical, lexicalQuery, pool, await lexicalFirstFetch);
  }
  if (plan.mode === "hybrid" && plan.graphHops > 0 && models.graph) {
    const graph = models.graph;
    const seeds = [...(lists.vector ?? []).slice(0, graphSeeds), ...(lists.bm25 ?? []).slice(0, graphSeeds)].map((c) => c.row.memoryId);
    lists.graph = await degradable(models, "graph", () => graphCandidates(rows, graph, plan.query, [...new Set(seeds)], plan.asOf, plan.graphHops, pool));
  }
  if (lists.vector === undefined) delete lists.vector;
  if (lists.graph === undefined) delete lists.graph;
  return lists;
}

/** Runs the one retriever a mode depends on; its read model's failure is the search's (503). */
async function required<T>(readModel: "graph" | "vector", retrieve: () => Promise<T>): Promise<T> {
  try {
    return await retrieve();
  } catch (error) {
    throw new ReadModelEngineUnavailable({ readModel, message: `${readModel} search failed: ${error instanceof Error ? error.message : String(error)}; use mode "hybrid" or "bm25" meanwhile` });
  }
}

/** Runs one retriever; if its read model fails, reports it and leaves that list out. */
/**
 * A query vector is only comparable with vectors of the same model: after a model switch the previous
 * model's generation serves until the re-embedded one replaces it, and vector search waits for that.
 */
function assertSameVectorSpace(vector: VectorReadModel | undefined, queryEmbedder: Embedder): void {
  if (vector === undefined || vector.modelId === queryEmbedder.modelId) return;
  throw new ReadModelEngineUnavailable({
    readModel: "vector",
    message: `the vector read model still holds vectors of ${vector.modelId} while queries are embedded with ${queryEmbedder.modelId}: it is being re-embedded in the background; retry vector search when the rebuild is done (GET /read-models shows its progress), hybrid search meanwhile uses BM25 and the graph`,
  });
}

async function degradable<T>(models: SearchReadModels, readModel: "graph" | "vector", retrieve: () => Promise<T>): Promise<T | undefined> {
  try {
    return await retrieve();
  } catch (error) {
    if (!models.onDegraded) throw error;
    models.onDegraded(readModel, error);
    return undefined;
  }
}

async function graphCandidates(
  reader: SearchRowReader,
  graph: GraphReadModel,
  query: string,
  seeds: readonly string[],
  asOf: LogMoment | undefined,
  hops: number,
  pool: number,
): Promise<Ranked<{ score: number; via: readonly string[] }>> {
  const entityIds = (await graph.entitiesMatching(query)).map((n) => n.id);
  if (seeds.length === 0 && entityIds.length === 0) return [];
  const related = await graph.relatedMemories({ memoryIds: seeds, entityIds, hops, ...(asOf ? { asOf } : {}), maxDegree: graphMaxDegree, limit: pool * 2 });
  const rows = reader.rowsForMemories(related.map((r) => r.memoryId));
  return related
    .flatMap((r) => {
      const row = rows.get(r.memoryId);
      // A unit without a content version (erased) has no content: the position says so without decoding the row.
      return row && row.contentPosition !== null ? [{ row, part: { score: r.score, via: r.via } }] : [];
    })
    .slice(0, pool);
}
