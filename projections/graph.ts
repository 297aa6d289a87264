import type { MemoryContent } from "../domain/memory/memoryContent.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { compareIds, extractEntities, extractNames, type NameFinder } from "./entities.js";
import { extractNamedEntities, namedEntityKinds } from "./namedEntities.js";
import type { Envelope } from "./envelope.js";
import type { ProjectionEvent } from "./projectionEvent.js";

/**
 * The graph projection: event → graph changes, pure.
 *
 * Nodes (`<kind>:<key>` ids): `memory:<memoryId>`, `cube:<cubeId>`, `source:<kind>:<ref>`,
 * and the mentions of `./entities.ts` (`entity:…`, `tag:…`, `user:…`, `agent:…`). With the `nlp`
 * extraction (`./namedEntities.ts`) a name node's kind says its type (person, place,
 * organization, date); its id is `entity:<name>` either way.
 *
 * Edges, each owned by the memory whose stream produced it (`origin`):
 * - BELONGS_TO   memory → cube                     (MemoryCreated)
 * - DERIVED_FROM memory → memory it was branched from (MemoryCreated.branchedFrom)
 * - DERIVED_FROM memory → source, per `sources[]`  (content)
 * - MENTIONS     memory → entity | tag | user | agent (content)
 * - RELATES_TO   entity ↔ entity named in the same memory (content). Undirected,
 *                stored once with the smaller id as `src`; one edge per memory that
 *                co-mentions the pair, so erasing one memory removes only its share
 *                and the number of parallel edges says how often the pair co-occurs.
 *                Only the first `maxRelatedEntities` entities (by id) pair up: the
 *                pairs grow quadratically and a long list carries little signal.
 * - MERGED_INTO  memory → successor memory          (MemoryMerged, MemoryReverted)
 * So an edge whose src is a memory is always owned by that memory; only RELATES_TO
 * has an origin other than its src (stores index by that).
 *
 * Edges carry a validity interval: opened at (position, recordedAt) and closed at
 * (position, recordedAt) or still open. Rules per event:
 * - MemoryCreated: opens BELONGS_TO, the branch DERIVED_FROM and the content edges.
 * - MemoryEdited / MemoryReverted: diff the content edges against the open ones —
 *   close those the new content no longer yields, open the new ones, leave the
 *   unchanged ones open (so their history is one interval, not many).
 * - MemoryReverted also sets MERGED_INTO to its `successorId`: reverting to a state
 *   without successor closes it.
 * - MemoryMerged opens MERGED_INTO. Archive, restore, merge, freeze and activation
 *   do not close MENTIONS: lifecycle state belongs to the memory view, which
 *   filters by it; the graph records what the content says.
 * - Content `null` (its key was shredded) yields no content edges.
 * - MemoryErased: the content-derived copies must go. Every edge the memory owns,
 *   open or historical, is deleted except BELONGS_TO (the skeleton stays in its
 *   cube), then entity/tag/source/user/agent nodes left without any edge are
 *   deleted, because their labels are personal data.
 * - CubeCreated names the cube node. Other events change nothing (the store still
 *   moves its checkpoint past them).
 */

export const nodeKinds = ["memory", "entity", ...namedEntityKinds, "tag", "source", "cube", "user", "agent"] as const;
export type NodeKind = (typeof nodeKinds)[number];

export const edgeTypes = ["MERGED_INTO", "DERIVED_FROM", "MENTIONS", "RELATES_TO", "BELONGS_TO"] as const;
export type EdgeType = (typeof edgeTypes)[number];

/** Node kinds whose labels come from content and are deleted with the last edge that names them. */
export const contentNodeKinds: readonly NodeKind[] = ["entity", ...namedEntityKinds, "tag", "source", "user", "agent"];

/** Kinds of named things (untyped or typed): the nodes a query's words are matched against and RELATES_TO pairs up. */
export const nameNodeKinds: readonly NodeKind[] = ["entity", ...namedEntityKinds];

/**
 * How names are found in a unit's text: `caps`, capitalised runs (`./entities.ts`, untyped);
 * `nlp`, typed people, places, organisations and dates (`./namedEntities.ts`).
 */
export const graphEntityExtractions = ["caps", "nlp"] as const;
export type GraphEntityExtraction = (typeof graphEntityExtractions)[number];
const nameFinders: Record<GraphEntityExtraction, NameFinder> = { caps: extractNames, nlp: extractNamedEntities };

export interface GraphNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
}

/** Identity of an edge: at most one edge per key is open at a time. */
export interface EdgeKey {
  readonly type: EdgeType;
  readonly src: string;
  readonly dst: string;
  /** Node id of the memory whose stream produced the edge. */
  readonly origin: string;
}

/** A point of the log, with both coordinates an as-of query may use. */
export interface LogPoint {
  readonly position: number;
  /** ISO-8601 in `Date.prototype.toISOString` form, so strings compare like times. */
  readonly time: string;
}

export interface GraphEdge extends EdgeKey {
  readonly opened: LogPoint;
  /** Absent while the edge is valid now. */
  readonly closed?: LogPoint;
}

/** What one event does to the graph, all at the event's log point. */
export interface GraphChanges {
  readonly at: LogPoint;
  /** Every end and origin of `openEdges`; created when missing, an existing node keeps its label. */
  readonly ensureNodes: readonly GraphNode[];
  /** Created or relabelled (a cube's name arrives with CubeCreated, possibly after its units). */
  readonly labelNodes: readonly GraphNode[];
  readonly openEdges: readonly EdgeKey[];
  readonly closeEdges: readonly EdgeKey[];
  /** Memory node whose owned edges (except BELONGS_TO) and orphaned content nodes are deleted. */
  readonly eraseMemory?: string;
}

export const maxRelatedEntities = 20;

export const memoryNodeId = (memoryId: string): string => `memory:${memoryId}`;
export const cubeNodeId = (cubeId: string): string => `cube:${cubeId}`;
export const sourceNodeId = (kind: string, ref: string): string => `source:${kind}:${ref}`;

/** The memory id inside a `memory:<id>` node id, or undefined for other nodes. */
export function memoryIdOf(nodeId: string): string | undefined {
  return nodeId.startsWith("memory:") ? nodeId.slice("memory:".length) : undefined;
}

/** Which edges an event rewrites; edges outside the event's classes stay as they are. */
type EdgeClass = "content" | "lineage" | "successor";

export function edgeClassOf(edge: EdgeKey): EdgeClass {
  switch (edge.type) {
    case "MENTIONS":
    case "RELATES_TO":
      return "content";
    case "DERIVED_FROM":
      return edge.dst.startsWith("source:") ? "content" : "lineage";
    case "BELONGS_TO":
      return "lineage";
    case "MERGED_INTO":
      return "successor";
  }
}

interface DesiredGraph {
  readonly nodes: readonly GraphNode[];
  /** The complete set of open edges of each listed class after the event. */
  readonly edges: Partial<Record<EdgeClass, readonly EdgeKey[]>>;
}

/** The nodes and edges one content version yields for a memory. */
export function contentGraph(memoryId: string, content: MemoryContent | null, extraction: GraphEntityExtraction = "caps"): { nodes: GraphNode[]; edges: EdgeKey[] } {
  if (content === null) return { nodes: [], edges: [] };
  const memory = memoryNodeId(memoryId);
  const nodes: GraphNode[] = [];
  const edges: EdgeKey[] = [];
  const mentions = extractEntities(content, nameFinders[extraction]);
  for (const mention of mentions) {
    nodes.push(mention);
    edges.push({ type: "MENTIONS", src: memory, dst: mention.id, origin: memory });
  }
  const entityIds = mentions.filter((m) => nameNodeKinds.includes(m.kind)).map((m) => m.id).slice(0, maxRelatedEntities);
  for (let i = 0; i < entityIds.length; i += 1) {
    for (let j = i + 1; j < entityIds.length; j += 1) {
      edges.push({ type: "RELATES_TO", src: entityIds[i]!, dst: entityIds[j]!, origin: memory });
    }
  }
  const sources = new Map<string, GraphNode>();
  for (const source of content.sources) {
    const id = sourceNodeId(source.kind, source.ref);
    if (!sources.has(id)) sources.set(id, { id, kind: "source", label: source.ref });
  }
  for (const source of [...sources.values()].sort((a, b) => compareIds(a.id, b.id))) {
    nodes.push(source);
    edges.push({ type: "DERIVED_FROM", src: memory, dst: source.id, origin: memory });
  }
  return { nodes, edges };
}

const memoryNode = (memoryId: string): GraphNode => ({ id: memoryNodeId(memoryId), kind: "memory", label: memoryId });

function successorEdges(memoryId: string, successorId: string | undefined): EdgeKey[] {
  if (successorId === undefined) return [];
  const memory = memoryNodeId(memoryId);
  return [{ type: "MERGED_INTO", src: memory, dst: memoryNodeId(successorId), origin: memory }];
}

function desiredAfter(event: MemoryEvent, extraction: GraphEntityExtraction): DesiredGraph | undefined {
  switch (event.type) {
    case "MemoryCreated": {
      const { memoryId, cubeId, content, branchedFrom, copiedFrom } = event.data;
      const memory = memoryNodeId(memoryId);
      const derived = contentGraph(memoryId, content, extraction);
      const lineage: EdgeKey[] = [{ type: "BELONGS_TO", src: memory, dst: cubeNodeId(cubeId), origin: memory }];
      const nodes: GraphNode[] = [memoryNode(memoryId), { id: cubeNodeId(cubeId), kind: "cube", label: cubeId }, ...derived.nodes];
      if (branchedFrom !== undefined) {
        lineage.push({ type: "DERIVED_FROM", src: memory, dst: memoryNodeId(branchedFrom.memoryId), origin: memory });
        nodes.push(memoryNode(branchedFrom.memoryId));
      }
      // A transfer's copy derives from its source the same way a branch's copy does.
      if (copiedFrom !== undefined) {
        lineage.push({ type: "DERIVED_FROM", src: memory, dst: memoryNodeId(copiedFrom.memoryId), origin: memory });
        nodes.push(memoryNode(copiedFrom.memoryId));
      }
      return { nodes, edges: { content: derived.edges, lineage } };
    }
    case "MemoryEdited": {
      const derived = contentGraph(event.data.memoryId, event.data.content, extraction);
      return { nodes: [memoryNode(event.data.memoryId), ...derived.nodes], edges: { content: derived.edges } };
    }
    case "MemoryReverted": {
      const { memoryId, content, successorId } = event.data;
      const derived = contentGraph(memoryId, content, extraction);
      const successor = successorEdges(memoryId, successorId);
      const nodes = [memoryNode(memoryId), ...derived.nodes, ...(successorId === undefined ? [] : [memoryNode(successorId)])];
      return { nodes, edges: { content: derived.edges, successor } };
    }
    case "MemoryMerged": {
      const { memoryId, successorId } = event.data;
      return { nodes: [memoryNode(memoryId), memoryNode(successorId)], edges: { successor: successorEdges(memoryId, successorId) } };
    }
    case "MemoryActivated":
    case "MemoryArchived":
    case "MemoryRestored":
    case "MemoryFrozen":
    case "MemoryProcessingFailed":
    case "MemoryErased":
      return undefined;
  }
}

/**
 * Whether `graphChangesFor` needs the memory's open edges for this event; the
 * store skips the lookup otherwise. MemoryCreated starts a new stream, so its
 * memory owns no edges yet.
 */
export function needsOpenEdges(event: ProjectionEvent): boolean {
  if (event.kind !== "memory") return false;
  const type = event.event.type;
  return type === "MemoryEdited" || type === "MemoryReverted" || type === "MemoryMerged";
}

/** The log point of an event, its time normalised so stored times compare as strings. */
export function logPointOf(envelope: Envelope): LogPoint {
  return { position: envelope.position, time: normaliseTime(envelope.metadata.recordedAt) };
}

const canonicalTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `2026-03-01T09:00:00Z` → `2026-03-01T09:00:00.000Z`; rejects what is not a time. */
export function normaliseTime(time: string): string {
  // The injected clock already writes this form; skipping the parse saves a Date per event.
  if (canonicalTime.test(time)) return time;
  const millis = Date.parse(time);
  if (Number.isNaN(millis)) throw new RangeError(`"${time}" is not an ISO-8601 time; use e.g. 2026-03-01T09:00:00Z`);
  return new Date(millis).toISOString();
}

export const edgeKeyString = (edge: EdgeKey): string => `${edge.type}\u001f${edge.src}\u001f${edge.dst}\u001f${edge.origin}`;

/**
 * The graph changes of one event, given the open edges the event's memory owns
 * (only read for the events `needsOpenEdges` names; pass [] otherwise).
 */
export function graphChangesFor(event: ProjectionEvent, openEdges: readonly EdgeKey[], extraction: GraphEntityExtraction = "caps"): GraphChanges {
  const at = logPointOf(event.envelope);
  const none: GraphChanges = { at, ensureNodes: [], labelNodes: [], openEdges: [], closeEdges: [] };
  if (event.kind === "cube") {
    if (event.event.type !== "CubeCreated") return none;
    const { cubeId, name } = event.event.data;
    return { ...none, labelNodes: [{ id: cubeNodeId(cubeId), kind: "cube", label: name }] };
  }
  if (event.kind !== "memory") return none;
  if (event.event.type === "MemoryErased") return { ...none, eraseMemory: memoryNodeId(event.event.data.memoryId) };

  const desired = desiredAfter(event.event, extraction);
  if (desired === undefined) return none;
  const toOpen: EdgeKey[] = [];
  const toClose: EdgeKey[] = [];
  const open = new Set(openEdges.map(edgeKeyString));
  for (const [edgeClass, edges] of Object.entries(desired.edges) as [EdgeClass, readonly EdgeKey[]][]) {
    // Fast path for new units, which own no edges yet: everything opens.
    if (openEdges.length === 0) {
      toOpen.push(...edges);
      continue;
    }
    const wanted = new Set(edges.map(edgeKeyString));
    for (const edge of openEdges) if (edgeClassOf(edge) === edgeClass && !wanted.has(edgeKeyString(edge))) toClose.push(edge);
    for (const edge of edges) if (!open.has(edgeKeyString(edge))) toOpen.push(edge);
  }
  // Only nodes an opened edge touches need to exist; the others already do or are not needed.
  const touched = new Set(toOpen.flatMap((edge) => [edge.src, edge.dst, edge.origin]));
  const ensureNodes = desired.nodes.filter((node) => touched.has(node.id));
  return { at, ensureNodes, labelNodes: [], openEdges: toOpen, closeEdges: toClose };
}

/** Folds a memory's open edges through a change set: what the store does, in memory (for tests and other adapters). */
export function foldOpenEdges(openEdges: readonly EdgeKey[], changes: GraphChanges): EdgeKey[] {
  if (changes.eraseMemory !== undefined) return openEdges.filter((edge) => edge.type === "BELONGS_TO");
  const closed = new Set(changes.closeEdges.map(edgeKeyString));
  return [...openEdges.filter((edge) => !closed.has(edgeKeyString(edge))), ...changes.openEdges];
}
