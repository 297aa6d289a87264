import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveQueryTimeRange } from "../src/timeAwareSearch/queryTimeRange.js";
import { tempLedger } from "./support/tempLedger.js";

const reference = new Date("2023-08-20T12:00:00.000Z");

describe("retrieval: time expressions in queries", () => {
  it("resolves relative and absolute expressions against the reference time into event-time ranges", () => {
    const range = (query: string) => {
      const r = resolveQueryTimeRange(query, reference);
      return r && [r.expression, r.from, r.to, r.queryWithout];
    };
    expect(range("What did Caroline bake last May?")).toEqual(["last May", "2023-05-01T00:00:00.000Z", "2023-05-31T23:59:59.999Z", "What did Caroline bake ?"]);
    // A month not yet reached this year is last year's.
    expect(range("trips last October")?.slice(1, 3)).toEqual(["2022-10-01T00:00:00.000Z", "2022-10-31T23:59:59.999Z"]);
    expect(range("Where did Mel go in 2022?")?.slice(0, 3)).toEqual(["in 2022", "2022-01-01T00:00:00.000Z", "2022-12-31T23:59:59.999Z"]);
    expect(range("who called yesterday")?.slice(1, 3)).toEqual(["2023-08-19T00:00:00.000Z", "2023-08-19T23:59:59.999Z"]);
    expect(range("what happened last week")?.slice(1, 3)).toEqual(["2023-08-13T00:00:00.000Z", "2023-08-19T23:59:59.999Z"]);
    expect(range("the concert on 8 May, 2023")?.slice(1, 3)).toEqual(["2023-05-08T00:00:00.000Z", "2023-05-08T23:59:59.999Z"]);
    expect(range("she ran a race in May 2023")?.slice(1, 3)).toEqual(["2023-05-01T00:00:00.000Z", "2023-05-31T23:59:59.999Z"]);
    // Relative to an event only the memory could date: left unresolved rather than read as relative to now.
    expect(range("what did she pack the week before the trip")).toBeUndefined();
    expect(range("what is her favourite colour")).toBeUndefined();
  });
});

describe("retrieval: searching with a time expression (no embedder: BM25 + graph)", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await tempLedger();
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
    const add = async (name: string, text: string, eventTime?: string) => {
      const added = await t.ledger.memories.add("c", { mode: "sync", memories: [{ text, ...(eventTime ? { eventTime } : {}) }] });
      if (added.mode !== "sync") throw new Error("expected a sync add");
      ids[name] = added.memories[0]!.memoryId;
    };
    // The March unit says "baked" twice, so BM25 alone ranks it above the May one.
    await add("march", "Anna baked rye, Anna baked sourdough", "2023-03-11T09:00:00.000Z");
    await add("may", "Anna baked a lemon cake for the neighbours across the street", "2023-05-14T09:00:00.000Z");
    await add("undated", "Anna baked cookies for the school fair with the other parents");
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
  });

  const search = (time: Record<string, unknown>) => t.ledger.search({ query: "what Anna baked last May", cubeIds: ["c"], time: { now: reference.toISOString(), ...time } });

  it("boosts units whose event time falls in the range by default, and says what it resolved", async () => {
    const off = await search({ use: "off" });
    expect(off.results[0]!.memory.memoryId).toBe(ids.march);
    expect(off.time).toBeUndefined();
    const boosted = await search({});
    expect(boosted.results[0]!.memory.memoryId).toBe(ids.may);
    expect(boosted.results).toHaveLength(3);
    expect(boosted.time).toEqual({ expression: "last May", from: "2023-05-01T00:00:00.000Z", to: "2023-05-31T23:59:59.999Z", use: "boost" });
  });

  it("as a filter, keeps only units dated in the range (intersected with the request's own event-time bounds)", async () => {
    const filtered = await search({ use: "filter" });
    expect(filtered.results.map((r) => r.memory.memoryId)).toEqual([ids.may]);
    const disjoint = await t.ledger.search({ query: "what Anna baked last May", cubeIds: ["c"], filters: { eventTimeFrom: "2023-06-01T00:00:00Z" }, time: { use: "filter", now: reference.toISOString() } });
    expect(disjoint.results).toEqual([]);
  });

  it("takes the reference time from asOf when no time.now is given", async () => {
    const asOf = await t.ledger.search({ query: "baked in 2023", cubeIds: ["c"], asOf: { time: t.clock.now().toISOString() }, time: { use: "filter" } });
    expect(asOf.time?.from).toBe("2023-01-01T00:00:00.000Z");
    expect(asOf.results.map((r) => r.memory.memoryId).sort()).toEqual([ids.march, ids.may].sort());
  });
});
