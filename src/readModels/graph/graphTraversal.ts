/**
 * Breadth-first walks over a graph whose edges are fetched one node at a time.
 * Storage-agnostic: the caller passes `edgesAround(node)`, which returns the
 * edges it may follow from that node (already filtered by type, direction and
 * validity), or `undefined` when the node is a hub that must not be expanded.
 */

export interface WalkEdge {
  readonly src: number;
  readonly dst: number;
}

export type EdgesAround<E extends WalkEdge> = (node: number) => readonly E[] | undefined;

const otherEnd = (edge: WalkEdge, node: number): number => (edge.src === node ? edge.dst : edge.src);

export interface Reach<E extends WalkEdge> {
  /** Every reached node with its distance from the nearest seed. */
  readonly depthOf: ReadonlyMap<number, number>;
  /** Followed edges whose both ends were reached, in the order met. */
  readonly followed: readonly E[];
  /** True when `maxNodes` stopped nodes from being added. */
  readonly truncated: boolean;
}

/** Expands hop by hop from the seeds, up to `hops` edges away and `maxNodes` nodes in all. */
export function reachWithin<E extends WalkEdge>(seeds: readonly number[], hops: number, maxNodes: number, edgesAround: EdgesAround<E>): Reach<E> {
  const depthOf = new Map<number, number>();
  const followed: E[] = [];
  let truncated = false;
  for (const seed of seeds) {
    if (depthOf.size < maxNodes) depthOf.set(seed, 0);
    else truncated = true;
  }
  let frontier = [...depthOf.keys()];
  for (let depth = 1; depth <= hops && frontier.length > 0; depth += 1) {
    const next: number[] = [];
    for (const node of frontier) {
      for (const edge of edgesAround(node) ?? []) {
        const other = otherEnd(edge, node);
        if (!depthOf.has(other)) {
          if (depthOf.size >= maxNodes) {
            truncated = true;
            continue;
          }
          depthOf.set(other, depth);
          next.push(other);
        }
        followed.push(edge);
      }
    }
    frontier = next;
  }
  return { depthOf, followed, truncated };
}

export interface PathTally {
  readonly depth: number;
  /** Number of shortest paths from the seeds (parallel edges count separately). */
  readonly paths: number;
  /** The nodes one hop closer to the seeds through which those paths arrive. */
  readonly parents: ReadonlySet<number>;
}

/**
 * Layered breadth-first search counting shortest paths: a node's count is the
 * sum of its parents' counts. Edges back to the same or an earlier layer are not
 * paths to anything new, so they are skipped.
 */
export function countShortestPaths(seeds: readonly number[], hops: number, edgesAround: EdgesAround<WalkEdge>): Map<number, PathTally> {
  const tally = new Map<number, { depth: number; paths: number; parents: Set<number> }>();
  for (const seed of seeds) tally.set(seed, { depth: 0, paths: 1, parents: new Set() });
  let frontier = [...tally.keys()];
  for (let depth = 1; depth <= hops && frontier.length > 0; depth += 1) {
    const next: number[] = [];
    for (const node of frontier) {
      const from = tally.get(node)!;
      for (const edge of edgesAround(node) ?? []) {
        const other = otherEnd(edge, node);
        let reached = tally.get(other);
        if (reached !== undefined && reached.depth < depth) continue;
        if (reached === undefined) {
          reached = { depth, paths: 0, parents: new Set() };
          tally.set(other, reached);
          next.push(other);
        }
        reached.paths += from.paths;
        reached.parents.add(node);
      }
    }
    frontier = next;
  }
  return tally;
}
