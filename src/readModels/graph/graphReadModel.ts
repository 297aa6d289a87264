import type { EdgeType, GraphEdge, GraphNode } from "../../../projections/graph.js";
import type { LogMoment } from "../../../projections/projectionEvent.js";
import type { ReadModelStore } from "../readModelStore.js";

export type TraversalDirection = "out" | "in" | "both";

export interface TraverseQuery {
  /** Node ids to start from (`memory:<id>`, `entity:<name>`…); unknown ids are ignored. */
  readonly from: readonly string[];
  /** How many edges away from a start node to go; 0 returns the start nodes alone. */
  readonly hops: number;
  /** Only follow these edge types; all when absent. */
  readonly edgeTypes?: readonly EdgeType[];
  /** Follow edges from src to dst ("out", the default), back ("in"), or both ways. */
  readonly direction?: TraversalDirection;
  /** Use the edges valid at this moment instead of the open ones. */
  readonly asOf?: LogMoment;
  /** Stop adding nodes at this many (start nodes included); default 10,000. */
  readonly maxNodes?: number;
  /** Nodes with more than this many followable edges are reached but not expanded through (hubs). */
  readonly maxDegree?: number;
}

export interface TraversalResult {
  /** Reached nodes with their distance in hops from the nearest start node, nearest first. */
  readonly nodes: readonly (GraphNode & { readonly depth: number })[];
  /** The followed edges whose both ends are in `nodes`. */
  readonly edges: readonly GraphEdge[];
  /** True when `maxNodes` cut the traversal short. */
  readonly truncated: boolean;
}

export interface RelatedMemoriesQuery {
  /** Seed memories, by memory id (not node id). */
  readonly memoryIds?: readonly string[];
  /** Seed entities, by node id (e.g. from `entitiesMatching`). */
  readonly entityIds?: readonly string[];
  /** Memory → entity → memory is 2 hops. */
  readonly hops: number;
  readonly asOf?: LogMoment;
  /** Default: MENTIONS, RELATES_TO, DERIVED_FROM, MERGED_INTO (BELONGS_TO would relate a whole cube). */
  readonly edgeTypes?: readonly EdgeType[];
  /** Nodes with more edges than this carry no signal and are not expanded through, seeds included; default 500. */
  readonly maxDegree?: number;
  /** Default 20. */
  readonly limit?: number;
}

export interface RelatedMemory {
  readonly memoryId: string;
  /**
   * Σ over shortest paths from the seeds of 0.5^(depth-1): every extra path adds,
   * every extra hop halves. Parallel edges (a pair co-mentioned by several
   * memories) count as separate paths.
   */
  readonly score: number;
  /** Hops from the nearest seed. */
  readonly depth: number;
  /** Node ids the memory was reached through on its last hop (its shortest-path parents), sorted. */
  readonly via: readonly string[];
}

/**
 * The graph read model as retrieval and compliance code use it. The embedded
 * SQLite store and the Neo4j store implement it, and `../graph.contract.ts`
 * holds both to the same behaviour. Queries are asynchronous because one of
 * them answers over the network.
 */
export interface GraphReadModel extends ReadModelStore {
  traverse(query: TraverseQuery): Promise<TraversalResult>;
  /** Memories reachable from the seeds (seeds excluded), best first: for search expansion. */
  relatedMemories(query: RelatedMemoriesQuery): Promise<RelatedMemory[]>;
  /** Entity nodes whose normalised name occurs in the text, most specific (longest) first; default limit 10. */
  entitiesMatching(text: string, limit?: number): Promise<GraphNode[]>;
  node(id: string): Promise<GraphNode | undefined>;
}
