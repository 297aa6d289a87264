import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Driver } from "neo4j-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemoryContent } from "../domain/memory/memoryContent.js";
import type { LogMoment, ProjectionEvent } from "../projections/projectionEvent.js";
import { graphStoreContract } from "../src/readModels/graph.contract.js";
import type { GraphReadModel } from "../src/readModels/graph/graphReadModel.js";
import {
  neo4jGraphReadModel,
  neo4jHealth,
  openNeo4jDriver,
  openNeo4jGraphStore,
  retireNeo4jGraphGeneration,
  type Neo4jGraphStore,
} from "../src/readModels/graph/neo4jGraphStore.js";
import { contentOf, projectionEventLog, type ProjectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";

/*
 * The graph contract against a real Neo4j 5 community server (one for the whole
 * file, started from jars), plus what only a server-side store has to show:
 * generations side by side in one database, a checkpoint that survives a new
 * driver, retirement, concurrent projectors, and the same answers as the
 * embedded store for random event sequences fed in overlapping batches.
 */

let server: { boltUrl: string; stop(): Promise<void> } | undefined;
let boltUrl: string;
let driver: Driver;
let generations = 0;
const nextGeneration = (label = "test") => `graph-${label}-${++generations}-${process.pid}`;

beforeAll(async () => {
  // MEMLEDGER_NEO4J_URL points the suite at a server that is already running (auth disabled).
  const external = process.env.MEMLEDGER_NEO4J_URL;
  if (external !== undefined && external !== "") {
    boltUrl = external;
  } else {
    const { startNeo4jServer } = await import("./support/neo4jServer.js");
    const started = await startNeo4jServer();
    server = started;
    boltUrl = started.boltUrl;
  }
  driver = openNeo4jDriver({ url: boltUrl });
}, 300_000);

afterAll(async () => {
  await driver?.close();
  await server?.stop();
}, 120_000);

/** Opens a fresh generation; `drop` retires it. */
async function freshStore(label?: string): Promise<{ store: Neo4jGraphStore; drop: () => Promise<void> }> {
  const generation = nextGeneration(label);
  const store = await openNeo4jGraphStore({ driver, generation });
  return {
    store,
    drop: async () => {
      await store.close();
      await retireNeo4jGraphGeneration(driver, generation);
    },
  };
}

/** Nodes and relationships whose node gid starts with the generation's prefix, and its checkpoint nodes. */
async function countsOf(generation: string): Promise<{ nodes: number; edges: number; checkpoints: number }> {
  const prefix = `${generation}|`;
  const nodes = await driver.executeQuery("MATCH (n:GraphNode) WHERE n.gid STARTS WITH $prefix RETURN count(n) AS c", { prefix });
  const edges = await driver.executeQuery("MATCH (n:GraphNode)-[r]-() WHERE n.gid STARTS WITH $prefix RETURN count(DISTINCT r) AS c", { prefix });
  const checkpoints = await driver.executeQuery("MATCH (c:ProjectionCheckpoint) WHERE c.g = $g RETURN count(c) AS c", { g: generation });
  const count = (result: { records: { get(key: string): unknown }[] }) => Number(result.records[0]!.get("c"));
  return { nodes: count(nodes), edges: count(edges), checkpoints: count(checkpoints) };
}

graphStoreContract("Neo4j 5 community (Bolt)", async () => {
  const { store, drop } = await freshStore("contract");
  return { store, cleanup: drop, findsText: (text) => store.holdsText(text) };
});

/** Everything reachable from the memories both ways, as of a moment. */
const everything = (store: GraphReadModel, memories: readonly string[], asOf?: LogMoment) =>
  store.traverse({ from: memories.map((id) => `memory:${id}`), hops: 4, direction: "both", ...(asOf ? { asOf } : {}) });

describe("Neo4j graph store", () => {
  it("keeps its graph and checkpoint across closing and reopening with a new driver", async () => {
    const generation = nextGeneration("reopen");
    const log = projectionEventLog();
    const first = await openNeo4jGraphStore({ driver, generation });
    await first.apply([log.created("m1", contentOf("Later Alice met Bob."))]);
    expect(first.checkpoint()).toBe(1);
    await first.close();

    const otherDriver = openNeo4jDriver({ url: boltUrl });
    try {
      const reopened = await openNeo4jGraphStore({ driver: otherDriver, generation });
      expect(reopened.checkpoint()).toBe(1);
      expect(reopened.storedProjectionVersion?.()).toBe(reopened.projectionVersion);
      expect((await reopened.node("entity:alice"))?.label).toBe("Alice");
      await reopened.apply([log.edited("m1", contentOf("Later Alice met Carol."))]);
      expect(reopened.checkpoint()).toBe(2);
      expect((await reopened.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"] })).nodes.map((n) => n.id)).toEqual([
        "memory:m1",
        "entity:alice",
        "entity:carol",
      ]);
      await reopened.close();
    } finally {
      await otherDriver.close();
      await retireNeo4jGraphGeneration(driver, generation);
    }
  });

  it("rolls back the whole batch, checkpoint included, when an event fails", async () => {
    const { store, drop } = await freshStore("rollback");
    try {
      const log = projectionEventLog();
      await store.apply([log.created("m0", contentOf("Later Zoe waved."))]);
      const before = await everything(store, ["m0", "m1", "m2"]);
      const good = log.created("m1", contentOf("Later Alice met Bob."));
      const erased = log.erased("m0");
      const next = log.created("m2", contentOf("Later Carol left."));
      const withBadTime = { ...next, envelope: { ...next.envelope, metadata: { ...next.envelope.metadata, recordedAt: "not a time" } } };
      await expect(store.apply([good, erased, withBadTime])).rejects.toThrow(/not an ISO-8601 time/);
      expect(store.checkpoint()).toBe(1);
      expect(await store.node("memory:m1")).toBeUndefined();
      expect(await store.node("entity:zoe")).toBeDefined();
      expect(await everything(store, ["m0", "m1", "m2"])).toEqual(before);

      // A second store on the generation sees the committed checkpoint, not the failed batch.
      const again = await openNeo4jGraphStore({ driver, generation: store.generation });
      expect(again.checkpoint()).toBe(1);
      await again.close();
    } finally {
      await drop();
    }
  });

  it("an erasure inside a batch splits it: later events still close edges the batch opened before it", async () => {
    const log = projectionEventLog();
    const events = [
      log.created("m1", contentOf("Later Alice and Carol met.", { tags: ["x"] })),
      log.created("m2", contentOf("Later Dora and Carol met.")),
      log.erased("m2"),
      // Closes MENTIONS alice and RELATES_TO alice–carol, both opened before the erasure in this batch.
      log.edited("m1", contentOf("Later Bob and Carol met.", { tags: ["x"] })),
      log.erased("m1"),
      log.created("m3", contentOf("Later Dora waved.")),
    ];
    const reference = openSqliteGraphStore(":memory:");
    reference.apply(events);
    const { store, drop } = await freshStore("split");
    try {
      await store.apply(events);
      for (const asOf of [undefined, ...events.map((e) => ({ position: e.envelope.position }))]) {
        expect(await everything(store, ["m1", "m2", "m3"], asOf)).toEqual(await everything(reference, ["m1", "m2", "m3"], asOf));
      }
      expect(await store.node("entity:dora")).toEqual({ id: "entity:dora", kind: "entity", label: "Dora" });
      expect(await store.node("entity:alice")).toBeUndefined();
    } finally {
      reference.close();
      await drop();
    }
  });

  it("retiring a generation removes all of it and nothing of another, even one whose name it prefixes", async () => {
    const log = projectionEventLog();
    const events = [
      log.cubeCreated("cube-1", "Notes"),
      log.created("m1", contentOf("Later Alice met Bob.", { tags: ["x"], sources: [{ kind: "url", ref: "https://example.org/a" }] })),
      log.created("m2", contentOf("Later Bob met Carol.")),
      log.merged("m2", "m1"),
    ];
    const base = nextGeneration("retire");
    const [doomed, kept] = [base, `${base}0`];
    const doomedStore = await openNeo4jGraphStore({ driver, generation: doomed });
    const keptStore = await openNeo4jGraphStore({ driver, generation: kept });
    try {
      await doomedStore.apply(events);
      await keptStore.apply(events);
      const keptBefore = await everything(keptStore, ["m1", "m2"]);
      const keptCounts = await countsOf(kept);
      expect(await countsOf(doomed)).toEqual(keptCounts);
      expect(keptCounts.nodes).toBeGreaterThan(0);

      await doomedStore.close();
      await retireNeo4jGraphGeneration(driver, doomed);
      expect(await countsOf(doomed)).toEqual({ nodes: 0, edges: 0, checkpoints: 0 });
      expect(await countsOf(kept)).toEqual(keptCounts);
      expect(await everything(keptStore, ["m1", "m2"])).toEqual(keptBefore);
      expect(keptStore.checkpoint()).toBe(4);
      // Retiring twice (or a generation that never existed) is harmless.
      await retireNeo4jGraphGeneration(driver, doomed);
    } finally {
      await keptStore.close();
      await retireNeo4jGraphGeneration(driver, kept);
    }
  });

  it("two projectors applying the same batches at once leave the state one fold gives", async () => {
    const log = projectionEventLog();
    const events = [
      log.created("m1", contentOf("Later Alice met Bob and Carol.")),
      log.created("m2", contentOf("Later Bob met Carol.")),
      log.edited("m1", contentOf("Later Alice met Dave.")),
      log.merged("m2", "m1"),
      log.erased("m2"),
    ];
    const reference = openSqliteGraphStore(":memory:");
    reference.apply(events);
    const generation = nextGeneration("race");
    const [a, b] = await Promise.all([openNeo4jGraphStore({ driver, generation }), openNeo4jGraphStore({ driver, generation })]);
    try {
      // Each projector applies its batches in log order, as a runner reading on from its checkpoint does;
      // the two race each other. (A batch that skips positions nobody applied yet is not something a runner
      // sends: the store cannot tell such a gap from positions of other streams, so it would skip them.)
      const projectorA = async () => {
        await a.apply(events.slice(0, 3));
        await a.apply(events);
      };
      const projectorB = async () => {
        await b.apply(events.slice(0, 4));
        await b.apply(events.slice(2));
      };
      await Promise.all([projectorA(), projectorB()]);
      expect(await everything(a, ["m1", "m2"])).toEqual(await everything(reference, ["m1", "m2"]));
      const reopened = await openNeo4jGraphStore({ driver, generation });
      expect(reopened.checkpoint()).toBe(5);
      await reopened.close();
    } finally {
      reference.close();
      await a.close();
      await b.close();
      await retireNeo4jGraphGeneration(driver, generation);
    }
  });

  it("as a read model definition: a runner file names the generation inside the namespace, retire drops it, health reports the server", async () => {
    const definition = neo4jGraphReadModel({ url: boltUrl, namespace: "staging" });
    const dir = mkdtempSync(join(tmpdir(), "memledger-neo4j-"));
    const suffix = `${process.pid}${++generations}`;
    const file = join(dir, `graph-${suffix}.db`);
    try {
      expect(definition.name).toBe("graph");
      const store = await definition.open(file);
      expect(store.generation).toBe(`staging/graph-${suffix}`);
      const log = projectionEventLog();
      await store.apply([log.created("m1", contentOf("Later Alice met Bob."))]);
      await store.close();
      expect((await countsOf(`staging/graph-${suffix}`)).nodes).toBeGreaterThan(0);
      // Another deployment's generation of the same name is a different graph.
      expect((await countsOf(`graph-${suffix}`)).nodes).toBe(0);
      await definition.retire(file);
      expect(await countsOf(`staging/graph-${suffix}`)).toEqual({ nodes: 0, edges: 0, checkpoints: 0 });
      expect(await definition.health()).toMatch(/^Neo4j 5\.\d+/);
    } finally {
      await definition.close();
      rmSync(dir, { recursive: true, force: true });
    }

    const health = await neo4jHealth(driver);
    expect(health).toMatchObject({ ok: true, edition: "community" });
    expect(health.version).toMatch(/^5\./);
    expect(health.latencyMs).toBeGreaterThan(0);
    const unreachable = openNeo4jDriver({ url: "bolt://127.0.0.1:1" });
    try {
      expect(await neo4jHealth(unreachable)).toMatchObject({ ok: false });
    } finally {
      await unreachable.close();
    }
  });

  it("rejects malformed queries with the embedded store's messages", async () => {
    const { store, drop } = await freshStore("errors");
    try {
      await expect(store.traverse({ from: [], hops: -1 })).rejects.toThrow(/hops must be a whole number/);
      await expect(store.traverse({ from: [], hops: 1, edgeTypes: ["KNOWS" as never] })).rejects.toThrow(/unknown edge type "KNOWS"/);
      await expect(store.traverse({ from: ["memory:x"], hops: 1, asOf: { time: "last week" } })).rejects.toThrow(/not an ISO-8601 time/);
      await expect(store.relatedMemories({ memoryIds: ["x"], hops: 1.5 })).rejects.toThrow(/hops must be a whole number/);
      await expect(openNeo4jGraphStore({ driver, generation: "a|b" })).rejects.toThrow(/without "\|"/);
      expect(await store.traverse({ from: ["memory:x"], hops: 2, edgeTypes: [] })).toEqual({ nodes: [], edges: [], truncated: false });
    } finally {
      await drop();
    }
  });

  it("answers as the embedded store does for random histories fed in overlapping batches", async () => {
    const names = ["Alice", "Bob", "Carol", "Dan", "Erin"];
    const memories = ["m1", "m2", "m3", "m4"];
    const text = fc
      .record({
        names: fc.subarray(names),
        tags: fc.subarray(["work", "home"]),
        source: fc.option(fc.constantFrom("msg-1", "msg-2"), { nil: undefined }),
        user: fc.option(fc.constantFrom("u1", "u2"), { nil: undefined }),
      })
      .map(({ names: picked, tags, source, user }): MemoryContent =>
        contentOf(`Later ${picked.join(" and ")} talked.`, {
          tags,
          sources: source ? [{ kind: "message", ref: source }] : [],
          ...(user ? { userId: user } : {}),
        }),
      );
    const memory = fc.constantFrom(...memories);
    const step = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("create" as const), memory, content: fc.option(text, { nil: null, freq: 8 }), branch: fc.option(memory, { nil: undefined }) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("edit" as const), memory, content: fc.option(text, { nil: null, freq: 8 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("merge" as const), memory, successor: memory }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("revert" as const), memory, content: text, successor: fc.option(memory, { nil: undefined }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("archive" as const), memory }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("erase" as const), memory }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("cube" as const), name: fc.constantFrom("Notes", "Diary") }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("other" as const) }) },
    );
    type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;
    // Like a real log, a unit's first event creates it and it is created once; events after its erasure stay in
    // (the domain refuses them, but both stores must still agree). Merging into a unit not created yet is allowed.
    const toEvent = (log: ProjectionEventLog, created: Set<string>, s: Step): ProjectionEvent => {
      if ("memory" in s && !created.has(s.memory)) {
        created.add(s.memory);
        const content = "content" in s ? s.content : null;
        const branch = "branch" in s && s.branch !== undefined && s.branch !== s.memory ? s.branch : undefined;
        return log.created(s.memory, content, branch ? { branchedFrom: { cubeId: "cube-1", memoryId: branch, revision: 0 } } : {});
      }
      switch (s.kind) {
        case "create":
        case "edit":
          return log.edited(s.memory, s.content);
        case "merge":
          return log.merged(s.memory, s.successor);
        case "revert":
          return log.reverted(s.memory, s.content, s.successor ? { status: "merged", successorId: s.successor } : {});
        case "archive":
          return log.archived(s.memory);
        case "erase":
          return log.erased(s.memory);
        case "cube":
          return log.cubeCreated("cube-1", s.name);
        case "other":
          return log.unrelated();
      }
    };

    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 24 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 })), { maxLength: 5 }),
        async (steps, cuts) => {
          const log = projectionEventLog();
          const created = new Set<string>();
          const events = steps.map((s) => toEvent(log, created, s));
          const reference = openSqliteGraphStore(":memory:");
          const { store, drop } = await freshStore("prop");
          try {
            reference.apply(events);
            // Batches ending at random cut points, each starting up to 4 events before the previous end (replays).
            const ends = [...new Set([...cuts.map(([at]) => (at % events.length) + 1), events.length])].sort((a, b) => a - b);
            let previousEnd = 0;
            for (const [i, end] of ends.entries()) {
              const overlap = cuts[i]?.[1] ?? 0;
              await store.apply(events.slice(Math.max(0, previousEnd - overlap), end));
              previousEnd = end;
            }
            expect(store.checkpoint()).toBe(reference.checkpoint());

            const moments: (LogMoment | undefined)[] = [undefined, { position: 0 }];
            for (const event of events) moments.push({ position: event.envelope.position });
            moments.push({ time: events[Math.floor(events.length / 2)]!.envelope.metadata.recordedAt.replace(".000Z", "Z") });
            for (const asOf of moments) {
              expect(await everything(store, memories, asOf), `as of ${JSON.stringify(asOf)}`).toEqual(await everything(reference, memories, asOf));
              const related = { memoryIds: ["m1"], hops: 3, maxDegree: 6, ...(asOf ? { asOf } : {}) };
              expect(await store.relatedMemories(related)).toEqual(await reference.relatedMemories(related));
            }
            const entities = { entityIds: ["entity:alice", "entity:bob"], hops: 2, limit: 3 };
            expect(await store.relatedMemories(entities)).toEqual(await reference.relatedMemories(entities));
            const inbound = { from: ["memory:m2", "entity:carol"], hops: 2, direction: "in" as const, maxDegree: 3 };
            expect(await store.traverse(inbound)).toEqual(await reference.traverse(inbound));
            for (const id of [...names.map((n) => `entity:${n.toLowerCase()}`), "tag:work", "source:message:msg-1", "user:u1", "cube:cube-1"]) {
              expect(await store.node(id), id).toEqual(await reference.node(id));
            }
            expect(await store.entitiesMatching("alice bob carol dan erin")).toEqual(await reference.entitiesMatching("alice bob carol dan erin"));
          } finally {
            reference.close();
            await drop();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 240_000);
});
