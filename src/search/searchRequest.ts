import type { MemoryView } from "../../projections/memoryView.js";
import type { LogMoment } from "../../projections/projectionEvent.js";
import type { MemoryFilters } from "../readModels/memoryView/memoryFilterSql.js";

export const searchModes = ["hybrid", "vector", "bm25"] as const;
export type SearchMode = (typeof searchModes)[number];

export interface SearchRequest {
  readonly query: string;
  /** Searched side by side and merged; at least one. */
  readonly cubeIds: readonly string[];
  /** Default 10, at most 100. */
  readonly topK?: number;
  /** Default "hybrid" when an embedder is configured, else "bm25". */
  readonly mode?: SearchMode;
  readonly filters?: Omit<MemoryFilters, "cubeIds">;
  /** Shorthand: archived units are searched too (they never are by default). */
  readonly includeArchived?: boolean;
  /** Search the memory as it was at a log position or a recorded time. */
  readonly asOf?: LogMoment;
  /** Results scoring below this are dropped (the score of the chosen mode: fused RRF, similarity or BM25). */
  readonly minScore?: number;
  /** MMR trade-off between relevance (1) and diversity (0); default 0.9 (see docs/retrieval.md). */
  readonly mmrLambda?: number;
  /** Graph expansion depth (memory → entity → memory is 2); 0 turns it off; default 2. */
  readonly graphHops?: number;
  /** Weight of each retriever's votes in the fusion; defaults in docs/retrieval.md. */
  readonly weights?: { readonly vector?: number; readonly bm25?: number; readonly graph?: number };
  /** RRF's rank constant: smaller values reward the top ranks more; default in docs/retrieval.md. */
  readonly rrfK?: number;
  /** Ask the configured reranker, if any (default true when one is configured). */
  readonly rerank?: boolean;
  /** What a time expression in the query ("last May", "in 2022") does; see docs/retrieval.md. */
  readonly time?: SearchTimeOptions;
}

export const searchTimeUses = ["boost", "filter", "off"] as const;

export interface SearchTimeOptions {
  /** "boost" (default): units whose event time falls in the named range get an extra fusion vote; "filter": only they are searched; "off": the query is taken as words. */
  readonly use?: (typeof searchTimeUses)[number];
  /** What "last May" is relative to: default the as-of time, else the clock (ISO-8601). */
  readonly now?: string;
  /** Keep the expression's words in the BM25 query (default false: "may" and "last" would match unrelated text). */
  readonly keepExpression?: boolean;
  /** Weight of the boost's fusion vote (default 1, as much as BM25's). */
  readonly weight?: number;
}

/** The time range a search resolved from its query, in the response so the caller sees how it was read. */
export interface ResolvedSearchTime {
  readonly expression: string;
  readonly from: string;
  readonly to: string;
  readonly use: "boost" | "filter";
}

/** Why a memory matched: the parts of its score. */
export interface ScoreParts {
  readonly vector?: { readonly rank: number; readonly similarity: number };
  readonly bm25?: { readonly rank: number; readonly score: number };
  readonly graph?: { readonly rank: number; readonly score: number; readonly via: readonly string[] };
  readonly fused?: number;
  readonly rerank?: number;
}

export interface SearchHit {
  readonly memory: MemoryView;
  readonly version: number;
  readonly score: number;
  readonly why: ScoreParts;
}

export interface SearchResponse {
  readonly mode: SearchMode;
  readonly results: readonly SearchHit[];
  /** The log position the read models had folded when searched (or the as-of moment). */
  readonly asOf?: LogMoment;
  /** Set when a read model was still behind the log after the consistency wait. */
  readonly behind?: number;
  /** Retrievers left out because their read model could not answer (its engine is down), with why. */
  readonly degraded?: readonly { readonly readModel: string; readonly error: string }[];
  /** Set when a time expression of the query was resolved into an event-time boost or filter. */
  readonly time?: ResolvedSearchTime;
  /** Set when a reranker ran: which, on how many of the fused candidates, and how long it took (also when it failed: see `degraded`). */
  readonly rerank?: { readonly reranker: string; readonly candidates: number; readonly ms: number };
}
