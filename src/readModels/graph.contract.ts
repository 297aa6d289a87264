import { afterEach, describe, expect, it } from "vitest";
import type { EdgeType, GraphEdge } from "../../projections/graph.js";
import type { ProjectionEvent } from "../../projections/projectionEvent.js";
import type { GraphReadModel, TraversalResult } from "./graph/graphReadModel.js";
import { contentOf, projectionEventLog } from "./graph/projectionEventLog.js";

/**
 * The one contract every graph read model adapter must pass: projection rules
 * (nodes, edges, validity intervals, erasure), k-hop traversal with filters and
 * as-of, search expansion, replay safety. Every query result is awaited, so an
 * adapter whose queries return promises runs the same suite.
 */
export interface GraphStoreUnderTest {
  readonly store: GraphReadModel;
  cleanup(): Promise<void>;
  /** Whether the text still occurs anywhere in the adapter's storage (any table, any file); adapters that cannot tell omit it. */
  findsText?(text: string): Promise<boolean>;
}

const ids = (result: TraversalResult): string[] => result.nodes.map((n) => n.id).sort();
const depths = (result: TraversalResult): Record<string, number> => Object.fromEntries(result.nodes.map((n) => [n.id, n.depth]));
const edgeSummary = (edges: readonly GraphEdge[]): string[] => edges.map((e) => `${e.type} ${e.src} -> ${e.dst}`).sort();

/** Everything reachable from the given memories, for comparing two stores' states. */
async function snapshotOf(store: GraphReadModel, memoryIds: readonly string[]) {
  const all = await store.traverse({ from: memoryIds.map((id) => `memory:${id}`), hops: 6, direction: "both" });
  return { nodes: all.nodes, edges: all.edges, checkpoint: await store.checkpoint() };
}

export function graphStoreContract(name: string, open: () => Promise<GraphStoreUnderTest>): void {
  describe(`Graph read model contract: ${name}`, () => {
    const opened: GraphStoreUnderTest[] = [];
    const setUp = async () => {
      const underTest = await open();
      opened.push(underTest);
      return underTest;
    };
    afterEach(async () => {
      for (const underTest of opened.splice(0)) await underTest.cleanup();
    });

    it("a created unit yields its memory, cube, mention and source nodes and the edges between them", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        log.cubeCreated("cube-1", "Caroline's cube"),
        log.created(
          "m1",
          contentOf("Yesterday Caroline painted a sunset with Melanie.", {
            key: "Sunset painting",
            tags: ["Art"],
            sources: [{ kind: "message", ref: "msg-1" }],
            userId: "u1",
            agentId: "a1",
          }),
        ),
      ]);

      expect(await store.node("memory:m1")).toEqual({ id: "memory:m1", kind: "memory", label: "m1" });
      expect(await store.node("cube:cube-1")).toEqual({ id: "cube:cube-1", kind: "cube", label: "Caroline's cube" });
      expect(await store.node("entity:caroline")).toEqual({ id: "entity:caroline", kind: "entity", label: "Caroline" });
      expect(await store.node("entity:sunset painting")).toMatchObject({ kind: "entity", label: "Sunset painting" });
      expect(await store.node("tag:art")).toMatchObject({ kind: "tag", label: "art" });
      expect(await store.node("user:u1")).toMatchObject({ kind: "user" });
      expect(await store.node("agent:a1")).toMatchObject({ kind: "agent" });
      expect(await store.node("source:message:msg-1")).toMatchObject({ kind: "source", label: "msg-1" });
      expect(await store.node("entity:yesterday")).toBeUndefined();

      const around = await store.traverse({ from: ["memory:m1"], hops: 1 });
      expect(edgeSummary(around.edges)).toEqual([
        "BELONGS_TO memory:m1 -> cube:cube-1",
        "DERIVED_FROM memory:m1 -> source:message:msg-1",
        "MENTIONS memory:m1 -> agent:a1",
        "MENTIONS memory:m1 -> entity:caroline",
        "MENTIONS memory:m1 -> entity:melanie",
        "MENTIONS memory:m1 -> entity:sunset painting",
        "MENTIONS memory:m1 -> tag:art",
        "MENTIONS memory:m1 -> user:u1",
      ]);
      for (const edge of around.edges) {
        expect(edge.origin).toBe("memory:m1");
        expect(edge.opened).toEqual(log.last);
        expect(edge.closed).toBeUndefined();
      }

      const related = await store.traverse({ from: ["entity:caroline"], hops: 1, edgeTypes: ["RELATES_TO"], direction: "both" });
      expect(ids(related)).toEqual(["entity:caroline", "entity:melanie", "entity:sunset painting"]);
      // Undirected, stored once with the smaller id first.
      expect(edgeSummary(related.edges)).toEqual([
        "RELATES_TO entity:caroline -> entity:melanie",
        "RELATES_TO entity:caroline -> entity:sunset painting",
      ]);
    });

    it("traversal reaches exactly the nodes within 1, 2 and 3 hops of a chain", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        ...["m1", "m2", "m3", "m4"].map((id) => log.created(id, contentOf(`note ${id}`))),
        log.merged("m1", "m2"),
        log.merged("m2", "m3"),
        log.merged("m3", "m4"),
      ]);
      const chain = (hops: number) => store.traverse({ from: ["memory:m1"], hops, edgeTypes: ["MERGED_INTO"] });

      expect(ids(await chain(0))).toEqual(["memory:m1"]);
      expect(ids(await chain(1))).toEqual(["memory:m1", "memory:m2"]);
      expect(ids(await chain(2))).toEqual(["memory:m1", "memory:m2", "memory:m3"]);
      const three = await chain(3);
      expect(depths(three)).toEqual({ "memory:m1": 0, "memory:m2": 1, "memory:m3": 2, "memory:m4": 3 });
      expect(three.nodes.map((n) => n.id)).toEqual(["memory:m1", "memory:m2", "memory:m3", "memory:m4"]);
      expect(edgeSummary(three.edges)).toEqual([
        "MERGED_INTO memory:m1 -> memory:m2",
        "MERGED_INTO memory:m2 -> memory:m3",
        "MERGED_INTO memory:m3 -> memory:m4",
      ]);
      expect(three.truncated).toBe(false);

      const capped = await store.traverse({ from: ["memory:m1"], hops: 3, edgeTypes: ["MERGED_INTO"], maxNodes: 2 });
      expect(ids(capped)).toEqual(["memory:m1", "memory:m2"]);
      expect(capped.truncated).toBe(true);
      expect(ids(await store.traverse({ from: ["memory:unknown"], hops: 2 }))).toEqual([]);
    });

    it("follows only the requested edge types", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([log.created("m1", contentOf("Today Alice called.", { tags: ["phone"] }))]);
      const only = async (edgeTypes: EdgeType[]) => ids(await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes }));

      expect(await only(["MENTIONS"])).toEqual(["entity:alice", "memory:m1", "tag:phone"]);
      expect(await only(["BELONGS_TO"])).toEqual(["cube:cube-1", "memory:m1"]);
      expect(await only(["MENTIONS", "BELONGS_TO"])).toEqual(["cube:cube-1", "entity:alice", "memory:m1", "tag:phone"]);
      expect(await only(["MERGED_INTO"])).toEqual(["memory:m1"]);
    });

    it("reaches a hub but does not expand through it when it has more edges than maxDegree", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        log.created("seed", contentOf("Later Hubert and Quinn met.")),
        ...Array.from({ length: 6 }, (_, i) => log.created(`fan-${i}`, contentOf("Later Hubert waved."))),
        log.created("friend", contentOf("Later Quinn smiled.")),
      ]);
      const around = (maxDegree?: number) =>
        store.traverse({ from: ["memory:seed"], hops: 2, edgeTypes: ["MENTIONS"], direction: "both", ...(maxDegree !== undefined ? { maxDegree } : {}) });

      const limited = await around(3);
      expect(ids(limited)).toEqual(["entity:hubert", "entity:quinn", "memory:friend", "memory:seed"]);
      expect(ids(await around())).toHaveLength(10);
      // The seed itself is a node like any other: with one edge too many it is not expanded either.
      expect(ids(await around(1))).toEqual(["memory:seed"]);
    });

    it("follows edges out, in or both ways", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        ...["m1", "m2", "m3"].map((id) => log.created(id, contentOf(`note ${id}`))),
        log.merged("m1", "m2"),
        log.merged("m2", "m3"),
      ]);
      const from2 = async (direction: "out" | "in" | "both") =>
        ids(await store.traverse({ from: ["memory:m2"], hops: 1, edgeTypes: ["MERGED_INTO"], direction }));

      expect(await from2("out")).toEqual(["memory:m2", "memory:m3"]);
      expect(await from2("in")).toEqual(["memory:m1", "memory:m2"]);
      expect(await from2("both")).toEqual(["memory:m1", "memory:m2", "memory:m3"]);
      // Default direction is "out".
      expect(ids(await store.traverse({ from: ["memory:m2"], hops: 1, edgeTypes: ["MERGED_INTO"] }))).toEqual(["memory:m2", "memory:m3"]);
    });

    it("answers as of a position or a time before and after an edit", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      const created = log.created("m1", contentOf("Later Alice met Carol.", { tags: ["meeting"] }));
      const beforeEdit = log.last;
      const edited = log.edited("m1", contentOf("Later Bob met Carol.", { tags: ["meeting"] }));
      const afterEdit = log.last;
      await store.apply([created, edited]);
      const mentionsAsOf = async (asOf?: { position: number } | { time: string }) =>
        ids(await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"], ...(asOf ? { asOf } : {}) }));

      expect(await mentionsAsOf({ position: beforeEdit.position })).toEqual(["entity:alice", "entity:carol", "memory:m1", "tag:meeting"]);
      expect(await mentionsAsOf({ position: afterEdit.position })).toEqual(["entity:bob", "entity:carol", "memory:m1", "tag:meeting"]);
      expect(await mentionsAsOf()).toEqual(["entity:bob", "entity:carol", "memory:m1", "tag:meeting"]);
      expect(await mentionsAsOf({ position: beforeEdit.position - 1 })).toEqual(["memory:m1"]);

      const halfwayMs = (Date.parse(beforeEdit.time) + Date.parse(afterEdit.time)) / 2;
      expect(await mentionsAsOf({ time: new Date(halfwayMs).toISOString() })).toContain("entity:alice");
      expect(await mentionsAsOf({ time: new Date(halfwayMs).toISOString() })).not.toContain("entity:bob");
      // Times are compared as instants, whatever ISO spelling the caller uses.
      expect(await mentionsAsOf({ time: afterEdit.time.replace(".000Z", "Z") })).toContain("entity:bob");
      expect(await mentionsAsOf({ time: afterEdit.time.replace(".000Z", "Z") })).not.toContain("entity:alice");

      // Unchanged mentions stay one open interval; replaced ones are closed at the edit.
      const history = await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"], asOf: { position: beforeEdit.position } });
      const alice = history.edges.find((e) => e.dst === "entity:alice");
      expect(alice?.closed).toEqual(afterEdit);
      const now = await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"] });
      const carol = now.edges.find((e) => e.dst === "entity:carol");
      expect(carol?.opened).toEqual(beforeEdit);
      expect(carol?.closed).toBeUndefined();
    });

    it("keeps mentions through archive and restore", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([log.created("m1", contentOf("Later Alice left.")), log.archived("m1"), log.restored("m1"), log.archived("m1")]);
      expect(ids(await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"] }))).toEqual(["entity:alice", "memory:m1"]);
    });

    it("opens MERGED_INTO on merge and closes it when a revert goes back before the merge", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([log.created("m1", contentOf("Later Alice left.")), log.created("m2", contentOf("Later Alice left town.")), log.merged("m1", "m2")]);
      const merged = log.last;
      const successors = async (asOf?: { position: number }) =>
        ids(await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MERGED_INTO"], ...(asOf ? { asOf } : {}) }));
      expect(await successors()).toEqual(["memory:m1", "memory:m2"]);

      await store.apply([log.reverted("m1", contentOf("Later Alice left."), { toRevision: 0, status: "activated" })]);
      expect(await successors()).toEqual(["memory:m1"]);
      expect(await successors({ position: merged.position })).toEqual(["memory:m1", "memory:m2"]);
      // The content did not change, so its mention stayed open throughout.
      const mention = (await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"] })).edges[0];
      expect(mention?.opened.position).toBe(1);

      await store.apply([log.reverted("m1", contentOf("Later Alice left."), { toRevision: 2, status: "merged", successorId: "m2" })]);
      expect(await successors()).toEqual(["memory:m1", "memory:m2"]);
    });

    it("links a branched unit to the unit it was copied from with DERIVED_FROM", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        log.created("m1", contentOf("Later Alice left."), { cubeId: "main" }),
        log.created("m1-copy", contentOf("Later Alice left."), { cubeId: "what-if", branchedFrom: { cubeId: "main", memoryId: "m1", revision: 0 } }),
        log.edited("m1-copy", contentOf("Later Bob stayed.")),
      ]);
      const lineage = await store.traverse({ from: ["memory:m1-copy"], hops: 1, edgeTypes: ["DERIVED_FROM"] });
      expect(edgeSummary(lineage.edges)).toEqual(["DERIVED_FROM memory:m1-copy -> memory:m1"]);
      expect(lineage.edges[0]?.closed).toBeUndefined();
      const copies = await store.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["DERIVED_FROM"], direction: "in" });
      expect(ids(copies)).toEqual(["memory:m1", "memory:m1-copy"]);
    });

    it("erasure deletes the unit's edges, open and historical, except BELONGS_TO, and the names only it mentioned", async () => {
      const underTest = await setUp();
      const { store } = underTest;
      const log = projectionEventLog();
      await store.apply([
        log.created("m1", contentOf("Later Oswin Brackenbury phoned Caroline.", { tags: ["Zanzibar-trip"], sources: [{ kind: "url", ref: "https://example.org/quillfeather" }] })),
        log.edited("m1", contentOf("Later Zebediah Quillfeather phoned Caroline.", { userId: "subject-7781", sources: [{ kind: "url", ref: "https://example.org/quillfeather" }] })),
        log.created("m2", contentOf("Later Caroline painted.")),
        log.merged("m1", "m2"),
        log.created("m3", contentOf("Later Caroline sang.")),
        log.merged("m3", "m1"),
      ]);
      const beforeErasure = log.last;
      expect(await store.node("entity:oswin brackenbury")).toBeDefined();
      // The storage check below must be able to see the names while they are there.
      if (underTest.findsText) expect(await underTest.findsText("Quillfeather")).toBe(true);
      await store.apply([log.erased("m1")]);

      for (const asOf of [undefined, { position: beforeErasure.position }, { position: 2 }]) {
        const left = await store.traverse({ from: ["memory:m1"], hops: 1, direction: "out", ...(asOf ? { asOf } : {}) });
        expect(edgeSummary(left.edges)).toEqual(["BELONGS_TO memory:m1 -> cube:cube-1"]);
      }
      for (const id of ["entity:zebediah quillfeather", "entity:oswin brackenbury", "tag:zanzibar-trip", "user:subject-7781", "source:url:https://example.org/quillfeather"]) {
        expect(await store.node(id)).toBeUndefined();
      }
      // Shared names stay: other units still mention them.
      expect(await store.node("entity:caroline")).toBeDefined();
      expect(ids(await store.traverse({ from: ["entity:caroline"], hops: 1, direction: "in" }))).toEqual(["entity:caroline", "memory:m2", "memory:m3"]);
      // Edges other units own stay: m3 was merged into m1, that is m3's history.
      expect(ids(await store.traverse({ from: ["memory:m3"], hops: 1, edgeTypes: ["MERGED_INTO"] }))).toEqual(["memory:m1", "memory:m3"]);

      if (underTest.findsText) {
        for (const text of ["Quillfeather", "Zebediah", "Brackenbury", "Oswin", "Zanzibar", "subject-7781"]) {
          expect(await underTest.findsText(text), `"${text}" still stored`).toBe(false);
        }
        expect(await underTest.findsText("Caroline")).toBe(true);
      }
    });

    it("replaying is harmless: the same batch twice, or a batch overlapping the checkpoint, gives the same state", async () => {
      const log = projectionEventLog();
      const events: ProjectionEvent[] = [
        log.cubeCreated("cube-1", "Notes"),
        log.created("m1", contentOf("Later Alice met Bob.", { tags: ["x"] })),
        log.created("m2", contentOf("Later Bob met Carol.")),
        log.unrelated(),
        log.edited("m1", contentOf("Later Alice met Dave.")),
        log.merged("m2", "m1"),
        log.created("m3", contentOf("Later Erin waved.")),
        log.erased("m3"),
        log.reverted("m1", contentOf("Later Alice met Bob."), { toRevision: 0 }),
        log.unrelated(),
      ];
      const memories = ["m1", "m2", "m3"];

      const once = (await setUp()).store;
      await once.apply(events);
      const expected = await snapshotOf(once, memories);
      expect(expected.checkpoint).toBe(events.at(-1)!.envelope.position);

      const twice = (await setUp()).store;
      await twice.apply(events);
      await twice.apply(events);
      expect(await snapshotOf(twice, memories)).toEqual(expected);

      const overlapping = (await setUp()).store;
      await overlapping.apply(events.slice(0, 6));
      expect(await overlapping.checkpoint()).toBe(events[5]!.envelope.position);
      await overlapping.apply(events.slice(3));
      expect(await snapshotOf(overlapping, memories)).toEqual(expected);
    });

    it("ranks related memories by shortest paths and closeness, skipping hubs and the seeds", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      const crowd = Array.from({ length: 10 }, (_, i) => `crowd-${i}`);
      await store.apply([
        log.created("seed", contentOf("Later Caroline and Melanie met Hubert.")),
        log.created("both-names", contentOf("Later Caroline and Melanie painted.")),
        log.created("one-name", contentOf("Later Melanie drank tea.")),
        log.created("unrelated", contentOf("Later Jon ran.")),
        ...crowd.map((id) => log.created(id, contentOf("Later Hubert waved."))),
        log.merged("one-name", "far"),
        log.created("far", contentOf("Later Zed slept.")),
      ]);

      // Degrees: hubert 13 (11 mentions, 2 co-mentions), melanie 6, caroline 5.
      const related = await store.relatedMemories({ memoryIds: ["seed"], hops: 3, maxDegree: 8 });
      expect(related.map((r) => r.memoryId)).toEqual(["both-names", "one-name", "far"]);
      expect(related[0]).toEqual({ memoryId: "both-names", score: 1, depth: 2, via: ["entity:caroline", "entity:melanie"] });
      expect(related[1]).toMatchObject({ score: 0.5, depth: 2, via: ["entity:melanie"] });
      expect(related[2]).toMatchObject({ score: 0.25, depth: 3, via: ["memory:one-name"] });

      // Below the hub threshold the crowd comes back, each through one name.
      const withCrowd = await store.relatedMemories({ memoryIds: ["seed"], hops: 2, maxDegree: 50, limit: 100 });
      expect(withCrowd.map((r) => r.memoryId).sort()).toEqual(["both-names", "one-name", ...crowd].sort());
      expect(withCrowd[0]?.memoryId).toBe("both-names");
      expect(await store.relatedMemories({ memoryIds: ["seed"], hops: 2, maxDegree: 50, limit: 2 })).toHaveLength(2);

      const fromEntity = await store.relatedMemories({ entityIds: ["entity:melanie"], hops: 1 });
      expect(fromEntity.map((r) => r.memoryId).sort()).toEqual(["both-names", "one-name", "seed"]);
      expect(fromEntity.every((r) => r.depth === 1 && r.score === 1)).toBe(true);
      // A hub seed carries no signal.
      expect(await store.relatedMemories({ entityIds: ["entity:hubert"], hops: 1, maxDegree: 8 })).toEqual([]);
    });

    it("relatedMemories as of a past position uses the edges valid then", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([log.created("seed", contentOf("Later Alice came.")), log.created("other", contentOf("Later Alice left."))]);
      const before = log.last;
      await store.apply([log.edited("other", contentOf("Later Bob left."))]);
      expect(await store.relatedMemories({ memoryIds: ["seed"], hops: 2 })).toEqual([]);
      expect((await store.relatedMemories({ memoryIds: ["seed"], hops: 2, asOf: { position: before.position } })).map((r) => r.memoryId)).toEqual(["other"]);
    });

    it("finds the entities a search query names", async () => {
      const { store } = await setUp();
      const log = projectionEventLog();
      await store.apply([
        log.created("m1", contentOf("Later Caroline painted a lake.", { key: "Sunset painting" })),
        log.created("m2", contentOf("我和「卡罗琳」去了公园。")),
        log.created("m3", contentOf("Later Ana Lucia Ortiz visited New York.")),
      ]);
      const found = async (text: string) => (await store.entitiesMatching(text)).map((n) => n.id);

      expect(await found("what did Caroline paint")).toEqual(["entity:caroline"]);
      expect(await found("caroline's SUNSET painting?")).toEqual(["entity:sunset painting", "entity:caroline"]);
      expect(await found("where did ana lucia ortiz go in new york")).toEqual(["entity:ana lucia ortiz", "entity:new york"]);
      expect(await found("卡罗琳去了哪里")).toEqual(["entity:卡罗琳"]);
      expect(await found("nothing relevant here")).toEqual([]);
      expect(await found("")).toEqual([]);
      expect(await store.entitiesMatching("Caroline and the sunset painting", 1)).toHaveLength(1);
      // Tags and users are not entities.
      expect(await found("m1 cube-1")).toEqual([]);
    });

    it("moves its checkpoint past events it does not use", async () => {
      const { store } = await setUp();
      const log = projectionEventLog({ firstPosition: 41 });
      await store.apply([log.unrelated(), log.unrelated()]);
      expect(await store.checkpoint()).toBe(42);
      expect(store.name).toBe("graph");
    });
  });
}
