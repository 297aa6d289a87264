import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { contentGraph, graphChangesFor } from "../projections/graph.js";
import { extractNamedEntities } from "../projections/namedEntities.js";
import type { GraphEntityExtraction } from "../projections/graph.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";
import { tempLedger } from "./support/tempLedger.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";

const typed = (text: string) => extractNamedEntities(text).map((e) => `${e.kind} ${e.id}`);

describe("named entities found by compromise", () => {
  it("types people, places, organisations and dated expressions", () => {
    expect(typed("I met Sarah in March 2022 at Microsoft. Her mom lives in New York.")).toEqual([
      "person entity:sarah",
      "date entity:march 2022",
      "organization entity:microsoft",
      "place entity:new york",
    ]);
  });

  it("keeps a possessive out of the name and the label", () => {
    expect(extractNamedEntities("Then Caroline's mom called.")).toContainEqual({ id: "entity:caroline", kind: "person", label: "Caroline" });
  });

  it("drops dates without a number ('last week' would join every unit that says it)", () => {
    expect(typed("Last week was fun, yesterday too.")).toEqual([]);
  });

  it("keeps capitalised names compromise does not type, untyped", () => {
    expect(typed("I play Zorbulon Quest daily with Sarah.")).toEqual(["person entity:sarah", "entity entity:zorbulon quest"]);
  });

  it("never crosses punctuation: two places in a list stay two", () => {
    expect(typed("We flew to Paris, Rome and Berlin.")).toEqual(["place entity:paris", "place entity:rome", "place entity:berlin"]);
  });

  it("is deterministic and never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(extractNamedEntities(text)).toEqual(extractNamedEntities(text));
      }),
      { numRuns: 200 },
    );
  });
});

describe("the graph projection with nlp entities", () => {
  const content = contentOf("Melanie visited Sarah in Boston.");

  it("gives typed nodes under the same ids, related pairwise like untyped ones", () => {
    const nlp = contentGraph("m1", content, "nlp");
    expect(nlp.nodes).toEqual(
      expect.arrayContaining([
        { id: "entity:boston", kind: "place", label: "Boston" },
        { id: "entity:sarah", kind: "person", label: "Sarah" },
        { id: "entity:melanie", kind: "person", label: "Melanie" },
      ]),
    );
    expect(nlp.edges.filter((e) => e.type === "RELATES_TO").map((e) => `${e.src} ~ ${e.dst}`)).toEqual([
      "entity:boston ~ entity:melanie",
      "entity:boston ~ entity:sarah",
      "entity:melanie ~ entity:sarah",
    ]);
  });

  it("leaves the caps projection as it was (untyped, the default)", () => {
    const caps = contentGraph("m1", content);
    expect(caps.nodes.every((n) => n.kind === "entity")).toBe(true);
    expect(graphChangesFor(projectionEventLog().created("m1", content), []).ensureNodes.some((n) => n.kind === "person")).toBe(false);
  });
});

describe("the embedded graph store with nlp entities", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-nlp-graph-"));
    dirs.push(dir);
    return join(dir, "graph.db");
  };

  it("matches a query's words against typed nodes, relates units through them, and deletes them with the last unit naming them", async () => {
    const store = openSqliteGraphStore(fileIn(), { entities: "nlp" });
    const log = projectionEventLog();
    await store.apply([log.created("m1", contentOf("Melanie went camping near Paris.")), log.created("m2", contentOf("The trip to Paris was long."))]);
    expect(await store.entitiesMatching("Where is Paris?")).toEqual([{ id: "entity:paris", kind: "place", label: "Paris" }]);
    const related = await store.relatedMemories({ entityIds: ["entity:paris"], hops: 1 });
    expect(related.map((r) => r.memoryId).sort()).toEqual(["m1", "m2"]);
    await store.apply([log.erased("m1"), log.erased("m2")]);
    expect(await store.node("entity:paris")).toBeUndefined();
    store.close();
  });

  it("rebuilds a graph built with the other extraction instead of mixing the two", async () => {
    const file = fileIn();
    const caps = openSqliteGraphStore(file);
    await caps.apply([projectionEventLog().created("m1", contentOf("Melanie went to Boston."))]);
    caps.close();
    const nlp = openSqliteGraphStore(file, { entities: "nlp" });
    expect(nlp.storedProjectionVersion!()).not.toBe(nlp.projectionVersion);
    nlp.close();
  });
});

describe("graph expansion without an embedder (BM25 + graph)", () => {
  /** The units hybrid search returns for the query, with or without the graph lane. */
  async function searchWith(graphEntities: GraphEntityExtraction, graphHops: number): Promise<string[]> {
    const { ledger, dispose } = await tempLedger({ worker: false, graphEntities });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "project", id: "p" } });
      await ledger.memories.create({ cubeId: "c", text: "Melanie met Sarah at the pottery fair." });
      // Shares no word with the question; reached only through Sarah, whom compromise types even as a lonely sentence opener.
      await ledger.memories.create({ cubeId: "c", text: "Sarah's bakery is thriving these days." });
      await ledger.memories.create({ cubeId: "c", text: "The weather was grey all week." });
      expect(await ledger.readModels.catchUp(10_000)).toBe(true);
      const response = await ledger.search({ query: "Who did Melanie meet?", cubeIds: ["c"], mode: "hybrid", graphHops, topK: 5 });
      return response.results.map((r) => r.memory.content?.text ?? "");
    } finally {
      await dispose();
    }
  }

  it("reaches a unit through a typed entity related to the one the query names", async () => {
    expect(await searchWith("nlp", 2)).toContain("Sarah's bakery is thriving these days.");
    expect(await searchWith("nlp", 0)).not.toContain("Sarah's bakery is thriving these days.");
    // Capitalised runs miss a name that only opens a sentence, so the heuristic graph has no path there.
    expect(await searchWith("caps", 2)).not.toContain("Sarah's bakery is thriving these days.");
  });
});
