import { contentNodeKinds, nameNodeKinds, type EdgeType } from "../../../projections/graph.js";
import type { TraversalDirection } from "./graphReadModel.js";

/**
 * The Cypher of the Neo4j graph read model, in one place.
 *
 * Layout (one Neo4j database holds every generation side by side, since the
 * community edition has a single user database):
 * - `(:GraphNode {gid, g, id, kind, label})`: `g` is the generation (`graph-3`),
 *   `id` our node id (`memory:m1`), `gid` = `g|id`, unique (community supports
 *   single-property uniqueness constraints; node keys need enterprise). Every
 *   lookup goes through `gid`, and a generation's nodes are the `gid` prefix
 *   `g|`, which the constraint's range index answers.
 * - One relationship type per EdgeType, with `origin` (node id of the owning
 *   memory), `fromPos`, `fromTime`, `toPos`, `toTime` (absent while open) and
 *   `ix` (its index among the edges its event opened, so `(fromPos, ix)` is
 *   creation order, the order the embedded store returns edges in).
 *   RELATES_TO also carries `og` = gid of its origin, indexed: it is the one
 *   edge type whose owner is not its start node.
 * - `(:ProjectionCheckpoint {key, g, readModel, position, projectionVersion})`,
 *   `key` = `g|readModel`, unique, written in the transaction of every batch.
 *
 * Edge types are checked against the closed list before they are inlined.
 */

/**
 * Planned afresh on every run, for statements whose good plan depends on the
 * graph's size: Neo4j caches plans, and one compiled while the database was
 * nearly empty (the first batches of a generation) can scan every relationship
 * for every row (an element id lookup planned as a full scan) until Neo4j
 * notices the statistics moved, seconds or batches later. Planning these
 * small statements costs about a millisecond; the bulk inserts, whose plans are
 * unique-index seeks whatever the size, keep their cached plans.
 */
const replan = "CYPHER replan=force";

export const schemaStatements: readonly string[] = [
  "CREATE CONSTRAINT memledger_graph_node_gid IF NOT EXISTS FOR (n:GraphNode) REQUIRE n.gid IS UNIQUE",
  "CREATE CONSTRAINT memledger_projection_checkpoint_key IF NOT EXISTS FOR (c:ProjectionCheckpoint) REQUIRE c.key IS UNIQUE",
  "CREATE INDEX memledger_graph_relates_to_owner IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.og)",
];

export const awaitIndexes = "CALL db.awaitIndexes(300)";

/** Separates the generation from the node id in `gid`; generation names may not contain it. */
export const generationSeparator = "|";

export const gidOf = (generation: string, id: string): string => `${generation}${generationSeparator}${id}`;

export const openCheckpoint = `
MERGE (c:ProjectionCheckpoint {key: $key})
  ON CREATE SET c.g = $g, c.readModel = $readModel, c.position = 0, c.projectionVersion = $projectionVersion
RETURN c.position AS position, c.projectionVersion AS projectionVersion`;

/**
 * Write-locks the checkpoint for the batch's transaction: a SET takes the
 * node's exclusive lock, so a second projector of the same generation waits
 * here until this batch commits. Neo4j reads committed data, so the checkpoint
 * is read by the next statement, after the lock is held (a value read before
 * it could be stale), and the marker goes again when the checkpoint is saved.
 */
export const lockCheckpoint = `
MERGE (c:ProjectionCheckpoint {key: $key})
  ON CREATE SET c.g = $g, c.readModel = $readModel, c.position = 0, c.projectionVersion = $projectionVersion
SET c.locked = true`;

export const readCheckpoint = "MATCH (c:ProjectionCheckpoint {key: $key}) RETURN c.position AS position";

export const saveCheckpoint = "MATCH (c:ProjectionCheckpoint {key: $key}) SET c.position = toInteger($position) REMOVE c.locked";

/** The open edges each listed memory owns, with their element ids: those starting at it, and the RELATES_TO it produced. */
export const openEdgesOwnedBy = `${replan}
UNWIND $memories AS mg
MATCH (m:GraphNode {gid: mg})
CALL {
  WITH m
  MATCH (m)-[r]->(d) WHERE r.toPos IS NULL
  RETURN elementId(r) AS rid, type(r) AS type, m.id AS src, d.id AS dst
  UNION ALL
  WITH m, mg
  MATCH (s)-[r:RELATES_TO {og: mg}]->(d) USING INDEX r:RELATES_TO(og) WHERE r.toPos IS NULL
  RETURN elementId(r) AS rid, 'RELATES_TO' AS type, s.id AS src, d.id AS dst
}
RETURN m.id AS memory, rid, type, src, dst`;

/** Creates missing nodes; an existing node keeps its label. Rows: {gid, id, kind, label}. */
export const ensureNodes = `
UNWIND $nodes AS n
MERGE (x:GraphNode {gid: n.gid})
  ON CREATE SET x.g = $g, x.id = n.id, x.kind = n.kind, x.label = n.label`;

/** Creates or relabels nodes. Rows: {gid, id, kind, label}. */
export const labelNodes = `
UNWIND $nodes AS n
MERGE (x:GraphNode {gid: n.gid})
  ON CREATE SET x.g = $g, x.id = n.id, x.kind = n.kind
SET x.label = n.label`;

/** Closes edges read earlier in the transaction, by element id. Rows: {id, tp, tt}. */
export const closeEdgesById = `${replan}
UNWIND $rows AS row
MATCH ()-[r]->() WHERE elementId(r) = row.id
SET r.toPos = toInteger(row.tp), r.toTime = row.tt`;

/**
 * Closes the open edge of each key: for edges a batch opened in a segment
 * before an erasure, whose element ids it did not read. Rows: {s, d, o, og, tp, tt}
 * (gids of the ends, origin id, origin gid, closing point). Both ends are
 * looked up, so Neo4j expands from the one with fewer relationships. (No
 * planner hints: with a hint on the start node, a plan compiled on a small
 * graph scanned the whole index for every row.)
 */
export function closeEdgesByKey(type: EdgeType): string {
  const owner = type === "RELATES_TO" ? "r.og = row.og" : "r.origin = row.o";
  return `${replan}
UNWIND $rows AS row
MATCH (s:GraphNode {gid: row.s})
MATCH (d:GraphNode {gid: row.d})
WITH row, s, d
MATCH (s)-[r:${type}]->(d)
WHERE r.toPos IS NULL AND ${owner}
SET r.toPos = toInteger(row.tp), r.toTime = row.tt`;
}

/**
 * Opens edges (closing them too when the batch already closed them).
 * Rows: {s, d, o, og, fp, ft, tp, tt, ix}. Returns how many were created, so
 * a missing end (a projection bug) is caught rather than silently dropped.
 */
export function createEdges(type: EdgeType): string {
  const owner = type === "RELATES_TO" ? ", og: row.og" : "";
  return `
UNWIND $rows AS row
MATCH (s:GraphNode {gid: row.s})
MATCH (d:GraphNode {gid: row.d})
CREATE (s)-[r:${type} {origin: row.o${owner}, fromPos: toInteger(row.fp), fromTime: row.ft, ix: toInteger(row.ix)}]->(d)
SET r.toPos = toInteger(row.tp), r.toTime = row.tt
RETURN count(r) AS created`;
}

/** Erasure, step 1: the memory's own edges except BELONGS_TO; returns the gids of their ends. */
export const eraseOwnEdges = `${replan}
MATCH (m:GraphNode {gid: $m})-[r]->(x) WHERE type(r) <> 'BELONGS_TO'
WITH collect(r) AS doomed, collect(DISTINCT x.gid) AS ends
FOREACH (r IN doomed | DELETE r)
RETURN ends`;

/** Erasure, step 2: the co-mentions the memory produced; returns the gids of their ends. */
export const eraseRelatedEdges = `${replan}
MATCH (a:GraphNode)-[r:RELATES_TO {og: $m}]->(b:GraphNode) USING INDEX r:RELATES_TO(og)
WITH collect(r) AS doomed, collect(DISTINCT a.gid) + collect(DISTINCT b.gid) AS ends
FOREACH (r IN doomed | DELETE r)
RETURN ends`;

/** Erasure, step 3: content nodes among the ends that no edge touches any more (their labels are personal data). */
export const deleteOrphanedContentNodes = `${replan}
UNWIND $ends AS gid
MATCH (n:GraphNode {gid: gid})
WHERE n.kind IN [${contentNodeKinds.map((k) => `'${k}'`).join(", ")}] AND NOT EXISTS { (n)--() }
DELETE n
RETURN count(n) AS deleted`;

export const nodeByGid = "MATCH (n:GraphNode {gid: $gid}) RETURN n.id AS id, n.kind AS kind, n.label AS label";

export const entitiesByGids = `
UNWIND $gids AS gid
MATCH (n:GraphNode {gid: gid}) WHERE n.kind IN [${nameNodeKinds.map((k) => `'${k}'`).join(", ")}]
RETURN n.id AS id, n.kind AS kind, n.label AS label`;

export const nodesByGids = `
UNWIND $gids AS gid
MATCH (n:GraphNode {gid: gid})
RETURN n.id AS id, n.kind AS kind, n.label AS label`;

/** Which edges of a node a walk may follow. */
export interface NeighbourShape {
  readonly direction: TraversalDirection;
  /** Non-empty; undefined for every type. */
  readonly edgeTypes: readonly EdgeType[] | undefined;
  readonly validity: "now" | "position" | "time";
  /** Whether `$limit` caps the edges read per node (maxDegree + 1, to tell hubs apart). */
  readonly limited: boolean;
  /** Whole edges with the far node's kind and label (traverse), or only the far node's id (path counting). */
  readonly columns: "full" | "ends";
}

const validityClause = {
  now: "r.toPos IS NULL",
  position: "r.fromPos <= $at AND (r.toPos IS NULL OR r.toPos > $at)",
  time: "r.fromTime <= $at AND (r.toTime IS NULL OR r.toTime > $at)",
} as const;

/**
 * One BFS level for the whole frontier: for each frontier node that exists
 * (`$frontier` holds gids), its id, kind, label and followable edges (out,
 * then in, as the embedded store reads them), at most `$limit` of them.
 * Each edge is a list: [out?, far id] or [out?, far id, far kind, far label,
 * elementId, type, origin, fromPos, fromTime, toPos, toTime, ix].
 */
export function neighbourQuery(shape: NeighbourShape): string {
  const types = shape.edgeTypes === undefined ? "" : `:${shape.edgeTypes.join("|")}`;
  const valid = validityClause[shape.validity];
  const branch = (out: boolean) => `
    WITH n
    MATCH (n)${out ? "" : "<"}-[r${types}]-${out ? ">" : ""}(m) WHERE ${valid}
    RETURN r, m, ${out} AS out`;
  const branches =
    shape.direction === "out" ? branch(true) : shape.direction === "in" ? branch(false) : `${branch(true)}\n    UNION ALL${branch(false)}`;
  const columns =
    shape.columns === "ends"
      ? "[out, m.id]"
      : "[out, m.id, m.kind, m.label, elementId(r), type(r), r.origin, r.fromPos, r.fromTime, r.toPos, r.toTime, r.ix]";
  return `
UNWIND $frontier AS f
MATCH (n:GraphNode {gid: f})
CALL {
  WITH n
  CALL {${branches}
  }
  WITH r, m, out${shape.limited ? " LIMIT $limit" : ""}
  RETURN collect(${columns}) AS edges
}
RETURN n.id AS id, n.kind AS kind, n.label AS label, edges`;
}

/** Retirement, in batches so a large generation never needs one huge transaction (auto-commit only). */
export const retireRelationships = `
MATCH (n:GraphNode)-[r]->() WHERE n.gid STARTS WITH $prefix
CALL { WITH r DELETE r } IN TRANSACTIONS OF 10000 ROWS`;

export const retireNodes = `
MATCH (n:GraphNode) WHERE n.gid STARTS WITH $prefix
CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`;

export const retireCheckpoint = "MATCH (c:ProjectionCheckpoint {key: $key}) DELETE c";

/** Every property of a generation's nodes, edges and checkpoint (for checking that erased text is gone). */
export const generationProperties = `
CALL {
  MATCH (n:GraphNode) WHERE n.gid STARTS WITH $prefix RETURN properties(n) AS props
  UNION ALL
  MATCH (n:GraphNode)-[r]->() WHERE n.gid STARTS WITH $prefix RETURN properties(r) AS props
  UNION ALL
  MATCH (c:ProjectionCheckpoint {key: $key}) RETURN properties(c) AS props
}
RETURN props`;

export const serverComponents = "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition";
