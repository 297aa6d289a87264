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
import type { Reranker } from "./rerankerPort.js";
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
  /**
   * Told when the graph or vector read model failed to answer (its server is
   * down): the search goes on with the other retrievers instead of failing.
   */
  readonly onDegraded?: (readModel: "graph" | "vector", error: unknown) => void;
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

/** Below this many matching content versions a cube is searched exactly (brute force beats ANN + filtering). */
const exactSearchBelow = 5_000;
/**
 * BM25 ranks only a filter's matching set when it is at most this big; FTS5 still evaluates the
 * MATCH over the whole index, so for larger sets (10 % of 30k measured 91 ms) widening the
 * ranking is cheaper: one ×8 step finds enough at 10 % (bench/filteredSearchBench.ts).
 */
const lexicalWithinBelow = 1_000;
/** Hub entities (a speaker named in every turn) are not expanded through. */
const graphMaxDegree = 50;
/** Seeds for graph expansion: the best few of the other retrievers. */
const graphSeeds = 5;
/**
 * Raw hits fetched per wanted candidate before filtering by moment and filters: enough when
 * most hits are current (the common case); the retrievers widen when too few survive.
 * Every hit costs a row read and its JSON decoded on the event loop, so no more than that.
 */
const firstFetchFactor = 2;

type Candidate = { row: MemoryViewRow; parts: { vector?: { rank: number; similarity: number }; bm25?: { rank: number; score: number }; graph?: { rank: number; score: number; via: readonly string[] } } };

/**
 * One search over one or more cubes: per cube, vector (ANN or exact), BM25 and
 * graph expansion each produce a ranked list of units valid at the moment and
 * matching the filters; the lists of every cube are fused by RRF, near-duplicates
 * pushed down by MMR, optionally reranked, then cut to top k.
 */
export async function hybridSearch(models: SearchReadModels, plan: PlannedSearch): Promise<SearchHit[]> {
  const pool = Math.max(50, plan.topK * 5);
  const embedQuery = async () => (await models.queryEmbedder!.embed([plan.query]))[0];
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
    const inRange = reciprocalRankFusion(lists, plan.rrfK).filter((f) => eventTimeWithin(candidates.get(f.id)!.row.view.attributes.eventTime, time));
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

  const shortlist = ranked.slice(0, plan.topK * 3);
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

  const rerankScores = new Map<string, number>();
  if (plan.rerank && models.reranker && order.length > 0) {
    const texts = order.map((id) => {
      const content = candidates.get(id)!.row.view.content;
      return { memoryId: id, text: content ? searchableText(content) : "" };
    });
    const scores = await models.reranker.rerank(plan.query, texts);
    order.forEach((id, i) => rerankScores.set(id, scores[i] ?? -Infinity));
    order = [...order].sort((a, b) => rerankScores.get(b)! - rerankScores.get(a)!);
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
  const lists: { vector?: Ranked<{ similarity: number }>; bm25?: Ranked<{ score: number }>; graph?: Ranked<{ score: number; via: readonly string[] }> } = {};
  if (plan.mode !== "bm25" && queryVector && models.vector) {
    // In vector mode the vectors are the whole answer, so their failure is the search's; in hybrid mode BM25 carries on.
    const vector = models.vector;
    const retrieve = () => vectorCandidates(models.memoryView, rows, vector, queryVector, filters, plan.asOf, pool);
    lists.vector = plan.mode === "vector" ? await required("vector", retrieve) : await degradable(models, "vector", retrieve);
  }
  if (plan.mode !== "vector") lists.bm25 = lexicalCandidates(models.memoryView, rows, models.lexical, plan.lexicalQuery ?? plan.query, filters, plan.asOf, pool);
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
async function degradable<T>(models: SearchReadModels, readModel: "graph" | "vector", retrieve: () => Promise<T>): Promise<T | undefined> {
  try {
    return await retrieve();
  } catch (error) {
    if (!models.onDegraded) throw error;
    models.onDegraded(readModel, error);
    return undefined;
  }
}

async function vectorCandidates(view: MemoryViewStore, reader: SearchRowReader, vector: VectorReadModel, query: Float32Array, filters: MemoryFilters, asOf: LogMoment | undefined, pool: number): Promise<Ranked<{ similarity: number }>> {
  const rankRows = (hits: readonly { label: number; similarity: number }[], rows: Map<number, MemoryViewRow>) =>
    hits.flatMap((h) => {
      const row = rows.get(h.label);
      return row ? [{ row, part: { similarity: h.similarity } }] : [];
    });
  if (vector.size === 0) return [];
  // ANN over every content version first, keeping those valid and matching: the common case needs nothing else.
  const first = await vector.search(query, Math.min(pool * firstFetchFactor, vector.size));
  const firstRows = reader.rowsForContent(first.map((h) => h.label));
  if (firstRows.size >= pool || first.length >= vector.size) return rankRows(first, firstRows).slice(0, pool);
  // Too few survived: the filters (or the moment) are selective. Small matching sets are searched exactly.
  const matching = view.countMatching(filters, asOf, exactSearchBelow + 1);
  if (matching <= exactSearchBelow) {
    const hits = await vector.searchExact(query, pool, view.contentPositionsMatching(filters, asOf, matching));
    return rankRows(hits, reader.rowsForContent(hits.map((h) => h.label)));
  }
  // Large but selective: widen the ANN candidates until enough survive.
  for (let k = pool * 16; ; k *= 4) {
    const hits = await vector.search(query, Math.min(k, vector.size));
    const rows = reader.rowsForContent(hits.map((h) => h.label));
    if (rows.size >= pool || hits.length >= vector.size) return rankRows(hits, rows).slice(0, pool);
  }
}

function lexicalCandidates(
  view: MemoryViewStore,
  reader: SearchRowReader,
  lexical: LexicalStore,
  query: string,
  filters: MemoryFilters,
  asOf: LogMoment | undefined,
  pool: number,
): Ranked<{ score: number }> {
  // The full-text index holds every content version; widen the raw ranking until enough are valid and match.
  let matching: number | undefined;
  for (let limit = pool * firstFetchFactor; ; limit *= 8) {
    if (limit > pool * firstFetchFactor && matching === undefined) {
      // Too few survived the first ranking: when the filters (tags, metadata...) leave a small set, rank only that set
      // (read from the memory view's indexed tables) instead of widening over the whole index.
      matching = view.countMatching(filters, asOf, lexicalWithinBelow + 1);
      if (matching <= lexicalWithinBelow) {
        const within = lexical.searchWithin(query, view.contentPositionsMatching(filters, asOf, matching), pool);
        const rows = reader.rowsForContent(within.map((h) => h.contentPosition));
        return within.flatMap((h) => {
          const row = rows.get(h.contentPosition);
          return row ? [{ row, part: { score: h.score } }] : [];
        });
      }
    }
    const hits = lexical.search(query, limit);
    const rows = reader.rowsForContent(hits.map((h) => h.contentPosition));
    const ranked = hits.flatMap((h) => {
      const row = rows.get(h.contentPosition);
      return row ? [{ row, part: { score: h.score } }] : [];
    });
    if (ranked.length >= pool || hits.length < limit) return ranked.slice(0, pool);
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
