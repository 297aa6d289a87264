import { QdrantClient, type Schemas } from "@qdrant/js-client-rest";
import type { Embedder } from "../../embedding/embedderPort.js";
import { contentHash, searchableText } from "../../../projections/memoryIntervals.js";
import type { ReadModelDefinition } from "../projectionRunner.js";
import {
  assertCollectionPrefix,
  defaultCollectionPrefix,
  generationOf,
  looksLikeGenerationCollection,
  modelAlias,
  qdrantVectorNames,
  type QdrantVectorNames,
} from "./qdrantNaming.js";
import { vectorReadModel, type VectorHit, type VectorReadModel } from "./vectorReadModel.js";
import { carriedContent, embedBatchContents } from "./batchEmbeddings.js";

export { defaultCollectionPrefix, qdrantVectorNames } from "./qdrantNaming.js";

const projectionVersion = 1;
/** Event positions start at 1, so id 0 is free for the checkpoint point. */
const checkpointPointId = 0;
/** Points per upsert request: 256 vectors of 1,536 floats is ~4 MB of JSON, well under Qdrant's 32 MB limit. */
const upsertChunk = 256;
/** Ids per retrieve request and per has_id filter page. */
const idsPerRequest = 1_000;
const scrollPage = 1_000;
/** memoryId → cubeId, learned from MemoryCreated events and lookups; bounded, oldest dropped first. */
const cubeCacheLimit = 100_000;

/** Every content point: the checkpoint point is the one point without a memory. */
const contentOnly: Schemas["Filter"] = { must_not: [{ has_id: [checkpointPointId] }] };
const payloadIndexes: ReadonlyArray<readonly [string, Schemas["PayloadSchemaType"]]> = [
  ["memoryId", "keyword"],
  ["contentHash", "keyword"],
  ["cubeId", "keyword"],
  ["position", "integer"],
];

export interface QdrantVectorOptions {
  /** e.g. http://localhost:6333; a path (a reverse proxy's prefix) is kept. Without a port the client's default, 6333, is used. */
  readonly url: string;
  readonly apiKey?: string;
  /** Defaults to `memledger_vectors`; letters, digits, '_' and '-'. */
  readonly collectionPrefix?: string;
  readonly embedder: Embedder;
  /** Told the text hashes of erased content before its points are deleted, so derived copies (the embedding cache) can go too. */
  readonly onErasedContent?: (contentHashes: readonly string[]) => void;
  /** Per-request timeout; defaults to 60 s. */
  readonly timeoutMs?: number;
  /** A client of one's own instead of one made from `url` (tests pass an in-memory stand-in). */
  readonly client?: QdrantClient;
}

export interface QdrantVectorStore extends VectorReadModel {
  /** The collection holding this generation. */
  readonly collection: string;
  /** The alias that names the active generation of this model (switched by `activate`). */
  readonly alias: string;
  readonly generation: number;
}

export interface QdrantHealth {
  readonly ok: boolean;
  /** The server's version, when it answered. */
  readonly version?: string;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface QdrantVectorReadModelDefinition extends ReadModelDefinition<QdrantVectorStore> {
  readonly name: typeof vectorReadModel;
  /** The client every generation shares. */
  readonly client: QdrantClient;
  /** Where readers outside memledger find the active generation of the configured model. */
  readonly alias: string;
  readonly open: (file: string) => Promise<QdrantVectorStore>;
  /** Points the model's alias at this generation's collection (delete + create in one atomic alias update). */
  readonly activate: (file: string) => Promise<void>;
  /** Deletes this generation's collections (for any model) and the aliases that still point at them. */
  readonly retire: (file: string) => Promise<void>;
  /**
   * For the readiness endpoint (like the Neo4j graph's): resolves with the
   * server's version and round trip, throws when it cannot be reached.
   * `qdrantHealth(definition.client)` gives the same as a record.
   */
  health(): Promise<string>;
  /** Refuses further use of the generations' stores; the client holds no connection that needs closing (fetch's pool is shared). */
  close(): Promise<void>;
}

/** The checkpoint point's payload: what the SQLite stores keep in their projection_checkpoint and vector_model tables. */
interface CheckpointPayload {
  readonly kind: "checkpoint";
  readonly checkpoint: number;
  readonly projectionVersion: number;
  readonly modelId: string;
  readonly dimensions: number;
  readonly collectionPrefix: string;
  readonly generation: number;
}

/**
 * The vector read model kept in Qdrant, as the projection runner's definition
 * of the `vector` read model. Same behaviour as the embedded store
 * (`sqliteVectorStore.ts`, both held to `../vector.contract.ts`): one point
 * per content version, its id the position of the event that carried the
 * content (MemoryCreated, MemoryEdited, MemoryReverted), embedded by
 * `prepare` before `apply`; MemoryErased deletes every point of the memory.
 *
 * Layout. One collection per generation and embedding model (cosine
 * distance; the embedder's vectors are unit length already), named
 * `<prefix>_<model>_<dimensions>_<generation>`, and per model an alias
 * `<prefix>_<model>_<dimensions>` that `activate` switches to the generation
 * the runner makes live; `retire` drops a replaced generation. A rebuild
 * therefore fills a new collection while readers keep using the alias.
 * Payload of a content point: `kind: "content"`, `memoryId`, `contentHash`
 * (SHA-256 of the embedded text), `position`, and `cubeId` (from the
 * memory's MemoryCreated, seen in this process or read back from one of the
 * memory's points); `memoryId`, `contentHash`, `cubeId` (keyword) and
 * `position` (integer) have payload indexes. A filtered search (`search`
 * with `among`, the memory view's matching set) is a `has_id` filter: the
 * point id is the position, and tags and metadata are not in the payload, so
 * the memory view stays the one judge of what matches. Needs Qdrant 1.10 or
 * later (the Query API).
 *
 * Checkpoint. Qdrant has no transactions, so the checkpoint cannot commit
 * with the batch. It is kept in the collection as point 0 (event positions
 * start at 1), payload `{ kind: "checkpoint", checkpoint, projectionVersion,
 * modelId, dimensions, collectionPrefix, generation }`, excluded from every
 * search and count by a `has_id` filter. `apply` writes in this order, each
 * request with `wait: true`: the batch's points (in chunks), the erasures
 * (in log order with the upserts: pending points are flushed before an
 * erasure), and last the checkpoint; only then does `checkpoint()`, which
 * answers from memory, move on. A crash or failed request anywhere before the
 * checkpoint write leaves the server ahead of the checkpoint, and the runner
 * replays the batch from the old checkpoint. That is safe because:
 *  - upserts are idempotent: a point's id is its content's position, and the
 *    content at a position never changes, so a replay writes the same point
 *    again (the same vector too, through the embedding cache; at worst a
 *    re-embedding of the same text);
 *  - an erasure deletes by filter on `memoryId`, not by a list of ids, so it
 *    removes whatever the memory has, including points a replay has just
 *    re-upserted from before the erasure: replaying [created m1, erased m1]
 *    re-creates m1's point and deletes it again in the same pass, and a
 *    replay never ends with an erased memory's point in place;
 *  - the revision guard: events at or below the cached checkpoint are
 *    skipped, so a batch the store already committed (or an overlapping one)
 *    changes nothing, and an erased memory's old content cannot come back.
 * `onErasedContent` is called before the delete, so every erased hash is
 * reported at least once (a replay may report it again).
 *
 * One writer per generation is assumed (the projection runner); the cached
 * checkpoint is not re-read before each batch.
 *
 * Model change. The collection name carries the model, so another model
 * opens another collection. If this generation already has a collection of a
 * different model (or ours records a different model id),
 * `storedProjectionVersion()` is -1 and the runner rebuilds into a new
 * generation, then retires this one, deleting both models' collections.
 */
export function qdrantVectorReadModel(options: QdrantVectorOptions): QdrantVectorReadModelDefinition {
  const prefix = options.collectionPrefix ?? defaultCollectionPrefix;
  assertCollectionPrefix(prefix);
  const client = options.client ?? createQdrantClient(options.url, options.apiKey, options.timeoutMs ?? 60_000);
  const { embedder } = options;
  const namesOf = (file: string) => qdrantVectorNames(prefix, embedder.modelId, embedder.dimensions, file);

  const opened = new Set<QdrantVectorStore>();

  return {
    name: vectorReadModel,
    client,
    alias: modelAlias(prefix, embedder.modelId, embedder.dimensions),
    open: async (file) => {
      const store = await openQdrantVectorStore(client, prefix, namesOf(file), options);
      opened.add(store);
      return store;
    },
    activate: async (file) => {
      const { collection, alias } = namesOf(file);
      await qdrantCall(`switch alias ${alias} to ${collection}`, async () => {
        const { aliases } = await client.getAliases();
        const current = aliases.find((a) => a.alias_name === alias);
        if (current?.collection_name === collection) return;
        const actions: Schemas["AliasOperations"][] = [];
        if (current) actions.push({ delete_alias: { alias_name: alias } });
        actions.push({ create_alias: { alias_name: alias, collection_name: collection } });
        await client.updateCollectionAliases({ actions });
      });
    },
    retire: async (file) => {
      const generation = generationOf(file);
      const own = namesOf(file).collection;
      await qdrantCall(`drop generation ${generation} (${own})`, async () => {
        const doomed = new Set([own, ...(await collectionsOfGeneration(client, prefix, generation))]);
        const { aliases } = await client.getAliases();
        const aliasActions: Schemas["AliasOperations"][] = aliases
          .filter((a) => doomed.has(a.collection_name))
          .map((a) => ({ delete_alias: { alias_name: a.alias_name } }));
        if (aliasActions.length > 0) await client.updateCollectionAliases({ actions: aliasActions });
        for (const collection of doomed) {
          if ((await client.collectionExists(collection)).exists) await client.deleteCollection(collection);
        }
      });
    },
    health: async () => {
      const health = await qdrantHealth(client);
      if (!health.ok) throw new Error(`Qdrant at ${withoutCredentials(options.url)} cannot be reached: ${health.error}`);
      return `Qdrant ${health.version ?? "?"} (${health.latencyMs} ms)`;
    },
    close: async () => {
      for (const store of opened) store.close();
      opened.clear();
    },
  };
}

/** For readiness endpoints: can the server be reached, which version is it, how long does a round trip take. */
export async function qdrantHealth(client: QdrantClient): Promise<QdrantHealth> {
  const started = performance.now();
  try {
    const info = await client.versionInfo();
    return { ok: true, latencyMs: Math.round(performance.now() - started), ...(typeof info.version === "string" ? { version: info.version } : {}) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: describeError(error) };
  }
}

function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//");
}

async function openQdrantVectorStore(client: QdrantClient, prefix: string, names: QdrantVectorNames, options: QdrantVectorOptions): Promise<QdrantVectorStore> {
  const { embedder } = options;
  const { collection, alias, generation } = names;
  const dimensions = embedder.dimensions;
  if (!Number.isInteger(dimensions) || dimensions <= 0) throw new Error(`embedder ${embedder.modelId} reports ${dimensions} dimensions`);

  const initial = await qdrantCall(`open collection ${collection}`, async () => {
    await ensureCollection(client, collection, dimensions);
    let stored = await readCheckpointPoint(client, collection);
    if (!stored) {
      // New (or created by a run that crashed before its first checkpoint): start at 0; any points there are replayed over.
      stored = { kind: "checkpoint", checkpoint: 0, projectionVersion, modelId: embedder.modelId, dimensions, collectionPrefix: prefix, generation };
      await writeCheckpointPoint(client, collection, stored);
    }
    const otherModels = (await collectionsOfGeneration(client, prefix, generation)).filter((name) => name !== collection);
    const size = await countContent(client, collection);
    return { stored, otherModels, size };
  });
  const { stored } = initial;
  const ownModel = stored.modelId === embedder.modelId && stored.dimensions === dimensions;
  const sameModel = ownModel && initial.otherModels.length === 0;

  let checkpoint = stored.checkpoint;
  let size = initial.size;
  let closed = false;
  /** Embeddings fetched by `prepare` for the batch about to be applied, by text hash. */
  let prepared = new Map<string, Float32Array>();
  const cubes = new Map<string, string>();
  const rememberCube = (memoryId: string, cubeId: string) => {
    cubes.delete(memoryId);
    cubes.set(memoryId, cubeId);
    if (cubes.size > cubeCacheLimit) cubes.delete(cubes.keys().next().value!);
  };

  const assertUsable = () => {
    if (closed) throw new Error(`the Qdrant vector store for ${collection} is closed`);
  };

  /** Cube ids of memories whose MemoryCreated this process has not seen, from one of their points. */
  const lookUpCubes = async (memoryIds: readonly string[]) => {
    for (let i = 0; i < memoryIds.length; i += 100) {
      const chunk = memoryIds.slice(i, i + 100);
      const answers = await client.queryBatch(collection, {
        searches: chunk.map((memoryId) => ({ filter: memoryFilter(memoryId), limit: 1, with_payload: ["cubeId"], with_vector: false })),
      });
      answers.forEach((answer, j) => {
        const cubeId = answer.points[0]?.payload?.cubeId;
        if (typeof cubeId === "string") rememberCube(chunk[j]!, cubeId);
      });
    }
  };

  const erase = async (memoryId: string) => {
    const hashes = new Set<string>();
    let offset: Schemas["ExtendedPointId"] | undefined;
    do {
      const page = await client.scroll(collection, {
        filter: memoryFilter(memoryId),
        limit: scrollPage,
        with_payload: ["contentHash"],
        with_vector: false,
        ...(offset !== undefined ? { offset } : {}),
      });
      for (const point of page.points) {
        const hash = point.payload?.contentHash;
        if (typeof hash === "string") hashes.add(hash);
      }
      offset = pointIdOrUndefined(page.next_page_offset);
    } while (offset !== undefined);
    // Before the delete: if it then fails, the worst case is re-embedding text that is being erased anyway.
    if (hashes.size > 0) options.onErasedContent?.([...hashes]);
    // By filter, not by the ids just found: whatever the memory has goes, whichever run wrote it.
    await client.delete(collection, { wait: true, filter: memoryFilter(memoryId) });
  };

  const upsertAll = async (points: Schemas["PointStruct"][]) => {
    for (let i = 0; i < points.length; i += upsertChunk) {
      await client.upsert(collection, { wait: true, points: points.slice(i, i + upsertChunk) });
    }
  };

  return {
    name: vectorReadModel,
    projectionVersion,
    collection,
    alias,
    generation,
    modelId: embedder.modelId,
    dimensions,
    get size() {
      return size;
    },
    storedProjectionVersion: () => (sameModel ? stored.projectionVersion : -1),
    checkpoint: () => checkpoint,
    prepare: async (batch) => {
      assertUsable();
      prepared = await embedBatchContents(embedder, batch, checkpoint);
    },
    apply: async (batch) => {
      assertUsable();
      if (!ownModel) {
        throw new Error(`Qdrant collection ${collection} holds vectors of model ${stored.modelId} (${stored.dimensions} dimensions), not ${embedder.modelId} (${dimensions})`);
      }
      // Plan the whole batch first, so a batch that cannot be applied writes nothing.
      type Step =
        | { readonly kind: "upsert"; readonly position: number; readonly memoryId: string; readonly hash: string; readonly vector: Float32Array }
        | { readonly kind: "erase"; readonly memoryId: string };
      const from = checkpoint;
      let last = from;
      const steps: Step[] = [];
      for (const item of batch) {
        const position = item.envelope.position;
        if (position <= last) continue;
        last = position;
        if (item.kind !== "memory") continue;
        const { event } = item;
        if (event.type === "MemoryCreated") rememberCube(event.data.memoryId, event.data.cubeId);
        if (event.type === "MemoryErased") {
          steps.push({ kind: "erase", memoryId: event.data.memoryId });
          continue;
        }
        const content = carriedContent(item);
        if (!content) continue;
        const hash = contentHash(searchableText(content));
        const vector = prepared.get(hash);
        if (!vector) throw new Error(`no embedding prepared for content at position ${position}; prepare() must run before apply()`);
        if (vector.length !== dimensions) throw new Error(`embedder ${embedder.modelId} gave ${vector.length} dimensions for content at position ${position}, expected ${dimensions}`);
        steps.push({ kind: "upsert", position, memoryId: event.data.memoryId, hash, vector });
      }
      if (last === from) return;

      await qdrantCall(`apply events ${from + 1}..${last} to ${collection}`, async () => {
        const unknownCubes = new Set<string>();
        for (const step of steps) if (step.kind === "upsert" && !cubes.has(step.memoryId)) unknownCubes.add(step.memoryId);
        if (unknownCubes.size > 0) await lookUpCubes([...unknownCubes]);

        let pending: Schemas["PointStruct"][] = [];
        for (const step of steps) {
          if (step.kind === "upsert") {
            const cubeId = cubes.get(step.memoryId);
            pending.push({
              id: step.position,
              vector: Array.from(step.vector),
              payload: { kind: "content", memoryId: step.memoryId, contentHash: step.hash, position: step.position, ...(cubeId !== undefined ? { cubeId } : {}) },
            });
          } else {
            await upsertAll(pending);
            pending = [];
            await erase(step.memoryId);
          }
        }
        await upsertAll(pending);
        await writeCheckpointPoint(client, collection, { ...stored, checkpoint: last });
      });
      checkpoint = last;
      prepared = new Map();
      try {
        size = await countContent(client, collection);
      } catch {
        // The batch is committed; a failed count only leaves `size` stale until the next batch refreshes it.
      }
    },
    search: async (query, k, among) => {
      assertUsable();
      assertQuery(query, dimensions, k);
      const ids = among === undefined ? undefined : positionIds(among);
      if (k === 0 || ids?.length === 0) return [];
      // A filter is an id list: point ids are the positions, always indexed, and tags are not in the
      // payload (the memory view decides what matches). Qdrant's planner then walks the HNSW graph with
      // the filter, or scans the ids when they are few; content ids are never the checkpoint point's.
      const filter: Schemas["Filter"] = ids === undefined ? contentOnly : { must: [{ has_id: ids }] };
      const { points } = await qdrantCall(`search ${collection}`, () =>
        client.query(collection, { query: Array.from(query), filter, limit: k, with_payload: false, with_vector: false }),
      );
      return toHits(points);
    },
    searchExact: async (query, k, contentPositions) => {
      assertUsable();
      assertQuery(query, dimensions, k);
      const ids = positionIds(contentPositions);
      if (k === 0 || ids.length === 0) return [];
      const { points } = await qdrantCall(`exact search in ${collection}`, () =>
        client.query(collection, {
          query: Array.from(query),
          filter: { must: [{ has_id: ids }] },
          params: { exact: true },
          limit: k,
          with_payload: false,
          with_vector: false,
        }),
      );
      return toHits(points);
    },
    vectorsOf: async (contentPositions) => {
      assertUsable();
      const out = new Map<number, Float32Array>();
      const ids = positionIds(contentPositions);
      for (let i = 0; i < ids.length; i += idsPerRequest) {
        const records = await qdrantCall(`read vectors from ${collection}`, () =>
          client.retrieve(collection, { ids: ids.slice(i, i + idsPerRequest), with_payload: false, with_vector: true }),
        );
        for (const record of records) {
          const vector = denseVector(record.vector);
          if (typeof record.id === "number" && vector) out.set(record.id, vector);
        }
      }
      return out;
    },
    close: () => {
      // The client holds no connection of its own to release (fetch's pool is shared); refuse further use.
      closed = true;
    },
  };
}

/** Creates the collection and its payload indexes unless they exist (another process may race us: losing is fine). */
async function ensureCollection(client: QdrantClient, collection: string, dimensions: number): Promise<void> {
  if (!(await client.collectionExists(collection)).exists) {
    try {
      await client.createCollection(collection, { vectors: { size: dimensions, distance: "Cosine" } });
    } catch (error) {
      if (!(await client.collectionExists(collection)).exists) throw error;
    }
  }
  const info = await client.getCollection(collection);
  const configured = info.config.params.vectors;
  const size = configured && "size" in configured && typeof configured.size === "number" ? configured.size : undefined;
  if (size !== dimensions) {
    throw new Error(`Qdrant collection ${collection} is not a single unnamed vector of ${dimensions} dimensions (found ${JSON.stringify(configured)})`);
  }
  for (const [field_name, field_schema] of payloadIndexes) {
    if (!info.payload_schema[field_name]) await client.createPayloadIndex(collection, { field_name, field_schema, wait: true });
  }
}

async function readCheckpointPoint(client: QdrantClient, collection: string): Promise<CheckpointPayload | undefined> {
  const [record] = await client.retrieve(collection, { ids: [checkpointPointId], with_payload: true, with_vector: false });
  return parseCheckpoint(record?.payload);
}

async function writeCheckpointPoint(client: QdrantClient, collection: string, payload: CheckpointPayload): Promise<void> {
  // Cosine needs a non-zero vector; this one is never searched (every query filters point 0 out).
  const axis = new Array<number>(payload.dimensions).fill(0);
  axis[0] = 1;
  await client.upsert(collection, { wait: true, points: [{ id: checkpointPointId, vector: axis, payload: { ...payload } }] });
}

function parseCheckpoint(payload: unknown): CheckpointPayload | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const isInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
  if (p.kind !== "checkpoint" || !isInteger(p.checkpoint) || !isInteger(p.projectionVersion) || !isInteger(p.dimensions) || !isInteger(p.generation)) return undefined;
  if (typeof p.modelId !== "string" || typeof p.collectionPrefix !== "string") return undefined;
  return {
    kind: "checkpoint",
    checkpoint: p.checkpoint,
    projectionVersion: p.projectionVersion,
    modelId: p.modelId,
    dimensions: p.dimensions,
    collectionPrefix: p.collectionPrefix,
    generation: p.generation,
  };
}

/** Collections of this prefix and generation, for any model, confirmed by their checkpoint point. */
async function collectionsOfGeneration(client: QdrantClient, prefix: string, generation: number): Promise<string[]> {
  const { collections } = await client.getCollections();
  const found: string[] = [];
  for (const { name } of collections) {
    if (!looksLikeGenerationCollection(prefix, generation, name)) continue;
    const stored = await readCheckpointPoint(client, name);
    if (stored?.collectionPrefix === prefix && stored.generation === generation) found.push(name);
  }
  return found;
}

async function countContent(client: QdrantClient, collection: string): Promise<number> {
  return (await client.count(collection, { filter: contentOnly, exact: true })).count;
}

function memoryFilter(memoryId: string): Schemas["Filter"] {
  return { must: [{ key: "memoryId", match: { value: memoryId } }] };
}

/** Content positions as point ids: positive integers, each once (anything else cannot name a content point). */
function positionIds(positions: Iterable<number>): number[] {
  const ids = new Set<number>();
  for (const position of positions) if (Number.isSafeInteger(position) && position > checkpointPointId) ids.add(position);
  return [...ids];
}

/** Same checks as the embedded index, so both stores reject the same queries. */
function assertQuery(query: Float32Array, dimensions: number, k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`vector search k must be a non-negative integer, got ${k}`);
  if (query.length !== dimensions) throw new RangeError(`the vector read model holds ${dimensions}-dimensional vectors, but the query vector has ${query.length} dimensions`);
  let squaredNorm = 0;
  for (const value of query) squaredNorm += value * value;
  if (!Number.isFinite(squaredNorm)) throw new RangeError("the query vector contains NaN or infinite components");
  if (squaredNorm === 0) throw new RangeError("the query vector is all zeros, so its cosine similarity is undefined");
}

/** Best first, ties to the lower position (as the embedded index orders them); similarity clamped to [-1, 1]. */
function toHits(points: readonly Schemas["ScoredPoint"][]): VectorHit[] {
  const hits: VectorHit[] = [];
  for (const point of points) {
    if (typeof point.id === "number" && point.id !== checkpointPointId) hits.push({ label: point.id, similarity: Math.min(1, Math.max(-1, point.score)) });
  }
  return hits.sort((a, b) => b.similarity - a.similarity || a.label - b.label);
}

function denseVector(vector: Schemas["Record"]["vector"]): Float32Array | undefined {
  if (!Array.isArray(vector) || vector.length === 0 || typeof vector[0] !== "number") return undefined;
  return Float32Array.from(vector as number[]);
}

function pointIdOrUndefined(id: unknown): Schemas["ExtendedPointId"] | undefined {
  return typeof id === "number" || typeof id === "string" ? id : undefined;
}

/**
 * A client for the URL as written: its path becomes the client's prefix (the
 * client would drop it), an explicit port is kept even when it is the
 * scheme's default (which URL parsing forgets).
 */
function createQdrantClient(url: string, apiKey: string | undefined, timeoutMs: number): QdrantClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Qdrant URL must be an http:// or https:// URL (e.g. http://localhost:6333), not "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`Qdrant URL must be an http:// or https:// URL (e.g. http://localhost:6333), not "${url}"`);
  }
  const explicitPort = /^https?:\/\/[^/?#]*:(\d+)(?=[/?#]|$)/i.exec(url)?.[1];
  const path = parsed.pathname.replace(/\/+$/, "");
  return new QdrantClient({
    url: parsed.origin,
    ...(explicitPort !== undefined ? { port: Number(explicitPort) } : {}),
    ...(path.length > 0 ? { prefix: path } : {}),
    ...(apiKey ? { apiKey } : {}),
    timeout: timeoutMs,
    // health() reports the version; the client's own check would only log.
    checkCompatibility: false,
  });
}

/** Runs a request, rethrowing its failure with what was being done and the server's own message. */
async function qdrantCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("Qdrant: ")) throw error;
    throw new Error(`Qdrant: could not ${what}: ${describeError(error)}`, { cause: error });
  }
}

/** The client throws its own errors, fetch's TypeError (cause: ECONNREFUSED…) or an ApiError carrying the response body. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  const details = error as Error & { status?: unknown; data?: unknown; cause?: unknown };
  if (typeof details.status === "number") {
    const serverMessage = (details.data as { status?: { error?: unknown } } | undefined)?.status?.error;
    parts.push(`HTTP ${details.status}${typeof serverMessage === "string" ? `: ${serverMessage}` : ""}`);
  }
  if (details.cause instanceof Error) {
    const code = (details.cause as Error & { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${code} ${details.cause.message}` : details.cause.message);
  }
  return parts.join("; ");
}
