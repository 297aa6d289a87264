import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import type { QdrantClient, Schemas } from "@qdrant/js-client-rest";
import { afterEach, describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { hashingEmbedder, vectorStoreContract, type VectorStoreHooks } from "../src/readModels/vector.contract.js";
import { generationOf, looksLikeGenerationCollection, modelAlias, qdrantVectorNames, sanitiseModelId } from "../src/readModels/vector/qdrantNaming.js";
import { qdrantHealth, qdrantVectorReadModel, type QdrantVectorReadModelDefinition, type QdrantVectorStore } from "../src/readModels/vector/qdrantVectorStore.js";

/**
 * The vector contract and the generation tests (alias switch, retire, model
 * change) run twice: against an in-memory stand-in of the REST client, which
 * checks the adapter's own logic (write order, checkpoint point, replays after
 * a failed request) but not Qdrant's behaviour; and against a live Qdrant
 * when QDRANT_URL is set, e.g. `docker compose up -d qdrant` then
 * `QDRANT_URL=http://localhost:6333 npx vitest run test/vector.qdrant.test.ts`.
 * Every live test uses its own collection prefix and deletes its collections
 * and aliases afterwards, so a server holding other data is fine.
 */
const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;
const skipped = "Qdrant vector read model suite SKIPPED: set QDRANT_URL=http://localhost:6333 to run it";

if (!url) console.warn(skipped);

const runId = `mlt${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
let prefixes = 0;
const uniquePrefix = () => `${runId}_${++prefixes}`;

interface Target {
  readonly name: string;
  /** The client a test's definitions share (a fresh stand-in, or undefined: each definition makes one from the URL). */
  newClient(): InMemoryQdrant | undefined;
  readonly url: string;
}

const targets: Target[] = [{ name: "in-memory stand-in of the Qdrant client", newClient: () => new InMemoryQdrant(), url: "http://stand-in.invalid:6333" }];
if (url) targets.push({ name: `Qdrant at ${url.replace(/\/\/[^@/]*@/, "//")}`, newClient: () => undefined, url });

/** Removes every collection and alias a test prefix made. */
async function dropPrefix(client: QdrantClient, prefix: string): Promise<void> {
  const { aliases } = await client.getAliases();
  const mine = aliases.filter((a) => a.alias_name.startsWith(`${prefix}_`));
  if (mine.length > 0) await client.updateCollectionAliases({ actions: mine.map((a) => ({ delete_alias: { alias_name: a.alias_name } })) });
  const { collections } = await client.getCollections();
  for (const { name } of collections) if (name.startsWith(`${prefix}_`)) await client.deleteCollection(name);
}

function definitionFor(target: Target, stand: InMemoryQdrant | undefined, prefix: string, hooks: Partial<VectorStoreHooks> = {}): QdrantVectorReadModelDefinition {
  return qdrantVectorReadModel({
    url: target.url,
    ...(apiKey && !stand ? { apiKey } : {}),
    collectionPrefix: prefix,
    embedder: hooks.embedder ?? hashingEmbedder(),
    ...(hooks.onErasedContent ? { onErasedContent: hooks.onErasedContent } : {}),
    ...(stand ? { client: stand.asClient() } : {}),
  });
}

for (const target of targets) {
  describe(`Qdrant vector read model: ${target.name}`, () => {
    vectorStoreContract(`Qdrant (${target.name})`, async (hooks) => {
      const stand = target.newClient();
      const prefix = uniquePrefix();
      const definition = definitionFor(target, stand, prefix, hooks);
      const file = "/data/read-models/vector-1.db";
      let store: QdrantVectorStore = await definition.open(file);
      return {
        store,
        reopen: async () => {
          store.close();
          // A new definition (and client) for the same collection, as after a restart.
          store = await definitionFor(target, stand, prefix, hooks).open(file);
          return store;
        },
        cleanup: async () => {
          store.close();
          await dropPrefix(definition.client, prefix);
          await definition.close();
        },
      };
    });

    describe("generations and aliases", () => {
      const cleanups: Array<() => Promise<void>> = [];
      afterEach(async () => {
        for (const cleanup of cleanups.splice(0)) await cleanup();
      });
      const setUp = (embedder = hashingEmbedder()) => {
        const stand = target.newClient();
        const prefix = uniquePrefix();
        const definition = definitionFor(target, stand, prefix, { embedder });
        cleanups.push(async () => {
          await dropPrefix(definition.client, prefix);
          await definition.close();
        });
        return { stand, prefix, definition, embedder, other: (otherEmbedder = hashingEmbedder()) => definitionFor(target, stand, prefix, { embedder: otherEmbedder }) };
      };
      const aliasTarget = async (definition: QdrantVectorReadModelDefinition, alias: string) =>
        (await definition.client.getAliases()).aliases.find((a) => a.alias_name === alias)?.collection_name;
      const exists = async (definition: QdrantVectorReadModelDefinition, collection: string) => (await definition.client.collectionExists(collection)).exists;

      it("opens one collection per generation and model, with payload indexes, and the alias follows activate", async () => {
        const { prefix, definition } = setUp();
        const one = await definition.open("/data/vector-1.db");
        expect(one.collection).toBe(`${prefix}_test_hashing-embedder_64_1`);
        expect(one.alias).toBe(`${prefix}_test_hashing-embedder_64`);
        expect(definition.alias).toBe(one.alias);
        expect(one.generation).toBe(1);
        const info = await definition.client.getCollection(one.collection);
        expect(Object.keys(info.payload_schema).sort()).toEqual(["contentHash", "cubeId", "memoryId", "position"]);
        expect(info.payload_schema.memoryId?.data_type).toBe("keyword");
        expect(info.payload_schema.position?.data_type).toBe("integer");

        const log = projectionEventLog();
        const batch = [log.created("m1", contentOf("Caroline painted a sunset"), { cubeId: "cube-7" }), log.edited("m1", contentOf("Caroline painted the lake"))];
        await one.prepare!(batch);
        await one.apply(batch);
        // Every version carries its memory's cube, the edit too.
        const points = await definition.client.retrieve(one.collection, { ids: [1, 2], with_payload: true });
        expect(points.map((p) => p.payload?.cubeId)).toEqual(["cube-7", "cube-7"]);
        expect(points.map((p) => p.payload?.memoryId)).toEqual(["m1", "m1"]);

        await definition.activate("/data/vector-1.db");
        expect(await aliasTarget(definition, one.alias)).toBe(one.collection);
        // Through the alias, a reader sees the generation's points.
        expect((await definition.client.count(one.alias, { exact: true, filter: { must: [{ key: "memoryId", match: { value: "m1" } }] } })).count).toBe(2);
        await definition.activate("/data/vector-1.db");
        expect(await aliasTarget(definition, one.alias)).toBe(one.collection);

        const two = await definition.open("/data/vector-2.db");
        expect(two.collection).toBe(`${prefix}_test_hashing-embedder_64_2`);
        expect(two.checkpoint()).toBe(0);
        expect(two.size).toBe(0);
        await definition.activate("/data/vector-2.db");
        expect(await aliasTarget(definition, one.alias)).toBe(two.collection);

        await definition.retire("/data/vector-1.db");
        expect(await exists(definition, one.collection)).toBe(false);
        expect(await exists(definition, two.collection)).toBe(true);
        expect(await aliasTarget(definition, one.alias)).toBe(two.collection);
        // Retiring what is already gone is harmless.
        await definition.retire("/data/vector-1.db");
      });

      it("a generation holding another model's collection asks for a rebuild, and retire drops both models' collections", async () => {
        const { definition, other } = setUp();
        const first = await definition.open("/data/vector-3.db");
        expect(first.storedProjectionVersion!()).toBe(first.projectionVersion);
        const log = projectionEventLog();
        const batch = [log.created("m1", contentOf("Caroline painted a sunset"))];
        await first.prepare!(batch);
        await first.apply(batch);
        await definition.activate("/data/vector-3.db");
        first.close();

        const otherModel = other(hashingEmbedder({ modelId: "Other/Model v2", dimensions: 32 }));
        const switched = await otherModel.open("/data/vector-3.db");
        expect(switched.collection).toMatch(/_other_model_v2_32_3$/);
        expect(switched.storedProjectionVersion!()).toBe(-1);
        // What the runner does then: a new generation for the new model, activated, the old one retired.
        const fresh = await otherModel.open("/data/vector-4.db");
        expect(fresh.storedProjectionVersion!()).toBe(fresh.projectionVersion);
        await otherModel.activate("/data/vector-4.db");
        await otherModel.retire("/data/vector-3.db");
        expect(await exists(definition, first.collection)).toBe(false);
        expect(await exists(definition, switched.collection)).toBe(false);
        expect(await exists(definition, fresh.collection)).toBe(true);
        expect(await aliasTarget(definition, first.alias)).toBeUndefined();
        expect(await aliasTarget(definition, fresh.alias)).toBe(fresh.collection);
      });

      it("reports the server's version for the readiness endpoint", async () => {
        const { definition } = setUp();
        expect(await definition.health()).toMatch(/^Qdrant \S+ \(\d+ ms\)$/);
        const health = await qdrantHealth(definition.client);
        expect(health.ok).toBe(true);
        expect(typeof health.version).toBe("string");
      });
    });
  });
}

describe("Qdrant vector read model after failed requests (in-memory stand-in)", () => {
  const setUp = () => {
    const stand = new InMemoryQdrant();
    const erased: string[] = [];
    const open = () =>
      qdrantVectorReadModel({ url: "http://stand-in.invalid:6333", collectionPrefix: "t", embedder: hashingEmbedder(), onErasedContent: (h) => erased.push(...h), client: stand.asClient() }).open(
        "/data/vector-1.db",
      );
    return { stand, erased, open };
  };
  const fold = async (store: QdrantVectorStore, batch: Parameters<QdrantVectorStore["apply"]>[0]) => {
    await store.prepare!(batch);
    await store.apply(batch);
  };

  it("writes the batch's points, then its erasures, then the checkpoint, each waited for", async () => {
    const { stand, open } = setUp();
    const store = await open();
    const log = projectionEventLog();
    stand.requests.length = 0;
    await fold(store, [log.created("m1", contentOf("a b c")), log.erased("m1"), log.created("m2", contentOf("d e f"))]);
    expect(stand.requests.filter((r) => r.startsWith("upsert") || r.startsWith("delete"))).toEqual(["upsert 1 wait", "delete filter wait", "upsert 3 wait", "upsert 0 wait"]);
  });

  it("a failure before the checkpoint write leaves the checkpoint where it was, and the replay converges", async () => {
    const { stand, open } = setUp();
    const store = await open();
    const log = projectionEventLog();
    await fold(store, [log.created("m1", contentOf("Caroline painted a sunset"))]);
    const batch = [log.created("m2", contentOf("Melanie went hiking")), log.edited("m1", contentOf("Caroline painted the lake"))];
    stand.failWhen = (request) => request === "upsert 0 wait";
    await expect(fold(store, batch)).rejects.toThrow(/Qdrant: could not apply events 2\.\.3/);
    expect(store.checkpoint()).toBe(1);
    // The points went in ahead of the checkpoint.
    expect(stand.pointIds(store.collection)).toEqual([0, 1, 2, 3]);

    stand.failWhen = undefined;
    await fold(store, batch);
    expect(store.checkpoint()).toBe(3);
    expect(store.size).toBe(3);
    const reopened = await open();
    expect(reopened.checkpoint()).toBe(3);
    expect(reopened.size).toBe(3);
  });

  it("an erasure whose checkpoint was never written cannot resurrect the memory when replayed from an older checkpoint", async () => {
    const { stand, erased, open } = setUp();
    const store = await open();
    const log = projectionEventLog();
    const before = log.created("m0", contentOf("Bank rates rose"));
    await fold(store, [before]);
    const batch = [log.created("m1", contentOf("Oswin phoned Caroline")), log.edited("m1", contentOf("Zebediah phoned Caroline")), log.erased("m1")];
    stand.failWhen = (request) => request === "upsert 0 wait";
    await expect(fold(store, batch)).rejects.toThrow();
    expect(stand.pointIds(store.collection)).toEqual([0, 1]);
    expect(erased).toHaveLength(2);

    // A restart: the checkpoint on the server is still 1, the batch comes again.
    stand.failWhen = undefined;
    const restarted = await open();
    expect(restarted.checkpoint()).toBe(1);
    await fold(restarted, batch);
    expect(restarted.checkpoint()).toBe(4);
    expect(stand.pointIds(restarted.collection)).toEqual([0, 1]);
    expect(restarted.size).toBe(1);
    expect(new Set(erased).size).toBe(2);
  });

  it("a failed upsert leaves nothing half-counted: checkpoint and size stay, the retry completes", async () => {
    const { stand, open } = setUp();
    const store = await open();
    const log = projectionEventLog();
    const batch = [log.created("m1", contentOf("a")), log.created("m2", contentOf("b"))];
    stand.failWhen = (request) => request.startsWith("upsert 1");
    await expect(fold(store, batch)).rejects.toThrow(/could not apply/);
    expect(store.checkpoint()).toBe(0);
    expect(store.size).toBe(0);
    stand.failWhen = undefined;
    await fold(store, batch);
    expect(store.checkpoint()).toBe(2);
    expect(store.size).toBe(2);
  });

  it("splits big batches into requests of at most 256 points", async () => {
    const { stand, open } = setUp();
    const store = await open();
    const log = projectionEventLog();
    const batch = Array.from({ length: 600 }, (_, i) => log.created(`m${i}`, contentOf(`note number ${i}`)));
    stand.requests.length = 0;
    await fold(store, batch);
    expect(stand.requests.filter((r) => r.startsWith("upsert")).map((r) => r.split(" ")[1])).toEqual(["1", "257", "513", "0"]);
    expect(store.size).toBe(600);
    expect((await store.vectorsOf(Array.from({ length: 1_200 }, (_, i) => i + 1))).size).toBe(600);
  });
});

describe("Qdrant vector read model: names and connection", () => {
  it("names collections and aliases by prefix, sanitised model, dimensions and generation", () => {
    expect(sanitiseModelId("Xenova/all-MiniLM-L6-v2")).toBe("xenova_all-minilm-l6-v2");
    expect(sanitiseModelId("openai:text-embedding-3-small")).toBe("openai_text-embedding-3-small");
    expect(sanitiseModelId("///")).toBe("model");
    expect(generationOf("/var/lib/memledger/read-models/vector-12.db")).toBe(12);
    expect(generationOf("vector-3")).toBe(3);
    expect(() => generationOf("/tmp/vector.db")).toThrow(/generation file named like "vector-3.db"/);
    expect(modelAlias("memledger_vectors", "Xenova/all-MiniLM-L6-v2", 384)).toBe("memledger_vectors_xenova_all-minilm-l6-v2_384");
    expect(qdrantVectorNames("memledger_vectors", "Xenova/all-MiniLM-L6-v2", 384, "/d/vector-3.db")).toEqual({
      generation: 3,
      alias: "memledger_vectors_xenova_all-minilm-l6-v2_384",
      collection: "memledger_vectors_xenova_all-minilm-l6-v2_384_3",
    });
    expect(looksLikeGenerationCollection("memledger_vectors", 3, "memledger_vectors_xenova_all-minilm-l6-v2_384_3")).toBe(true);
    expect(looksLikeGenerationCollection("memledger_vectors", 3, "memledger_vectors_xenova_all-minilm-l6-v2_384_13")).toBe(false);
    expect(looksLikeGenerationCollection("memledger_vectors", 3, "memledger_vectors_xenova_all-minilm-l6-v2_384")).toBe(false);
    expect(looksLikeGenerationCollection("memledger.vectors", 3, "memledgerXvectors_m_384_3")).toBe(false);
  });

  it("rejects a bad prefix or URL before connecting", () => {
    const embedder = hashingEmbedder();
    expect(() => qdrantVectorReadModel({ url: "http://localhost:6333", collectionPrefix: "bad prefix!", embedder })).toThrow(/letters, digits/);
    expect(() => qdrantVectorReadModel({ url: "localhost:6333", embedder })).toThrow(/http:\/\/ or https:\/\/ URL/);
    expect(() => qdrantVectorReadModel({ url: "not a url", embedder })).toThrow(/http:\/\/ or https:\/\/ URL/);
  });

  it("says plainly when the server cannot be reached", async () => {
    // A loopback port just freed: nothing listens there, the connection is refused at once.
    const port = await freePort();
    const definition = qdrantVectorReadModel({ url: `http://user:secret@127.0.0.1:${port}`, embedder: hashingEmbedder(), timeoutMs: 5_000 });
    const health = await qdrantHealth(definition.client);
    expect(health.ok).toBe(false);
    expect(health.error).toMatch(/fetch failed; ECONNREFUSED/);
    const health2 = definition.health();
    await expect(health2).rejects.toThrow(`Qdrant at http://127.0.0.1:${port} cannot be reached: fetch failed; ECONNREFUSED`);
    await expect(health2).rejects.not.toThrow(/secret/);
    await expect(definition.open("/data/vector-1.db")).rejects.toThrow(/^Qdrant: could not open collection memledger_vectors_test_hashing-embedder_64_1: fetch failed/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("Qdrant vector read model availability", () => {
  it.runIf(!url)(skipped, () => {});
  it.runIf(!!url)(`runs the contract and generation tests against ${(url ?? "").replace(/\/\/[^@/]*@/, "//")}`, () => {});
});

/**
 * The part of the Qdrant REST client the adapter uses, in memory, following
 * Qdrant's documented behaviour: cosine collections store vectors normalised,
 * a query without a vector lists points by id, aliases resolve wherever a
 * collection name is accepted, deleting a collection drops its aliases. It
 * logs each write (`upsert <first id> wait`, `delete filter wait`) and can be
 * told to fail a request, to stand for a crash between two writes. Where
 * Qdrant's behaviour is not documented it is strict (creating an alias that
 * exists, deleting one that does not: errors).
 */
class InMemoryQdrant {
  readonly requests: string[] = [];
  failWhen: ((request: string) => boolean) | undefined;
  private readonly collections = new Map<string, StandInCollection>();
  private readonly aliases = new Map<string, string>();

  asClient(): QdrantClient {
    return this as unknown as QdrantClient;
  }

  pointIds(name: string): number[] {
    return [...this.resolve(name).points.keys()].sort((a, b) => a - b);
  }

  private log(request: string): void {
    this.requests.push(request);
    if (this.failWhen?.(request)) throw new TypeError(`fetch failed (stand-in failure of "${request}")`);
  }

  private resolve(name: string): StandInCollection {
    const collection = this.collections.get(this.aliases.get(name) ?? name);
    if (!collection) throw Object.assign(new Error("Not Found"), { status: 404, data: { status: { error: `Collection \`${name}\` doesn't exist!` } } });
    return collection;
  }

  async versionInfo(): Promise<Schemas["VersionInfo"]> {
    return { title: "qdrant - vector search engine (stand-in)", version: "0.0.0-stand-in" };
  }

  async collectionExists(name: string): Promise<Schemas["CollectionExistence"]> {
    return { exists: this.collections.has(name) };
  }

  async getCollections(): Promise<Schemas["CollectionsResponse"]> {
    return { collections: [...this.collections.keys()].map((name) => ({ name })) };
  }

  async createCollection(name: string, args: Parameters<QdrantClient["createCollection"]>[1]): Promise<boolean> {
    this.log(`createCollection ${name}`);
    if (this.collections.has(name) || this.aliases.has(name)) throw Object.assign(new Error("Conflict"), { status: 409 });
    const vectors = args.vectors as Schemas["VectorParams"];
    this.collections.set(name, { size: vectors.size, distance: vectors.distance, points: new Map(), indexes: new Map() });
    return true;
  }

  async getCollection(name: string): Promise<Schemas["CollectionInfo"]> {
    const c = this.resolve(name);
    const payload_schema = Object.fromEntries([...c.indexes].map(([field, type]) => [field, { data_type: type, points: 0 }]));
    return { status: "green", config: { params: { vectors: { size: c.size, distance: c.distance } } }, payload_schema, points_count: c.points.size } as unknown as Schemas["CollectionInfo"];
  }

  async createPayloadIndex(name: string, args: Parameters<QdrantClient["createPayloadIndex"]>[1]): Promise<Schemas["UpdateResult"]> {
    this.log(`createPayloadIndex ${args.field_name}${args.wait ? " wait" : ""}`);
    this.resolve(name).indexes.set(args.field_name, args.field_schema as Schemas["PayloadSchemaType"]);
    return { status: "completed" };
  }

  async deleteCollection(name: string): Promise<boolean> {
    this.log(`deleteCollection ${name}`);
    const existed = this.collections.delete(name);
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    return existed;
  }

  async getAliases(): Promise<Schemas["CollectionsAliasesResponse"]> {
    return { aliases: [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name })) };
  }

  async updateCollectionAliases({ actions }: Parameters<QdrantClient["updateCollectionAliases"]>[0]): Promise<boolean> {
    this.log(`updateCollectionAliases ${actions.length}`);
    const next = new Map(this.aliases);
    for (const action of actions) {
      if ("delete_alias" in action) {
        if (!next.delete(action.delete_alias.alias_name)) throw Object.assign(new Error("Not Found"), { status: 404 });
      } else if ("create_alias" in action) {
        const { alias_name, collection_name } = action.create_alias;
        if (next.has(alias_name) || this.collections.has(alias_name)) throw Object.assign(new Error("Conflict"), { status: 409 });
        if (!this.collections.has(collection_name)) throw Object.assign(new Error("Not Found"), { status: 404 });
        next.set(alias_name, collection_name);
      } else {
        throw new Error("stand-in: alias rename is not supported");
      }
    }
    this.aliases.clear();
    for (const [alias, target] of next) this.aliases.set(alias, target);
    return true;
  }

  async upsert(name: string, args: Parameters<QdrantClient["upsert"]>[1]): Promise<Schemas["UpdateResult"]> {
    if (!("points" in args)) throw new Error("stand-in: only the points list form of upsert is supported");
    this.log(`upsert ${String(args.points[0]?.id)}${args.wait ? " wait" : ""}`);
    const c = this.resolve(name);
    for (const point of args.points) {
      if (typeof point.id !== "number" || !Number.isInteger(point.id) || point.id < 0) throw Object.assign(new Error("Bad Request"), { status: 400 });
      const vector = point.vector as number[];
      if (!Array.isArray(vector) || vector.length !== c.size) throw Object.assign(new Error("Bad Request: wrong vector size"), { status: 400 });
      c.points.set(point.id, { vector: normalised(vector), payload: { ...(point.payload ?? {}) } });
    }
    return { status: args.wait ? "completed" : "acknowledged" };
  }

  async delete(name: string, args: Parameters<QdrantClient["delete"]>[1]): Promise<Schemas["UpdateResult"]> {
    const c = this.resolve(name);
    if ("filter" in args) {
      this.log(`delete filter${args.wait ? " wait" : ""}`);
      for (const [id, point] of c.points) if (matches(args.filter, id, point.payload)) c.points.delete(id);
    } else {
      this.log(`delete points${args.wait ? " wait" : ""}`);
      for (const id of args.points) c.points.delete(Number(id));
    }
    return { status: args.wait ? "completed" : "acknowledged" };
  }

  async retrieve(name: string, args: Parameters<QdrantClient["retrieve"]>[1]): Promise<Schemas["Record"][]> {
    const c = this.resolve(name);
    const out: Schemas["Record"][] = [];
    for (const id of args.ids) {
      const point = c.points.get(Number(id));
      if (point) out.push(record(Number(id), point, args.with_payload ?? true, args.with_vector ?? false));
    }
    return out;
  }

  async count(name: string, args: Parameters<QdrantClient["count"]>[1] = {}): Promise<Schemas["CountResult"]> {
    const c = this.resolve(name);
    return { count: [...c.points].filter(([id, p]) => matches(args.filter, id, p.payload)).length };
  }

  async scroll(name: string, args: Parameters<QdrantClient["scroll"]>[1] = {}): Promise<Schemas["ScrollResult"]> {
    const c = this.resolve(name);
    const limit = args.limit ?? 10;
    const from = typeof args.offset === "number" ? args.offset : 0;
    const ids = [...c.points.keys()].filter((id) => id >= from && matches(args.filter, id, c.points.get(id)!.payload)).sort((a, b) => a - b);
    const page = ids.slice(0, limit);
    return { points: page.map((id) => record(id, c.points.get(id)!, args.with_payload ?? true, args.with_vector ?? false)), next_page_offset: ids[limit] ?? null };
  }

  async query(name: string, args: Parameters<QdrantClient["query"]>[1]): Promise<Schemas["QueryResponse"]> {
    const c = this.resolve(name);
    const limit = args.limit ?? 10;
    const candidates = [...c.points].filter(([id, p]) => matches(args.filter, id, p.payload));
    let scored: Array<{ id: number; score: number; point: StandInPoint }>;
    if (args.query === undefined || args.query === null) {
      scored = candidates.sort(([a], [b]) => a - b).map(([id, point]) => ({ id, score: 0, point }));
    } else {
      if (!Array.isArray(args.query) || typeof args.query[0] !== "number") throw new Error("stand-in: only a dense vector query is supported");
      const query = normalised(args.query as number[]);
      if (query.length !== c.size) throw Object.assign(new Error("Bad Request: wrong vector size"), { status: 400 });
      scored = candidates.map(([id, point]) => ({ id, score: dot(query, point.vector), point })).sort((a, b) => b.score - a.score);
    }
    return {
      points: scored.slice(0, limit).map(({ id, score, point }) => ({ ...record(id, point, args.with_payload ?? false, args.with_vector ?? false), version: 0, score })),
    };
  }

  async queryBatch(name: string, args: Parameters<QdrantClient["queryBatch"]>[1]): Promise<Schemas["QueryResponse"][]> {
    const answers: Schemas["QueryResponse"][] = [];
    for (const search of args.searches) answers.push(await this.query(name, search));
    return answers;
  }
}

interface StandInPoint {
  readonly vector: number[];
  readonly payload: Record<string, unknown>;
}

interface StandInCollection {
  readonly size: number;
  readonly distance: Schemas["Distance"];
  readonly points: Map<number, StandInPoint>;
  readonly indexes: Map<string, Schemas["PayloadSchemaType"]>;
}

function normalised(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  // Cosine collections keep vectors at unit length, in 32-bit floats.
  return norm === 0 ? [...vector] : Array.from(Float32Array.from(vector, (v) => v / norm));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function record(id: number, point: StandInPoint, withPayload: unknown, withVector: unknown): Schemas["Record"] {
  let payload: Record<string, unknown> | undefined;
  if (withPayload === true) payload = { ...point.payload };
  else if (Array.isArray(withPayload)) payload = Object.fromEntries(withPayload.filter((k: string) => k in point.payload).map((k: string) => [k, point.payload[k]]));
  return { id, ...(payload ? { payload } : {}), ...(withVector === true ? { vector: [...point.vector] } : {}) };
}

type AnyCondition = Record<string, unknown>;
const asList = (value: unknown): AnyCondition[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]) as AnyCondition[];

function matches(filter: unknown, id: number, payload: Record<string, unknown>): boolean {
  if (filter === undefined || filter === null) return true;
  const f = filter as Schemas["Filter"];
  const holds = (condition: AnyCondition): boolean => {
    if ("has_id" in condition) return (condition.has_id as unknown[]).some((x) => Number(x) === id);
    if ("must" in condition || "must_not" in condition || "should" in condition) return matches(condition, id, payload);
    if ("key" in condition && typeof condition.key === "string") {
      const match = condition.match as { value?: unknown; any?: unknown[] } | undefined;
      const value = payload[condition.key];
      if (match && "value" in match) return value === match.value;
      if (match && Array.isArray(match.any)) return match.any.includes(value);
    }
    throw new Error(`stand-in: unsupported filter condition ${JSON.stringify(condition)}`);
  };
  const should = asList(f.should);
  return asList(f.must).every(holds) && !asList(f.must_not).some(holds) && (should.length === 0 || should.some(holds));
}
