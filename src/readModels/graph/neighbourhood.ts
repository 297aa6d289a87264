import { edgeTypes, normaliseTime, type EdgeType } from "../../../projections/graph.js";
import type { LogMoment } from "../../../projections/projectionEvent.js";
import type { TraversalDirection } from "./graphReadModel.js";

/** The edges of one node a walk may follow: which ends, which types, valid when. Shared by every graph store, so they validate queries alike. */
export interface Neighbourhood {
  readonly direction: TraversalDirection;
  readonly edgeTypes: readonly EdgeType[] | undefined;
  readonly validity: "now" | "position" | "time";
  /** The as-of position or normalised time; null for "now". */
  readonly at: number | string | null;
  /** Nodes with more followable edges than this are hubs: reached, never expanded. */
  readonly maxDegree: number | undefined;
}

/** Checks a query's common fields and turns them into a neighbourhood; errors say what to fix. */
export function neighbourhoodOf(
  query: { hops: number; edgeTypes?: readonly EdgeType[] | undefined; asOf?: LogMoment | undefined; maxDegree?: number | undefined },
  direction: TraversalDirection,
): Neighbourhood {
  if (!Number.isInteger(query.hops) || query.hops < 0) throw new RangeError(`hops must be a whole number ≥ 0, got ${query.hops}`);
  for (const type of query.edgeTypes ?? []) {
    if (!edgeTypes.includes(type)) throw new RangeError(`unknown edge type "${type}"; use one of ${edgeTypes.join(", ")}`);
  }
  if (!["out", "in", "both"].includes(direction)) throw new RangeError(`direction must be "out", "in" or "both", got "${direction}"`);
  if (query.maxDegree !== undefined && !(query.maxDegree >= 0)) throw new RangeError(`maxDegree must be a number ≥ 0, got ${query.maxDegree}`);
  const common = { direction, edgeTypes: query.edgeTypes, maxDegree: query.maxDegree };
  const asOf = query.asOf;
  if (asOf === undefined) return { ...common, validity: "now", at: null };
  if ("position" in asOf) {
    if (!Number.isInteger(asOf.position)) throw new RangeError(`asOf.position must be a whole number, got ${asOf.position}`);
    return { ...common, validity: "position", at: asOf.position };
  }
  return { ...common, validity: "time", at: normaliseTime(asOf.time) };
}
