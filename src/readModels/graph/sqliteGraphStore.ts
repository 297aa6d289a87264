import type { Statement } from "better-sqlite3";
import { candidateEntityIds, compareIds } from "../../../projections/entities.js";
import {
  contentNodeKinds,
  edgeKeyString,
  graphChangesFor,
  memoryIdOf,
  memoryNodeId,
  nameNodeKinds,
  needsOpenEdges,
  type GraphEntityExtraction,
  type EdgeKey,
  type EdgeType,
  type GraphChanges,
  type GraphEdge,
  type GraphNode,
  type NodeKind,
} from "../../../projections/graph.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import { applyInTransaction, checkpointMembers, openReadModelDb, purgeWriteAheadLog, type SqliteDb } from "../sqliteReadModelDb.js";
import type { GraphReadModel, RelatedMemoriesQuery, RelatedMemory, TraversalResult, TraverseQuery } from "./graphReadModel.js";
import { countShortestPaths, reachWithin, type WalkEdge } from "./graphTraversal.js";
import { neighbourhoodOf, type Neighbourhood } from "./neighbourhood.js";

/** The embedded graph read model: one SQLite file, queried in-process. */
export type SqliteGraphStore = GraphReadModel;

const storeName = "graph";
const projectionVersion = 1;

const defaultMaxNodes = 10_000;
const defaultRelatedMaxDegree = 500;
const defaultRelatedLimit = 20;
const defaultEntityMatchLimit = 10;
const defaultRelatedEdgeTypes: readonly EdgeType[] = ["MENTIONS", "RELATES_TO", "DERIVED_FROM", "MERGED_INTO"];
/** Node-key cache entries kept by the writer before it starts afresh (bounds memory on huge graphs). */
const maxCachedNodeKeys = 250_000;

/*
 * Nodes get a small integer `key` and edges point at keys, not at the text ids:
 * edges sit in several indexes, and integer keys halve their size and double
 * the apply rate compared with text ids (measured with a 300k-edge insert loop).
 * Traversal looks edges up by one end (+ type + open/closed), the other end
 * included so that walking the current graph never reads the table. The projection
 * looks up the edges a memory owns: every edge whose src is a memory is owned by
 * it, so only RELATES_TO (entity → entity) needs an index by origin.
 */
const schema = `
CREATE TABLE IF NOT EXISTS nodes (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  label TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  origin INTEGER NOT NULL,
  from_pos INTEGER NOT NULL,
  to_pos INTEGER,
  from_time TEXT NOT NULL,
  to_time TEXT
);
CREATE INDEX IF NOT EXISTS edges_by_src ON edges (src, type, to_pos, dst);
CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (dst, type, to_pos, src);
CREATE INDEX IF NOT EXISTS related_edges_by_origin ON edges (origin, to_pos) WHERE type = 'RELATES_TO';
`;

interface EdgeRow {
  readonly id: number;
  readonly type: EdgeType;
  readonly src: number;
  readonly dst: number;
  readonly origin: number;
  readonly from_pos: number;
  readonly from_time: string;
  readonly to_pos: number | null;
  readonly to_time: string | null;
}

interface NodeRow {
  readonly key: number;
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
}

const toGraphNode = (row: NodeRow): GraphNode => ({ id: row.id, kind: row.kind, label: row.label });

type NeighbourParams = { node: number; at: number | string | null; limit: number };

/** Opens (creating if needed) the graph read model in `file` (":memory:" for a throwaway one). */
export function openSqliteGraphStore(file: string, options: { readonly entities?: GraphEntityExtraction } = {}): SqliteGraphStore {
  const extraction = options.entities ?? "caps";
  const db: SqliteDb = openReadModelDb(file, storeName, projectionVersion);
  db.exec(schema);
  // A graph built with the other entity extraction is rebuilt, not mixed (absent row: built with caps, before the choice existed).
  db.exec("CREATE TABLE IF NOT EXISTS graph_settings (id INTEGER PRIMARY KEY CHECK (id = 1), entities TEXT NOT NULL)");
  db.prepare("INSERT OR IGNORE INTO graph_settings (id, entities) VALUES (1, ?)").run(db.prepare("SELECT 1 FROM projection_checkpoint WHERE position > 0").get() ? "caps" : extraction);
  const builtWith = (db.prepare("SELECT entities FROM graph_settings WHERE id = 1").get() as { entities: string }).entities;
  // Edge inserts land all over the indexes: a 64 MiB page cache keeps them from re-reading pages,
  // and checkpointing the WAL every ~40 MiB instead of 4 MiB stops it from rewriting the same pages.
  db.pragma("cache_size = -65536");
  db.pragma("wal_autocheckpoint = 10000");

  const statements = {
    insertNode: db.prepare<[string, string, string], { key: number }>(
      "INSERT INTO nodes (id, kind, label) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING key",
    ),
    upsertNodeLabel: db.prepare<[string, string, string], { key: number }>(
      "INSERT INTO nodes (id, kind, label) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET label = excluded.label RETURNING key",
    ),
    keyOfNode: db.prepare<[string], { key: number }>("SELECT key FROM nodes WHERE id = ?"),
    openEdge: db.prepare<[string, number, number, number, number, string]>(
      "INSERT INTO edges (type, src, dst, origin, from_pos, from_time) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    closeEdge: db.prepare<[number, string, number]>("UPDATE edges SET to_pos = ?, to_time = ? WHERE id = ?"),
    openEdgesOwnedBy: db.prepare<{ memory: string }, EdgeKey & { rowId: number }>(
      `WITH memory AS (SELECT key, id FROM nodes WHERE id = @memory),
            owned AS (SELECT e.* FROM memory JOIN edges e ON e.src = memory.key AND e.to_pos IS NULL
                      UNION ALL
                      SELECT e.* FROM memory JOIN edges e ON e.origin = memory.key AND e.type = 'RELATES_TO' AND e.to_pos IS NULL)
       SELECT owned.id AS rowId, owned.type, s.id AS src, d.id AS dst, @memory AS origin
         FROM owned JOIN nodes s ON s.key = owned.src JOIN nodes d ON d.key = owned.dst`,
    ),
    endsOfErasableEdges: db.prepare<{ memory: number }, { src: number; dst: number }>(
      `SELECT src, dst FROM edges WHERE src = @memory AND type <> 'BELONGS_TO'
       UNION SELECT src, dst FROM edges WHERE origin = @memory AND type = 'RELATES_TO'`,
    ),
    deleteErasableEdges: db.prepare<{ memory: number }>(
      "DELETE FROM edges WHERE (src = @memory AND type <> 'BELONGS_TO') OR (origin = @memory AND type = 'RELATES_TO')",
    ),
    deleteNodeIfOrphaned: db.prepare<{ key: number }, { id: string }>(
      `DELETE FROM nodes WHERE key = @key AND kind IN (${contentNodeKinds.map((k) => `'${k}'`).join(", ")})
         AND NOT EXISTS (SELECT 1 FROM edges WHERE src = @key) AND NOT EXISTS (SELECT 1 FROM edges WHERE dst = @key)
       RETURNING id`,
    ),
    edgesByIds: db.prepare<[string], EdgeRow>(
      `SELECT e.id, e.type, e.src, e.dst, e.origin, e.from_pos, e.from_time, e.to_pos, e.to_time
         FROM json_each(?) j JOIN edges e ON e.id = j.value ORDER BY e.id`,
    ),
    nodeById: db.prepare<[string], NodeRow>("SELECT key, id, kind, label FROM nodes WHERE id = ?"),
    nodesByIds: db.prepare<[string], NodeRow>("SELECT key, id, kind, label FROM nodes WHERE id IN (SELECT value FROM json_each(?))"),
    nodesByKeys: db.prepare<[string], NodeRow>("SELECT key, id, kind, label FROM nodes WHERE key IN (SELECT value FROM json_each(?))"),
    entitiesByIds: db.prepare<[string], NodeRow>(
      `SELECT key, id, kind, label FROM nodes WHERE kind IN (${nameNodeKinds.map((k) => `'${k}'`).join(", ")}) AND id IN (SELECT value FROM json_each(?))`,
    ),
  };

  // The writer's node id → key cache: entity, tag, user and cube nodes recur in most events.
  // Cleared when a batch fails, since its rolled-back inserts may be in it.
  const nodeKeys = new Map<string, number>();

  function ensureNode(node: GraphNode): number {
    const cached = nodeKeys.get(node.id);
    if (cached !== undefined) return cached;
    const key = statements.insertNode.get(node.id, node.kind, node.label)?.key ?? statements.keyOfNode.get(node.id)!.key;
    nodeKeys.set(node.id, key);
    return key;
  }

  function keyOf(id: string): number {
    const key = nodeKeys.get(id) ?? statements.keyOfNode.get(id)?.key;
    if (key === undefined) throw new Error(`graph projection bug: edge end "${id}" is not a node; rebuild the graph read model and report it`);
    return key;
  }

  function write(changes: GraphChanges, openRowIds: ReadonlyMap<string, number>): void {
    const { position, time } = changes.at;
    for (const node of changes.ensureNodes) ensureNode(node);
    for (const node of changes.labelNodes) nodeKeys.set(node.id, statements.upsertNodeLabel.get(node.id, node.kind, node.label)!.key);
    for (const edge of changes.closeEdges) statements.closeEdge.run(position, time, openRowIds.get(edgeKeyString(edge))!);
    for (const edge of changes.openEdges) statements.openEdge.run(edge.type, keyOf(edge.src), keyOf(edge.dst), keyOf(edge.origin), position, time);
    if (changes.eraseMemory !== undefined) erase(changes.eraseMemory);
  }

  function erase(memoryNode: string): void {
    const memory = statements.keyOfNode.get(memoryNode)?.key;
    if (memory === undefined) return;
    const ends = new Set<number>();
    for (const { src, dst } of statements.endsOfErasableEdges.iterate({ memory })) ends.add(src).add(dst);
    statements.deleteErasableEdges.run({ memory });
    for (const key of ends) {
      const deleted = statements.deleteNodeIfOrphaned.get({ key });
      if (deleted !== undefined) nodeKeys.delete(deleted.id);
    }
  }

  function fold(event: ProjectionEvent): void {
    if (!needsOpenEdges(event) || event.kind !== "memory") {
      write(graphChangesFor(event, [], extraction), new Map());
      return;
    }
    const open = statements.openEdgesOwnedBy.all({ memory: memoryNodeId(event.event.data.memoryId) });
    write(graphChangesFor(event, open, extraction), new Map(open.map((edge) => [edgeKeyString(edge), edge.rowId])));
  }

  // One prepared statement per shape of neighbourhood query, built on first use.
  const neighbourStatements = new Map<string, Statement<NeighbourParams, unknown>>();
  function neighbourStatement(hood: Neighbourhood, columns: string): Statement<NeighbourParams, unknown> {
    // Edge types are checked against the closed list before they get here, so inlining them is safe.
    const types = hood.edgeTypes === undefined ? "" : ` AND type IN (${hood.edgeTypes.map((t) => `'${t}'`).join(", ")})`;
    const shape = `${columns}|${hood.direction}|${types}|${hood.validity}`;
    const cached = neighbourStatements.get(shape);
    if (cached !== undefined) return cached;
    const valid = {
      now: "to_pos IS NULL",
      position: "from_pos <= @at AND (to_pos IS NULL OR to_pos > @at)",
      time: "from_time <= @at AND (to_time IS NULL OR to_time > @at)",
    }[hood.validity];
    // "other" selects the far end only: dst when walking out of src, src when walking into dst.
    const select = (end: "src" | "dst") => `SELECT ${columns === "other" ? (end === "src" ? "dst" : "src") : columns} FROM edges WHERE ${end} = @node${types} AND ${valid}`;
    const body = hood.direction === "out" ? select("src") : hood.direction === "in" ? select("dst") : `${select("src")} UNION ALL ${select("dst")}`;
    const statement = db.prepare<NeighbourParams, unknown>(`${body} LIMIT @limit`);
    neighbourStatements.set(shape, statement);
    return statement;
  }

  /**
   * A node's followable edges, or undefined for a hub (more than maxDegree of them).
   * `columns` must select the fields of `Row`.
   */
  function edgesAroundIn<Row>(hood: Neighbourhood, columns: string): (node: number) => Row[] | undefined {
    const statement = neighbourStatement(hood, columns);
    // Fetching one more than allowed tells a hub apart without reading all its edges.
    const limit = hood.maxDegree === undefined ? -1 : Math.floor(hood.maxDegree) + 1;
    return (node) => {
      const rows = statement.all({ node, at: hood.at, limit }) as Row[];
      return hood.maxDegree !== undefined && rows.length > hood.maxDegree ? undefined : rows;
    };
  }

  /**
   * A node's neighbours (the other end of each followable edge, once per edge), or undefined for a hub:
   * path counting needs no more, and plucked integers cost far less to hand to JavaScript than row objects.
   */
  function neighboursIn(hood: Neighbourhood): (node: number) => WalkEdge[] | undefined {
    const statement = neighbourStatement(hood, "other").pluck();
    const limit = hood.maxDegree === undefined ? -1 : Math.floor(hood.maxDegree) + 1;
    return (node) => {
      const others = statement.all({ node, at: hood.at, limit }) as number[];
      return hood.maxDegree !== undefined && others.length > hood.maxDegree ? undefined : others.map((other) => ({ src: node, dst: other }));
    };
  }

  function nodesWithKeys(keys: Iterable<number>): Map<number, NodeRow> {
    return new Map(statements.nodesByKeys.all(JSON.stringify([...keys])).map((row) => [row.key, row]));
  }

  const members = checkpointMembers(db, storeName, projectionVersion);
  return {
    ...members,
    storedProjectionVersion: () => (builtWith === extraction ? members.storedProjectionVersion() : -1),

    apply(batch) {
      if (nodeKeys.size > maxCachedNodeKeys) nodeKeys.clear();
      try {
        applyInTransaction(db, storeName, batch, fold);
      } catch (error) {
        nodeKeys.clear();
        throw error;
      }
      // Erased names and tags are gone from the tables (secure_delete), but the WAL still holds the pages that had them.
      if (batch.some((item) => item.kind === "memory" && item.event.type === "MemoryErased")) purgeWriteAheadLog(db);
    },

    async traverse(query: TraverseQuery): Promise<TraversalResult> {
      const hood = neighbourhoodOf(query, query.direction ?? "out");
      const seeds = statements.nodesByIds.all(JSON.stringify([...new Set(query.from)])).sort((a, b) => compareIds(a.id, b.id));
      const reach = reachWithin(
        seeds.map((seed) => seed.key),
        query.hops,
        query.maxNodes ?? defaultMaxNodes,
        // Walk on what the indexes cover (the rowid is in every index); read whole edges once at the end.
        edgesAroundIn<WalkEdge & { id: number }>(hood, "id, src, dst"),
      );
      const followedIds = new Set(reach.followed.filter((e) => reach.depthOf.has(e.src) && reach.depthOf.has(e.dst)).map((e) => e.id));
      const edges = statements.edgesByIds.all(JSON.stringify([...followedIds]));
      const nodes = nodesWithKeys(new Set([...reach.depthOf.keys(), ...edges.map((e) => e.origin)]));
      const idOf = (key: number) => nodes.get(key)!.id;
      return {
        nodes: [...reach.depthOf]
          .map(([key, depth]) => ({ ...toGraphNode(nodes.get(key)!), depth }))
          .sort((a, b) => a.depth - b.depth || compareIds(a.id, b.id)),
        edges: edges.map((row) => ({
          type: row.type,
          src: idOf(row.src),
          dst: idOf(row.dst),
          origin: idOf(row.origin),
          opened: { position: row.from_pos, time: row.from_time },
          ...(row.to_pos !== null && row.to_time !== null ? { closed: { position: row.to_pos, time: row.to_time } } : {}),
        })) satisfies GraphEdge[],
        truncated: reach.truncated,
      };
    },

    async relatedMemories(query: RelatedMemoriesQuery): Promise<RelatedMemory[]> {
      const hood = neighbourhoodOf(
        { ...query, edgeTypes: query.edgeTypes ?? defaultRelatedEdgeTypes, maxDegree: query.maxDegree ?? defaultRelatedMaxDegree },
        "both",
      );
      const seedIds = [...new Set([...(query.memoryIds ?? []).map(memoryNodeId), ...(query.entityIds ?? [])])];
      const seeds = new Map(statements.nodesByIds.all(JSON.stringify(seedIds)).map((row) => [row.key, row]));
      // The path count needs only the ends, which the (end, type, to_pos, other end) indexes cover.
      const tally = countShortestPaths([...seeds.keys()], query.hops, neighboursIn(hood));
      const limit = query.limit ?? defaultRelatedLimit;
      const candidates = [...tally]
        .filter(([key, { depth }]) => depth > 0 && !seeds.has(key))
        .map(([key, { depth, paths, parents }]) => ({ key, depth, parents, score: paths * 0.5 ** (depth - 1) }))
        .sort((a, b) => b.score - a.score);
      // Node rows are read best-first, a chunk at a time, until `limit` memories are in and the
      // rest score lower (ties included), so a large neighbourhood costs no more than its top.
      const memories: { key: number; memoryId: string; depth: number; parents: ReadonlySet<number>; score: number }[] = [];
      const chunk = Math.max(64, limit * 2);
      for (let start = 0; start < candidates.length; start += chunk) {
        if (memories.length >= limit && candidates[start]!.score < memories[limit - 1]!.score) break;
        const slice = candidates.slice(start, start + chunk);
        const rows = nodesWithKeys(slice.map((c) => c.key));
        for (const candidate of slice) {
          const memoryId = memoryIdOf(rows.get(candidate.key)!.id);
          if (memoryId !== undefined) memories.push({ ...candidate, memoryId });
        }
      }
      const best = memories
        .sort((a, b) => b.score - a.score || a.depth - b.depth || compareIds(a.memoryId, b.memoryId))
        .slice(0, limit);
      const parentIds = nodesWithKeys(new Set(best.flatMap((m) => [...m.parents])));
      return best.map(({ memoryId, score, depth, parents }) => ({
        memoryId,
        score,
        depth,
        via: [...parents].map((parent) => parentIds.get(parent)!.id).sort(compareIds),
      }));
    },

    async entitiesMatching(text: string, limit = defaultEntityMatchLimit): Promise<GraphNode[]> {
      const candidates = candidateEntityIds(text);
      if (candidates.length === 0) return [];
      const found = new Map(statements.entitiesByIds.all(JSON.stringify(candidates)).map((row) => [row.id, toGraphNode(row)]));
      return candidates.flatMap((id) => found.get(id) ?? []).slice(0, limit);
    },

    async node(id: string): Promise<GraphNode | undefined> {
      const row = statements.nodeById.get(id);
      return row === undefined ? undefined : toGraphNode(row);
    },

    close() {
      db.close();
    },
  };
}
