import type { EdgeType } from "../../projections/graph.js";
import type { TraversalResult, TraverseQuery } from "../readModels/graph/graphReadModel.js";
import { InvalidRequest } from "../command/appErrors.js";
import type { MemoryView } from "../../projections/memoryView.js";

/** What the graph around a memory shows: entities it mentions, what it was merged into or from, what it derives from. */
export const neighbourhoodEdgeTypes: readonly EdgeType[] = ["MENTIONS", "MERGED_INTO", "DERIVED_FROM"];
export const maxNeighbourhoodHops = 3;
export const defaultNeighbourhoodHops = 2;
/** A drawing of more nodes helps no one; the answer says when it was cut. */
export const maxNeighbourhoodNodes = 300;

export interface NeighbourhoodOptions {
  /** Edges away from the memory, 1 to 3; default 2 (memory → entity → the other memories that mention it). */
  readonly hops?: number;
}

export interface NeighbourhoodNode {
  /** `memory:<id>`, `entity:<name>`, `tag:<tag>`, `user:<id>`, `agent:<id>`, `source:<kind>:<ref>`. */
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  /** Hops from the memory asked about. */
  readonly depth: number;
}

export interface NeighbourhoodEdge {
  readonly type: EdgeType;
  readonly src: string;
  readonly dst: string;
}

export interface MemoryNeighbourhood {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly hops: number;
  readonly nodes: readonly NeighbourhoodNode[];
  readonly edges: readonly NeighbourhoodEdge[];
  /** True when the walk stopped at the node limit. */
  readonly truncated: boolean;
}

export const memoryNodeId = (memoryId: string): string => `memory:${memoryId}`;

/**
 * Keeps what the caller may see: memory nodes only for the units given (the
 * caller's readable units of the same cube), and of the other nodes only those
 * still connected to the start through kept nodes, so an entity that only
 * another cube's (or a private) unit mentions never shows, not even its name.
 * Depths are recomputed over what is kept. Applying it again with a smaller set
 * narrows it further.
 */
export function restrictNeighbourhood(graph: MemoryNeighbourhood, visibleMemoryIds: ReadonlySet<string>): MemoryNeighbourhood {
  const start = memoryNodeId(graph.memoryId);
  const admissible = new Map(graph.nodes.filter((n) => n.kind !== "memory" || n.id === start || visibleMemoryIds.has(n.id.slice("memory:".length))).map((n) => [n.id, n]));
  const edges = graph.edges.filter((e) => admissible.has(e.src) && admissible.has(e.dst));
  const depth = new Map<string, number>();
  if (admissible.has(start)) depth.set(start, 0);
  let frontier = [...depth.keys()];
  for (let hop = 1; frontier.length > 0 && hop <= graph.hops; hop += 1) {
    const next: string[] = [];
    for (const edge of edges) {
      for (const [from, to] of [
        [edge.src, edge.dst],
        [edge.dst, edge.src],
      ] as const) {
        if (frontier.includes(from) && !depth.has(to)) {
          depth.set(to, hop);
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  const nodes = [...depth].map(([id, d]) => ({ ...admissible.get(id)!, depth: d })).sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id));
  return { ...graph, nodes, edges: edges.filter((e) => depth.has(e.src) && depth.has(e.dst)) };
}

export interface NeighbourhoodSources {
  /** The unit (its cube); fails as a read of it would. */
  unit(memoryId: string): Promise<MemoryView>;
  /** The units of the cube the caller may read, every status. */
  visibleUnits(cubeId: string): Promise<readonly MemoryView[]>;
  traverse(query: TraverseQuery): Promise<TraversalResult>;
}

/** The graph read model around one memory, both directions, limited to what the caller may read. */
export async function memoryNeighbourhood(sources: NeighbourhoodSources, memoryId: string, options: NeighbourhoodOptions = {}): Promise<MemoryNeighbourhood> {
  const hops = options.hops ?? defaultNeighbourhoodHops;
  if (!Number.isInteger(hops) || hops < 1 || hops > maxNeighbourhoodHops) {
    throw new InvalidRequest({ field: "hops", message: `hops must be a whole number from 1 to ${maxNeighbourhoodHops}, got ${hops}` });
  }
  const unit = await sources.unit(memoryId);
  const [units, walked] = await Promise.all([
    sources.visibleUnits(unit.cubeId),
    sources.traverse({ from: [memoryNodeId(memoryId)], hops, edgeTypes: neighbourhoodEdgeTypes, direction: "both", maxNodes: maxNeighbourhoodNodes }),
  ]);
  const graph: MemoryNeighbourhood = {
    memoryId,
    cubeId: unit.cubeId,
    hops,
    nodes: walked.nodes.map((n) => ({ id: n.id, kind: n.kind, label: n.label, depth: n.depth })),
    edges: walked.edges.map((e) => ({ type: e.type, src: e.src, dst: e.dst })),
    truncated: walked.truncated,
  };
  return restrictNeighbourhood(graph, new Set(units.map((u) => u.memoryId)));
}
