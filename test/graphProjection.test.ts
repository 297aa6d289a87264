import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MemoryContent } from "../domain/memory/memoryContent.js";
import { candidateEntityIds, extractEntities, extractNames } from "../projections/entities.js";
import {
  contentGraph,
  edgeKeyString,
  foldOpenEdges,
  graphChangesFor,
  logPointOf,
  maxRelatedEntities,
  needsOpenEdges,
  type EdgeKey,
} from "../projections/graph.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";

const names = (text: string) => extractNames(text).map((n) => n.id);
const summary = (edges: readonly EdgeKey[]) => edges.map((e) => `${e.type} ${e.src} -> ${e.dst}`).sort();
const keys = (edges: readonly EdgeKey[]) => edges.map(edgeKeyString).sort();

describe("entity extraction", () => {
  it("takes tags, the key, the user, the agent and the names in the text, sorted by id without duplicates", () => {
    const entities = extractEntities(
      contentOf("Later Caroline met Melanie. Then Caroline left.", { key: "Art class", tags: ["Art", "art", " Painting "], userId: "U-1", agentId: "bot" }),
    );
    expect(entities).toEqual([
      { id: "agent:bot", kind: "agent", label: "bot" },
      { id: "entity:art class", kind: "entity", label: "Art class" },
      { id: "entity:caroline", kind: "entity", label: "Caroline" },
      { id: "entity:melanie", kind: "entity", label: "Melanie" },
      { id: "tag:art", kind: "tag", label: "art" },
      { id: "tag:painting", kind: "tag", label: "painting" },
      { id: "user:U-1", kind: "user", label: "U-1" },
    ]);
  });

  it("ignores a single capitalised word opening a sentence unless it is capitalised elsewhere too", () => {
    expect(names("Painting is fun.")).toEqual([]);
    expect(names("Caroline paints.")).toEqual([]);
    expect(names("Caroline paints. Later Caroline sings.")).toEqual(["entity:caroline"]);
    expect(names("Caroline paints! Caroline sings?")).toEqual(["entity:caroline"]);
    expect(names("Will went home. I will stay.")).toEqual([]);
  });

  it("keeps a run of capitalised words even at the start of a sentence", () => {
    expect(names("New York is big.")).toEqual(["entity:new york"]);
    expect(names("We saw Ana Lucia Ortiz at the Grand Canyon.")).toEqual(["entity:ana lucia ortiz", "entity:grand canyon"]);
  });

  it("splits names at stop words and punctuation", () => {
    expect(names("On Monday Caroline met Melanie in May.")).toEqual(["entity:caroline", "entity:melanie"]);
    expect(names("Later Alice, Bob and Carol came.")).toEqual(["entity:alice", "entity:bob", "entity:carol"]);
    expect(names("I think The Beatles rock.")).toEqual(["entity:beatles"]);
    expect(names("Hello there. Thanks! Yes.")).toEqual([]);
  });

  it("normalises case, possessives and apostrophes into one id, keeping the first spelling as label", () => {
    expect(extractNames("Later Caroline’s dog met CAROLINE and O’Brien, then O'Brien left.")).toEqual([
      { id: "entity:caroline", label: "Caroline" },
      { id: "entity:o'brien", label: "O’Brien" },
    ]);
    expect(names("Later Émile and Zoë met.")).toEqual(["entity:émile", "entity:zoë"]);
  });

  it("takes bracketed CJK runs as names and never breaks on other CJK text", () => {
    expect(names("我和「卡罗琳」去了公园。她喜欢《红楼梦》。")).toEqual(["entity:卡罗琳", "entity:红楼梦"]);
    expect(names("東京で会いました。")).toEqual([]);
    // 。 ends a sentence like "." does, so the lonely "Bob" after it is an opener.
    expect(names("Later 王 met Alice。Bob 也来了。Later Carol 也来了")).toEqual(["entity:alice", "entity:carol"]);
  });

  it("never throws and stays deterministic, sorted and duplicate-free on any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }), (text, tags) => {
        const content = contentOf(text, { tags, key: text.slice(0, 12) });
        const first = extractEntities(content);
        expect(extractEntities(content)).toEqual(first);
        const ids = first.map((e) => e.id);
        expect([...new Set(ids)].sort()).toEqual(ids);
        for (const id of candidateEntityIds(text)) expect(id.startsWith("entity:")).toBe(true);
      }),
    );
  });

  it("proposes a query's word runs, longest first, and CJK substrings as candidate entity ids", () => {
    expect(candidateEntityIds("Where's New York?")).toEqual(["entity:where new york", "entity:where new", "entity:new york", "entity:where", "entity:new", "entity:york"]);
    expect(candidateEntityIds("卡罗琳呢")).toEqual(["entity:卡罗琳呢", "entity:卡罗琳", "entity:罗琳呢", "entity:卡罗", "entity:罗琳", "entity:琳呢"]);
    expect(candidateEntityIds("  ")).toEqual([]);
  });
});

describe("graph changes of one event", () => {
  const log = projectionEventLog();

  it("opens BELONGS_TO, MENTIONS, DERIVED_FROM and RELATES_TO for a created unit, with the nodes they touch", () => {
    const event = log.created(
      "m1",
      contentOf("Later Melanie met Caroline.", { tags: ["art"], sources: [{ kind: "message", ref: "msg-1" }, { kind: "message", ref: "msg-1" }], userId: "u1" }),
      { cubeId: "c1" },
    );
    const changes = graphChangesFor(event, []);
    expect(summary(changes.openEdges)).toEqual([
      "BELONGS_TO memory:m1 -> cube:c1",
      "DERIVED_FROM memory:m1 -> source:message:msg-1",
      "MENTIONS memory:m1 -> entity:caroline",
      "MENTIONS memory:m1 -> entity:melanie",
      "MENTIONS memory:m1 -> tag:art",
      "MENTIONS memory:m1 -> user:u1",
      "RELATES_TO entity:caroline -> entity:melanie",
    ]);
    expect(changes.openEdges.every((e) => e.origin === "memory:m1")).toBe(true);
    expect(changes.closeEdges).toEqual([]);
    expect(changes.ensureNodes.map((n) => `${n.kind} ${n.id}`).sort()).toEqual([
      "cube cube:c1",
      "entity entity:caroline",
      "entity entity:melanie",
      "memory memory:m1",
      "source source:message:msg-1",
      "tag tag:art",
      "user user:u1",
    ]);
    expect(changes.at).toEqual({ position: event.envelope.position, time: event.envelope.metadata.recordedAt });
  });

  it("diffs an edit: closes what the new content lost, opens what it gained, leaves the rest open", () => {
    const created = log.created("m2", contentOf("Later Alice met Bob.", { tags: ["x"] }));
    const open = graphChangesFor(created, []).openEdges;
    const changes = graphChangesFor(log.edited("m2", contentOf("Later Alice met Carol.", { tags: ["x"] })), open);
    expect(summary(changes.closeEdges)).toEqual(["MENTIONS memory:m2 -> entity:bob", "RELATES_TO entity:alice -> entity:bob"]);
    expect(summary(changes.openEdges)).toEqual(["MENTIONS memory:m2 -> entity:carol", "RELATES_TO entity:alice -> entity:carol"]);
    // The ends of the newly opened edges only.
    expect(changes.ensureNodes.map((n) => n.id).sort()).toEqual(["entity:alice", "entity:carol", "memory:m2"]);

    const same = graphChangesFor(log.edited("m2", contentOf("Later Alice met Bob.", { tags: ["x"] })), open);
    expect(same.openEdges).toEqual([]);
    expect(same.closeEdges).toEqual([]);
  });

  it("closes every content edge when the content is shredded, but keeps lineage", () => {
    const open = graphChangesFor(log.created("m3", contentOf("Later Alice met Bob.")), []).openEdges;
    const changes = graphChangesFor(log.edited("m3", null), open);
    expect(summary(changes.closeEdges)).toEqual([
      "MENTIONS memory:m3 -> entity:alice",
      "MENTIONS memory:m3 -> entity:bob",
      "RELATES_TO entity:alice -> entity:bob",
    ]);
    expect(summary(graphChangesFor(log.created("m4", null), []).openEdges)).toEqual(["BELONGS_TO memory:m4 -> cube:cube-1"]);
  });

  it("opens MERGED_INTO on merge; a revert sets it to the reverted state's successor", () => {
    const merge = graphChangesFor(log.merged("m5", "m6"), []);
    expect(summary(merge.openEdges)).toEqual(["MERGED_INTO memory:m5 -> memory:m6"]);
    expect(merge.ensureNodes.map((n) => n.id)).toEqual(["memory:m5", "memory:m6"]);
    const unmerge = graphChangesFor(log.reverted("m5", null, { status: "activated" }), merge.openEdges);
    expect(summary(unmerge.closeEdges)).toEqual(["MERGED_INTO memory:m5 -> memory:m6"]);
    const remerge = graphChangesFor(log.reverted("m5", null, { status: "merged", successorId: "m6" }), merge.openEdges);
    expect(remerge.closeEdges).toEqual([]);
    expect(remerge.openEdges).toEqual([]);
  });

  it("links a branch copy to its origin and keeps that link through edits", () => {
    const created = graphChangesFor(log.created("copy", contentOf("note"), { branchedFrom: { cubeId: "c", memoryId: "orig", revision: 3 } }), []);
    expect(summary(created.openEdges)).toContain("DERIVED_FROM memory:copy -> memory:orig");
    const edit = graphChangesFor(log.edited("copy", contentOf("Later Alice came.")), created.openEdges);
    expect(edit.closeEdges).toEqual([]);
  });

  it("does nothing on lifecycle moves, unknown events and cube events other than CubeCreated", () => {
    const open = graphChangesFor(log.created("m7", contentOf("Later Alice came.")), []).openEdges;
    for (const event of [log.archived("m7"), log.restored("m7"), log.unrelated()]) {
      const changes = graphChangesFor(event, open);
      expect([changes.openEdges, changes.closeEdges, changes.ensureNodes, changes.labelNodes]).toEqual([[], [], [], []]);
      expect(changes.eraseMemory).toBeUndefined();
    }
  });

  it("names the cube node on CubeCreated and asks for erasure on MemoryErased", () => {
    expect(graphChangesFor(log.cubeCreated("c9", "Holiday"), []).labelNodes).toEqual([{ id: "cube:c9", kind: "cube", label: "Holiday" }]);
    expect(graphChangesFor(log.erased("m7"), []).eraseMemory).toBe("memory:m7");
  });

  it("asks for open edges only for the events that diff against them", () => {
    expect(needsOpenEdges(log.edited("m7", null))).toBe(true);
    expect(needsOpenEdges(log.reverted("m7", null))).toBe(true);
    expect(needsOpenEdges(log.merged("m7", "m8"))).toBe(true);
    expect(needsOpenEdges(log.created("m9", null))).toBe(false);
    expect(needsOpenEdges(log.archived("m7"))).toBe(false);
    expect(needsOpenEdges(log.erased("m7"))).toBe(false);
    expect(needsOpenEdges(log.cubeCreated("c", "n"))).toBe(false);
  });

  it("pairs at most the first entities for RELATES_TO so a long list stays linear in edges", () => {
    const manyNames = Array.from({ length: 30 }, (_, i) => `Name${String.fromCharCode(65 + (i % 26))}${i}`).join(", ");
    const edges = contentGraph("m", contentOf(`Later ${manyNames} came.`)).edges;
    expect(edges.filter((e) => e.type === "MENTIONS")).toHaveLength(30);
    expect(edges.filter((e) => e.type === "RELATES_TO")).toHaveLength((maxRelatedEntities * (maxRelatedEntities - 1)) / 2);
    for (const edge of edges.filter((e) => e.type === "RELATES_TO")) expect(edge.src < edge.dst).toBe(true);
  });

  it("normalises the recorded time so times compare as strings", () => {
    const event = log.created("m10", null);
    const shifted = { ...event, envelope: { ...event.envelope, metadata: { ...event.envelope.metadata, recordedAt: "2026-03-01T10:00:00+01:00" } } };
    expect(logPointOf(shifted.envelope)).toEqual({ position: event.envelope.position, time: "2026-03-01T09:00:00.000Z" });
  });
});

describe("graph fold property", () => {
  const people = ["Alice", "Bob", "Carol", "Ana Lucia", "New York", "Zoë"];
  const content: fc.Arbitrary<MemoryContent | null> = fc.option(
    fc.record({
      mentioned: fc.subarray(people),
      tags: fc.subarray(["work", "home", "Art"]),
      sources: fc.subarray([
        { kind: "message" as const, ref: "msg-1" },
        { kind: "url" as const, ref: "https://example.org" },
      ]),
      userId: fc.option(fc.constantFrom("u1", "u2"), { nil: undefined }),
      key: fc.option(fc.constantFrom("Trip", "Dinner plans"), { nil: undefined }),
    }).map(({ mentioned, tags, sources, userId, key }) =>
      contentOf(`Later ${mentioned.join(" and ")} talked.`, { tags, sources, ...(userId ? { userId } : {}), ...(key ? { key } : {}) }),
    ),
    { nil: null, freq: 8 },
  );
  type Step = { kind: "edit" | "revert"; content: MemoryContent | null } | { kind: "archive" | "restore" };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constantFrom("edit" as const, "revert" as const), content }),
    fc.record({ kind: fc.constantFrom("archive" as const, "restore" as const) }),
  );

  it("after any sequence of edits the open edges are exactly those the last content yields", () => {
    fc.assert(
      fc.property(content, fc.array(step, { maxLength: 12 }), (initial, steps) => {
        const log = projectionEventLog();
        const events: ProjectionEvent[] = [log.created("m", initial)];
        let last = initial;
        for (const s of steps) {
          if (s.kind === "edit") events.push(log.edited("m", s.content));
          else if (s.kind === "revert") events.push(log.reverted("m", s.content));
          else events.push(s.kind === "archive" ? log.archived("m") : log.restored("m"));
          if (s.kind === "edit" || s.kind === "revert") last = s.content;
        }
        let open: EdgeKey[] = [];
        for (const event of events) {
          const changes = graphChangesFor(event, needsOpenEdges(event) ? open : []);
          const openKeys = new Set(open.map(edgeKeyString));
          // Only open edges get closed, and an open edge is never opened twice.
          for (const edge of changes.closeEdges) expect(openKeys.has(edgeKeyString(edge))).toBe(true);
          for (const edge of changes.openEdges) expect(openKeys.has(edgeKeyString(edge))).toBe(false);
          // Every node an opened edge needs is asked for.
          const ensured = new Set(changes.ensureNodes.map((n) => n.id));
          for (const edge of changes.openEdges) for (const id of [edge.src, edge.dst, edge.origin]) expect(ensured.has(id)).toBe(true);
          open = foldOpenEdges(open, changes);
        }
        const expected = [...contentGraph("m", last).edges, { type: "BELONGS_TO" as const, src: "memory:m", dst: "cube:cube-1", origin: "memory:m" }];
        expect(keys(open)).toEqual(keys(expected));
      }),
      { numRuns: 300 },
    );
  });
});
