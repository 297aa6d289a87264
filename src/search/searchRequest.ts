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
}
