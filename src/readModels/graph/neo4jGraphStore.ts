import { basename } from "node:path";
import neo4j, { type Driver, type ManagedTransaction } from "neo4j-driver";
import { candidateEntityIds, compareIds } from "../../../projections/entities.js";
import {
  edgeKeyString,
  foldOpenEdges,
  graphChangesFor,
  memoryIdOf,
  memoryNodeId,
  needsOpenEdges,
  type EdgeKey,
  type EdgeType,
  type GraphChanges,
  type GraphEdge,
  type GraphNode,
  type NodeKind,
} from "../../../projections/graph.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";
import type { ReadModelDefinition } from "../projectionRunner.js";
import type { GraphReadModel, RelatedMemoriesQuery, RelatedMemory, TraversalResult, TraverseQuery } from "./graphReadModel.js";
import { countShortestPaths, reachWithin, type EdgesAround, type WalkEdge } from "./graphTraversal.js";
import { neighbourhoodOf, type Neighbourhood } from "./neighbourhood.js";
import * as cypher from "./neo4jCypher.js";

/**
 * The graph read model on a Neo4j server: the same projection (`graphChangesFor`)
 * and the same walks (`reachWithin`, `countShortestPaths`) as the embedded
 * SQLite store, so both answer alike; `../graph.contract.ts` holds both to it.
 *
 * Writing: one write transaction per batch. It locks and reads the checkpoint
 * (events at or below it are skipped, so replays are harmless), loads the open
 * edges of every memory whose events need them with one query, folds the whole
 * batch in memory (an overlay of each memory's open edges, so later events see
 * earlier ones), then writes the result with a few UNWIND statements per edge
 * type and moves the checkpoint. An erasure deletes in the database, so the
 * changes before it are written first; erasures split a batch into segments.
 *
 * Reading: a walk fetches adjacency one BFS level at a time, one query for
 * the whole frontier (each node's followable edges up to maxDegree + 1, which
 * tells hubs apart), and runs the pure algorithm over what it fetched; when the
 * algorithm asks for a node not fetched yet, the next level is fetched and the
 * algorithm run again. So a k-hop walk costs k round trips.
 */
export interface Neo4jGraphStore extends GraphReadModel {
  /** The generation this store reads and writes (`graph-3`). */
  readonly generation: string;
  /** Every string property of the generation's nodes, edges and checkpoint contains the text (case-insensitive)? For erasure checks. */
  holdsText(text: string): Promise<boolean>;
}

export interface Neo4jGraphStoreOptions {
  readonly driver: Driver;
  /** Names the generation; nodes of other generations in the same database are never touched. */
  readonly generation: string;
  /** Default: the server's default database. */
  readonly database?: string;
}

const storeName = "graph";
const projectionVersion = 1;

const defaultMaxNodes = 10_000;
const defaultRelatedMaxDegree = 500;
const defaultRelatedLimit = 20;
const defaultEntityMatchLimit = 10;
const defaultRelatedEdgeTypes: readonly EdgeType[] = ["MENTIONS", "RELATES_TO", "DERIVED_FROM", "MERGED_INTO"];
/** Rows per UNWIND statement: keeps each Bolt message and query's working memory bounded. */
const rowsPerStatement = 20_000;
/** Frontier nodes per adjacency query. */
const frontierPerQuery = 5_000;

// ------------------------------------------------------------------ query checks (as the embedded store)

function checkGeneration(generation: string): void {
  if (generation === "" || generation.includes(cypher.generationSeparator)) {
    throw new RangeError(`a Neo4j graph generation needs a non-empty name without "${cypher.generationSeparator}", got "${generation}"`);
  }
}

// ------------------------------------------------------------------ schema

const schemaReady = new WeakMap<Driver, Map<string, Promise<void>>>();

/** Creates the constraints and indexes once per driver and database (idempotent on the server too). */
function ensureSchema(driver: Driver, database: string | undefined): Promise<void> {
  let perDatabase = schemaReady.get(driver);
  if (perDatabase === undefined) {
    perDatabase = new Map();
    schemaReady.set(driver, perDatabase);
  }
  const key = database ?? "";
  let ready = perDatabase.get(key);
  if (ready === undefined) {
    ready = (async () => {
      for (const statement of cypher.schemaStatements) {
        try {
          await driver.executeQuery(statement, {}, { database });
        } catch (error) {
          // Two processes creating the same rule at once: the loser's IF NOT EXISTS may still fail.
          if (!/AlreadyExists|EquivalentSchemaRule/i.test(String((error as { code?: string }).code ?? error))) throw error;
        }
      }
      await driver.executeQuery(cypher.awaitIndexes, {}, { database });
    })();
    ready.catch(() => perDatabase.delete(key));
    perDatabase.set(key, ready);
  }
  return ready;
}

// ------------------------------------------------------------------ folding a batch in memory

interface NodeRow {
  readonly gid: string;
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
}

interface EdgeRow {
  readonly s: string;
  readonly d: string;
  readonly o: string;
  /** RELATES_TO only. */
  readonly og?: string;
  readonly fp: number;
  readonly ft: string;
  tp: number | null;
  tt: string | null;
  readonly ix: number;
}

interface CloseRow {
  readonly s: string;
  readonly d: string;
  readonly o: string;
  readonly og: string;
  readonly tp: number;
  readonly tt: string;
}

/** An open edge read from the database, with its relationship's element id (valid for the transaction). */
type StoredEdgeKey = EdgeKey & { readonly rid?: string };

/** Changes between two erasures: written with a few bulk statements. */
interface Segment {
  readonly kind: "segment";
  /** First ensure of each node wins (an existing node keeps its label). */
  readonly ensure: Map<string, NodeRow>;
  /** Last label of each node wins. */
  readonly label: Map<string, NodeRow>;
  /** Closes of edges read from the database, by element id. */
  readonly closesById: { id: string; tp: number; tt: string }[];
  /** Closes of edges an earlier segment of the batch wrote (their ids were not read), by key. */
  readonly closesByKey: Map<EdgeType, CloseRow[]>;
  readonly opens: Map<EdgeType, EdgeRow[]>;
  /** Edges this segment opened and has not closed yet, by edge key. */
  readonly openedHere: Map<string, EdgeRow>;
}

type Step = Segment | { readonly kind: "erase"; readonly memory: string };

const newSegment = (): Segment => ({ kind: "segment", ensure: new Map(), label: new Map(), closesById: [], closesByKey: new Map(), opens: new Map(), openedHere: new Map() });

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Folds events (above the checkpoint, ascending) into write steps, reading
 * each memory's open edges from `overlay` (loaded from the database for the
 * memories that need it) and keeping it current, as the embedded store does
 * by reading its tables before each event.
 */
function planWrites(generation: string, events: readonly ProjectionEvent[], overlay: Map<string, EdgeKey[]>): Step[] {
  const gid = (id: string) => cypher.gidOf(generation, id);
  const steps: Step[] = [];
  let segment = newSegment();
  const nodeRow = (node: GraphNode): NodeRow => ({ gid: gid(node.id), id: node.id, kind: node.kind, label: node.label });

  const write = (changes: GraphChanges) => {
    const { position, time } = changes.at;
    for (const node of changes.ensureNodes) if (!segment.ensure.has(node.id)) segment.ensure.set(node.id, nodeRow(node));
    for (const node of changes.labelNodes) segment.label.set(node.id, nodeRow(node));
    for (const edge of changes.closeEdges) {
      const key = edgeKeyString(edge);
      const here = segment.openedHere.get(key);
      if (here !== undefined) {
        here.tp = position;
        here.tt = time;
        segment.openedHere.delete(key);
      } else if ((edge as StoredEdgeKey).rid !== undefined) {
        segment.closesById.push({ id: (edge as StoredEdgeKey).rid!, tp: position, tt: time });
      } else {
        push(segment.closesByKey, edge.type, { s: gid(edge.src), d: gid(edge.dst), o: edge.origin, og: gid(edge.origin), tp: position, tt: time });
      }
    }
    changes.openEdges.forEach((edge, ix) => {
      const owner = edge.type === "RELATES_TO" ? { og: gid(edge.origin) } : {};
      const row: EdgeRow = { s: gid(edge.src), d: gid(edge.dst), o: edge.origin, ...owner, fp: position, ft: time, tp: null, tt: null, ix };
      push(segment.opens, edge.type, row);
      segment.openedHere.set(edgeKeyString(edge), row);
    });
    if (changes.eraseMemory !== undefined) {
      // The erasure deletes in the database: what came before it is written first.
      steps.push(segment, { kind: "erase", memory: gid(changes.eraseMemory) });
      segment = newSegment();
    }
  };

  for (const event of events) {
    if (event.kind !== "memory") {
      write(graphChangesFor(event, []));
      continue;
    }
    const memory = memoryNodeId(event.event.data.memoryId);
    const open = overlay.get(memory) ?? [];
    const changes = graphChangesFor(event, needsOpenEdges(event) ? open : []);
    write(changes);
    overlay.set(memory, foldOpenEdges(open, changes));
  }
  steps.push(segment);
  return steps;
}

// ------------------------------------------------------------------ the store

interface FetchedEdge extends WalkEdge {
  /** elementId of the relationship (full fetches only): the same edge met from both ends is one edge. */
  readonly rid: string;
}

interface Fetched {
  /** The node's info (frontier nodes and far ends). */
  readonly nodes: Map<number, GraphNode>;
  /** Followable edges of each fetched node; undefined for a hub. */
  readonly adjacency: Map<number, FetchedEdge[] | undefined>;
  readonly edges: Map<string, GraphEdge & { readonly ix: number }>;
}

export async function openNeo4jGraphStore(options: Neo4jGraphStoreOptions): Promise<Neo4jGraphStore> {
  const { driver, generation, database } = options;
  checkGeneration(generation);
  await ensureSchema(driver, database);
  const checkpointKey = `${generation}${cypher.generationSeparator}${storeName}`;
  const checkpointParams = { key: checkpointKey, g: generation, readModel: storeName, projectionVersion: neo4j.int(projectionVersion) };
  const prefix = `${generation}${cypher.generationSeparator}`;
  const gid = (id: string) => cypher.gidOf(generation, id);

  const opened = await driver.executeQuery(cypher.openCheckpoint, checkpointParams, { database });
  const first = opened.records[0]!;
  let committedCheckpoint = Number(first.get("position"));
  const storedVersion = Number(first.get("projectionVersion"));
  let closed = false;

  const read = async (query: string, params: Record<string, unknown>) => {
    if (closed) throw new Error(`the Neo4j graph store ${generation} is closed`);
    return (await driver.executeQuery(query, params, { database, routing: neo4j.routing.READ })).records;
  };

  async function run(tx: ManagedTransaction, query: string, params: Record<string, unknown>) {
    return (await tx.run(query, params)).records;
  }

  /** The open edges each memory that needs them owns, by memory node id. */
  async function loadOverlay(tx: ManagedTransaction, events: readonly ProjectionEvent[]): Promise<Map<string, EdgeKey[]>> {
    const memories = new Set<string>();
    for (const event of events) if (event.kind === "memory" && needsOpenEdges(event)) memories.add(gid(memoryNodeId(event.event.data.memoryId)));
    const overlay = new Map<string, StoredEdgeKey[]>();
    for (const part of chunks([...memories], rowsPerStatement)) {
      for (const record of await run(tx, cypher.openEdgesOwnedBy, { memories: part })) {
        const memory = record.get("memory") as string;
        push(overlay, memory, {
          type: record.get("type") as EdgeType,
          src: record.get("src") as string,
          dst: record.get("dst") as string,
          origin: memory,
          rid: record.get("rid") as string,
        });
      }
    }
    return overlay;
  }

  async function writeSegment(tx: ManagedTransaction, segment: Segment): Promise<void> {
    for (const part of chunks([...segment.ensure.values()], rowsPerStatement)) await run(tx, cypher.ensureNodes, { nodes: part, g: generation });
    for (const part of chunks([...segment.label.values()], rowsPerStatement)) await run(tx, cypher.labelNodes, { nodes: part, g: generation });
    // Closes first: a key closed and opened again in the segment must not close its new edge.
    for (const part of chunks(segment.closesById, rowsPerStatement)) await run(tx, cypher.closeEdgesById, { rows: part });
    for (const [type, rows] of segment.closesByKey) {
      for (const part of chunks(rows, rowsPerStatement)) await run(tx, cypher.closeEdgesByKey(type), { rows: part });
    }
    for (const [type, rows] of segment.opens) {
      for (const part of chunks(rows, rowsPerStatement)) {
        const created = Number((await run(tx, cypher.createEdges(type), { rows: part }))[0]?.get("created") ?? 0);
        if (created !== part.length) {
          throw new Error(`graph projection bug: ${part.length - created} ${type} edge(s) have an end that is not a node; rebuild the graph read model and report it`);
        }
      }
    }
  }

  async function erase(tx: ManagedTransaction, memory: string): Promise<void> {
    const ends = new Set<string>();
    for (const query of [cypher.eraseOwnEdges, cypher.eraseRelatedEdges]) {
      for (const record of await run(tx, query, { m: memory })) for (const end of record.get("ends") as string[]) ends.add(end);
    }
    if (ends.size > 0) await run(tx, cypher.deleteOrphanedContentNodes, { ends: [...ends] });
  }

  async function applyBatch(tx: ManagedTransaction, batch: readonly ProjectionEvent[]): Promise<number> {
    await run(tx, cypher.lockCheckpoint, checkpointParams);
    const from = Number((await run(tx, cypher.readCheckpoint, { key: checkpointKey }))[0]!.get("position"));
    const events: ProjectionEvent[] = [];
    let last = from;
    for (const event of batch) {
      if (event.envelope.position <= last) continue;
      events.push(event);
      last = event.envelope.position;
    }
    if (events.length === 0) {
      await run(tx, cypher.saveCheckpoint, { key: checkpointKey, position: from });
      return from;
    }
    const overlay = await loadOverlay(tx, events);
    for (const step of planWrites(generation, events, overlay)) {
      if (step.kind === "segment") await writeSegment(tx, step);
      else await erase(tx, step.memory);
    }
    await run(tx, cypher.saveCheckpoint, { key: checkpointKey, position: last });
    return last;
  }

  /**
   * Runs a walk over adjacency fetched level by level: `walk` is a pure algorithm
   * run over `edgesAround`; nodes it asks for and that are not fetched yet are
   * fetched (all of them in one query) and the walk run again, until it needs
   * nothing new. Returns its result and what was fetched.
   */
  async function walkOver<T>(
    seedIds: readonly string[],
    hops: number,
    hood: Neighbourhood,
    columns: "full" | "ends",
    walk: (seeds: number[], edgesAround: EdgesAround<FetchedEdge>) => T,
  ): Promise<{ result: T; fetched: Fetched; idOf: (key: number) => string }> {
    const keys = new Map<string, number>();
    const ids: string[] = [];
    const keyOf = (id: string) => {
      let key = keys.get(id);
      if (key === undefined) {
        key = ids.length;
        keys.set(id, key);
        ids.push(id);
      }
      return key;
    };
    const fetched: Fetched = { nodes: new Map(), adjacency: new Map(), edges: new Map() };
    const noEdges = hood.edgeTypes !== undefined && hood.edgeTypes.length === 0;
    const shape: cypher.NeighbourShape = {
      direction: hood.direction,
      edgeTypes: hood.edgeTypes,
      validity: hood.validity,
      limited: hood.maxDegree !== undefined && Number.isFinite(hood.maxDegree),
      columns,
    };
    // Reading one edge more than allowed tells a hub apart without reading all its edges.
    const limit = shape.limited ? Math.floor(hood.maxDegree!) + 1 : undefined;

    const fetch = async (nodeIds: readonly string[], withEdges: boolean) => {
      for (const part of chunks(nodeIds, frontierPerQuery)) {
        const records = withEdges && !noEdges
          ? await read(cypher.neighbourQuery(shape), {
              frontier: part.map(gid),
              at: hood.at,
              ...(limit !== undefined ? { limit: neo4j.int(limit) } : {}),
            })
          : await read(cypher.nodesByGids, { gids: part.map(gid) });
        for (const record of records) {
          const id = record.get("id") as string;
          const node = keyOf(id);
          fetched.nodes.set(node, { id, kind: record.get("kind") as NodeKind, label: record.get("label") as string });
          if (!withEdges) continue;
          const rows = noEdges ? [] : (record.get("edges") as unknown[][]);
          if (hood.maxDegree !== undefined && rows.length > hood.maxDegree) {
            fetched.adjacency.set(node, undefined);
            continue;
          }
          const around: FetchedEdge[] = [];
          for (const row of rows) {
            const out = row[0] as boolean;
            const otherId = row[1] as string;
            const other = keyOf(otherId);
            const src = out ? node : other;
            const dst = out ? other : node;
            if (columns === "ends") {
              around.push({ src, dst, rid: "" });
              continue;
            }
            if (!fetched.nodes.has(other)) fetched.nodes.set(other, { id: otherId, kind: row[2] as NodeKind, label: row[3] as string });
            const rid = row[4] as string;
            around.push({ src, dst, rid });
            if (!fetched.edges.has(rid)) {
              const toPos = row[9] as number | null;
              const toTime = row[10] as string | null;
              fetched.edges.set(rid, {
                type: row[5] as EdgeType,
                src: ids[src]!,
                dst: ids[dst]!,
                origin: row[6] as string,
                opened: { position: row[7] as number, time: row[8] as string },
                ...(toPos !== null && toTime !== null ? { closed: { position: toPos, time: toTime } } : {}),
                ix: (row[11] as number | null) ?? 0,
              });
            }
          }
          fetched.adjacency.set(node, around);
        }
        // Frontier nodes that do not exist have no edges to follow.
        if (withEdges) for (const id of part) if (!fetched.adjacency.has(keyOf(id))) fetched.adjacency.set(keyOf(id), []);
      }
    };

    const wanted = [...new Set(seedIds)];
    await fetch(wanted, hops > 0);
    const seeds = wanted.filter((id) => fetched.nodes.has(keys.get(id)!)).sort(compareIds).map(keyOf);
    for (;;) {
      const missing = new Set<number>();
      const result = walk(seeds, (node) => {
        if (fetched.adjacency.has(node)) return fetched.adjacency.get(node);
        missing.add(node);
        return [];
      });
      if (missing.size === 0) return { result, fetched, idOf: (key) => ids[key]! };
      await fetch([...missing].map((key) => ids[key]!), true);
    }
  }

  return {
    name: storeName,
    projectionVersion,
    generation,
    storedProjectionVersion: () => storedVersion,
    checkpoint: () => committedCheckpoint,

    async apply(batch) {
      if (closed) throw new Error(`the Neo4j graph store ${generation} is closed`);
      if (batch.length === 0) return;
      const session = driver.session({ database, bookmarkManager: driver.executeQueryBookmarkManager, defaultAccessMode: neo4j.session.WRITE });
      try {
        const last = await session.executeWrite((tx) => applyBatch(tx, batch));
        committedCheckpoint = Math.max(committedCheckpoint, last);
      } finally {
        await session.close();
      }
    },

    async traverse(query: TraverseQuery): Promise<TraversalResult> {
      const hood = neighbourhoodOf(query, query.direction ?? "out");
      const maxNodes = query.maxNodes ?? defaultMaxNodes;
      const { result: reach, fetched } = await walkOver(query.from, query.hops, hood, "full", (seeds, edgesAround) =>
        reachWithin(seeds, query.hops, maxNodes, edgesAround),
      );
      const followed = new Set(reach.followed.filter((e) => reach.depthOf.has(e.src) && reach.depthOf.has(e.dst)).map((e) => e.rid));
      const edges = [...followed]
        .map((rid) => fetched.edges.get(rid)!)
        // Creation order, as the embedded store returns them.
        .sort((a, b) => a.opened.position - b.opened.position || a.ix - b.ix)
        .map(({ ix: _ix, ...edge }) => edge);
      return {
        nodes: [...reach.depthOf]
          .map(([key, depth]) => ({ ...fetched.nodes.get(key)!, depth }))
          .sort((a, b) => a.depth - b.depth || compareIds(a.id, b.id)),
        edges,
        truncated: reach.truncated,
      };
    },

    async relatedMemories(query: RelatedMemoriesQuery): Promise<RelatedMemory[]> {
      const hood = neighbourhoodOf(
        { ...query, edgeTypes: query.edgeTypes ?? defaultRelatedEdgeTypes, maxDegree: query.maxDegree ?? defaultRelatedMaxDegree },
        "both",
      );
      const seedIds = [...new Set([...(query.memoryIds ?? []).map(memoryNodeId), ...(query.entityIds ?? [])])];
      let seedKeys: ReadonlySet<number> = new Set();
      const { result: tally, idOf } = await walkOver(seedIds, query.hops, hood, "ends", (seeds, edgesAround) => {
        seedKeys = new Set(seeds);
        return countShortestPaths(seeds, query.hops, edgesAround);
      });
      const limit = query.limit ?? defaultRelatedLimit;
      const memories: RelatedMemory[] = [];
      for (const [key, { depth, paths, parents }] of tally) {
        if (depth === 0 || seedKeys.has(key)) continue;
        const memoryId = memoryIdOf(idOf(key));
        if (memoryId === undefined) continue;
        memories.push({ memoryId, score: paths * 0.5 ** (depth - 1), depth, via: [...parents].map(idOf).sort(compareIds) });
      }
      return memories.sort((a, b) => b.score - a.score || a.depth - b.depth || compareIds(a.memoryId, b.memoryId)).slice(0, limit);
    },

    async entitiesMatching(text: string, limit = defaultEntityMatchLimit): Promise<GraphNode[]> {
      const candidates = candidateEntityIds(text);
      if (candidates.length === 0) return [];
      const records = await read(cypher.entitiesByGids, { gids: candidates.map(gid) });
      const found = new Map(records.map((r) => [r.get("id") as string, { id: r.get("id") as string, kind: r.get("kind") as NodeKind, label: r.get("label") as string }]));
      return candidates.flatMap((id) => found.get(id) ?? []).slice(0, limit);
    },

    async node(id: string): Promise<GraphNode | undefined> {
      const record = (await read(cypher.nodeByGid, { gid: gid(id) }))[0];
      return record === undefined ? undefined : { id: record.get("id") as string, kind: record.get("kind") as NodeKind, label: record.get("label") as string };
    },

    async holdsText(text: string): Promise<boolean> {
      const needle = text.toLowerCase();
      const records = await read(cypher.generationProperties, { prefix, key: checkpointKey });
      const holds = (value: unknown): boolean =>
        typeof value === "string" ? value.toLowerCase().includes(needle) : Array.isArray(value) ? value.some(holds) : false;
      return records.some((record) => Object.values(record.get("props") as Record<string, unknown>).some(holds));
    },

    async close() {
      // The driver belongs to whoever opened it (neo4jGraphReadModel shares one across generations).
      closed = true;
    },
  };
}

/** Drops everything a generation keeps on the server: its edges and nodes in batches, then its checkpoint. */
export async function retireNeo4jGraphGeneration(driver: Driver, generation: string, database?: string): Promise<void> {
  checkGeneration(generation);
  const prefix = `${generation}${cypher.generationSeparator}`;
  // CALL … IN TRANSACTIONS needs an auto-commit transaction.
  const session = driver.session({ database, bookmarkManager: driver.executeQueryBookmarkManager, defaultAccessMode: neo4j.session.WRITE });
  try {
    await session.run(cypher.retireRelationships, { prefix });
    await session.run(cypher.retireNodes, { prefix });
    await session.run(cypher.retireCheckpoint, { key: `${prefix}${storeName}` });
  } finally {
    await session.close();
  }
}

/** The generation a runner file names: `<dir>/graph-3.db` → `graph-3`. */
export function generationOfFile(file: string): string {
  return basename(file).replace(/\.db$/, "");
}

export interface Neo4jConnection {
  /** `neo4j://host:7687` or `bolt://host:7687`. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
  /**
   * Prefixes every generation name (`memledger/graph-3`), so deployments sharing
   * one database (community edition has one) never see each other's graph.
   * Default `memledger`.
   */
  readonly namespace?: string;
}

export type Neo4jGraphReadModelDefinition = ReadModelDefinition<Neo4jGraphStore> & {
  readonly driver: Driver;
  readonly retire: (file: string) => Promise<void>;
  /** For the readiness endpoint: resolves with the server's version and round trip, throws when it cannot be reached. */
  health(): Promise<string>;
  /** Closes the driver the generations share; after the runner has stopped. */
  close(): Promise<void>;
};

/** Driver settings the store relies on: integers come back as JS numbers (positions stay below 2^53). */
export function openNeo4jDriver(connection: Neo4jConnection): Driver {
  const auth = connection.username !== undefined ? neo4j.auth.basic(connection.username, connection.password ?? "") : undefined;
  return neo4j.driver(connection.url, auth, { disableLosslessIntegers: true, userAgent: "memledger", connectionTimeout: 10_000 });
}

/** The URL without credentials, for messages. */
function redactedUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}

/**
 * The graph read model on a Neo4j server, for the projection runner: each
 * runner generation file (`graph-3.db`) names a generation kept in the server's
 * database; `retire` drops a replaced one. One driver serves every generation.
 */
export function neo4jGraphReadModel(connection: Neo4jConnection): Neo4jGraphReadModelDefinition {
  const driver = openNeo4jDriver(connection);
  const database = connection.database;
  const namespace = connection.namespace ?? "memledger";
  const generation = (file: string) => `${namespace}/${generationOfFile(file)}`;
  return {
    name: storeName,
    driver,
    open: (file) => openNeo4jGraphStore({ driver, generation: generation(file), ...(database !== undefined ? { database } : {}) }),
    retire: (file) => retireNeo4jGraphGeneration(driver, generation(file), database),
    health: async () => {
      const health = await neo4jHealth(driver, database);
      if (!health.ok) throw new Error(`Neo4j at ${redactedUrl(connection.url)} cannot be reached: ${health.error}`);
      return `Neo4j ${health.version ?? "?"} ${health.edition ?? ""}`.trim();
    },
    close: () => driver.close(),
  };
}

export interface Neo4jHealth {
  readonly ok: boolean;
  /** Server version, e.g. "5.26.0". */
  readonly version?: string;
  readonly edition?: string;
  /** Round trip of a trivial query. */
  readonly latencyMs: number;
  readonly error?: string;
}

/** For readiness endpoints: can the server be reached, which version is it, how long does a round trip take. */
export async function neo4jHealth(driver: Driver, database?: string): Promise<Neo4jHealth> {
  const started = performance.now();
  // A plain session, not executeQuery: a probe must fail at once, not retry for half a minute.
  const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
  try {
    const { records } = await session.run(cypher.serverComponents);
    const latencyMs = performance.now() - started;
    const kernel = records.find((r) => r.get("name") === "Neo4j Kernel") ?? records[0];
    const version = (kernel?.get("versions") as string[] | undefined)?.[0];
    const edition = kernel?.get("edition") as string | undefined;
    return { ok: true, latencyMs, ...(version !== undefined ? { version } : {}), ...(edition !== undefined ? { edition } : {}) };
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await session.close().catch(() => undefined);
  }
}
