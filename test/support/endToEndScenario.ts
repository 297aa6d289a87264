import { expect } from "vitest";
import type { MemLedger } from "../../src/app/memLedger.js";
import type { ManualClock } from "../../src/clock/clock.js";
import type { PublicMemoryEvent } from "../../src/feed/publicMemoryEvent.js";
import type { SearchHit, SearchMode, SearchRequest } from "../../src/search/searchRequest.js";

/** What a profile can show beyond the API: its engines' own storage. */
export interface ScenarioProbes {
  /** Whether the text occurs anywhere in the graph engine's storage (Neo4j nodes, the SQLite file). */
  graphHolds(text: string): Promise<boolean>;
  /** Memory events the feed published (a Kafka topic), when the profile relays them. */
  publishedEvents?(atLeast: number): Promise<PublicMemoryEvent[]>;
  /** Whether vectors are configured, so vector search is part of the scenario. */
  readonly vectors: boolean;
}

export interface ScenarioOutcome {
  /** Each step with how long it took, for the closing note. */
  readonly steps: readonly { readonly step: string; readonly ms: number }[];
}

/**
 * One end-to-end scenario, run unchanged on every profile: create (async
 * through the job bus, and sync), edit, merge, archive, search (hybrid with
 * graph expansion, BM25, vectors), as-of search, rollback (a unit's revert and
 * a cube rollback), erase a data subject. The assertions are the behaviour a
 * user relies on, whatever engines sit underneath.
 */
export async function runEndToEndScenario(ledger: MemLedger, clock: ManualClock, probes: ScenarioProbes): Promise<ScenarioOutcome> {
  const steps: { step: string; ms: number }[] = [];
  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await body();
    steps.push({ step: name, ms: Math.round(performance.now() - started) });
    return result;
  };
  const cubeId = "travel";
  const search = (query: string, extra: { mode?: SearchMode; asOf?: { time: string } | { position: number }; includeArchived?: boolean; filters?: SearchRequest["filters"] } = {}) =>
    ledger.search({ query, cubeIds: [cubeId], topK: 10, mode: extra.mode ?? "hybrid", ...extra });
  const ids = (hits: readonly SearchHit[]) => hits.map((h) => h.memory.memoryId);

  await step("create cube", () => ledger.cubes.create({ cubeId, name: "Travel plans", owner: { kind: "user", id: "dana" } }));

  // Create: two units through the job bus (async ingestion), one directly.
  const [tripId, passportId] = await step("add async via job bus", async () => {
    const added = await ledger.memories.add(cubeId, {
      mode: "async",
      memories: [
        { text: "Dana is planning a trip to Lisbon with Marco", userId: "dana", tags: ["trip"] },
        { text: "Dana's passport expires in March", userId: "dana", tags: ["documents"] },
      ],
    });
    if (added.mode !== "async") throw new Error("expected an async add");
    const waited = await ledger.jobs.wait(added.job.jobId, 60_000);
    expect(waited.job.status).toBe("done");
    return added.memoryIds as [string, string];
  });
  const marco = await step("create", () => ledger.memories.create({ cubeId, text: "Marco recommends the Alfama district in Lisbon", userId: "marco", tags: ["trip"] }));
  for (const id of [tripId, passportId]) expect((await ledger.memories.get(id)).status).toBe("activated");

  clock.advance(60_000);
  const beforeEdit = clock.now().toISOString();
  clock.advance(60_000);

  // Edit: a new version; merge a duplicate into it; archive the passport note.
  await step("edit", () => ledger.memories.edit(tripId, { content: { text: "Dana is planning a trip to Porto with Marco" } }));
  const duplicate = await ledger.memories.create({ cubeId, text: "Dana plans a Porto trip together with Marco", userId: "dana" });
  await step("merge", () => ledger.memories.merge(duplicate.memoryId, tripId));
  await step("archive", () => ledger.memories.archive(passportId));
  expect((await ledger.memories.get(duplicate.memoryId)).status).toBe("merged");

  // Search now: the edited text, graph expansion through a named entity, lifecycle filters.
  const porto = await step("hybrid search", () => search("trip to Porto"));
  expect(ids(porto.results)[0]).toBe(tripId);
  expect(porto.results[0]!.version).toBe(2);
  expect(ids(porto.results)).not.toContain(duplicate.memoryId); // merged units are out of default retrieval
  expect(porto.degraded).toBeUndefined();
  // Graph expansion ran (on a cube this small every unit is already a seed, so it adds no new names; the
  // graph contract suite covers what expansion finds). `degraded` would list it had its engine failed.
  const aboutMarco = await search("What did Marco say?");
  expect(aboutMarco.degraded).toBeUndefined();
  expect(ids(aboutMarco.results)).toEqual(expect.arrayContaining([tripId, marco.memoryId]));
  expect(ids((await search("passport", { mode: "bm25" })).results)).toEqual([]);
  expect(ids((await search("passport", { mode: "bm25", includeArchived: true })).results)).toEqual([passportId]);
  if (probes.vectors) {
    const byMeaning = await step("vector search", () => search("travel documents that run out", { mode: "vector", includeArchived: true }));
    expect(ids(byMeaning.results)[0]).toBe(passportId);
    // A tag filter reaches the vector read model through the filter planner (src/search/filterPlan.ts), Qdrant's too:
    // the best match by meaning is left out, and only units carrying the tag come back.
    const tagged = await step("filtered vector search", () => search("travel documents that run out", { mode: "vector", includeArchived: true, filters: { tags: ["trip"] } }));
    expect(ids(tagged.results)).not.toContain(passportId);
    expect(ids(tagged.results)).toEqual(expect.arrayContaining([tripId, marco.memoryId]));
    expect(tagged.results.every((hit) => hit.memory.content?.tags.includes("trip"))).toBe(true);
  }

  // As-of search: the memory as it was before the edit.
  const then = await step("as-of search", () => search("Lisbon", { asOf: { time: beforeEdit } }));
  const tripThen = then.results.find((hit) => hit.memory.memoryId === tripId);
  expect(tripThen?.version).toBe(1);
  expect(tripThen?.memory.content?.text).toBe("Dana is planning a trip to Lisbon with Marco");
  expect(ids((await search("Lisbon", { mode: "bm25" })).results)).toEqual([marco.memoryId]);

  // Rollback: revert the unit to its first revision (a compensating event), then roll the cube back in time.
  await step("revert", () => ledger.memories.revert(tripId, 1));
  expect((await ledger.memories.get(tripId)).content?.text).toBe("Dana is planning a trip to Lisbon with Marco");
  expect(ids((await search("Lisbon", { mode: "bm25" })).results).sort()).toEqual([tripId, marco.memoryId].sort());
  const rollback = await step("cube rollback", () => ledger.cubes.rollback(cubeId, beforeEdit));
  expect(rollback.outcomes.length).toBeGreaterThan(0);
  expect((await ledger.memories.get(passportId)).status).toBe("activated"); // archived after the moment: restored
  expect(ids((await search("passport", { mode: "bm25" })).results)).toEqual([passportId]);
  // The graph keeps the closed Porto edges (as-of traversal needs them) until the subject is erased.
  expect(await probes.graphHolds("Porto")).toBe(true);

  // Erase the data subject: search, the graph and the feed forget Dana's content; Marco's stays.
  const certificate = await step("erase subject", () => ledger.subjects.erase("dana"));
  expect(certificate.erasedMemoryIds).toEqual(expect.arrayContaining([tripId, passportId, duplicate.memoryId]));
  for (const query of ["passport", "Dana", "Porto", "trip"]) {
    const hits = ids((await search(query, { mode: "bm25", includeArchived: true })).results);
    expect(hits.filter((id) => id !== marco.memoryId), `after erasure, "${query}"`).toEqual([]);
  }
  expect(ids((await search("Alfama")).results)).toEqual([marco.memoryId]);
  expect(ids((await search("Lisbon", { asOf: { time: beforeEdit }, mode: "bm25" })).results), "as-of search after erasure").toEqual([marco.memoryId]);
  expect(await probes.graphHolds("Porto")).toBe(false);
  expect(await probes.graphHolds("Alfama")).toBe(true);

  if (probes.publishedEvents) {
    const events = await step("feed", () => probes.publishedEvents!(15));
    const typesOf = (id: string) => events.filter((e) => e.memoryId === id).map((e) => e.type);
    expect(typesOf(tripId)).toEqual(expect.arrayContaining(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryReverted", "MemoryErased"]));
    expect(typesOf(duplicate.memoryId)).toEqual(expect.arrayContaining(["MemoryMerged", "MemoryErased"]));
    expect(events.some((e) => JSON.stringify(e).includes("passport"))).toBe(false);
  }
  return { steps };
}
