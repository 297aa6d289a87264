/**
 * Issue 17: the filter planner (src/search/filterPlan.ts: exact within small sets, the set pushed
 * into the ANN walk and filtering BM25 in memory for medium ones, post-filtering for large ones)
 * gives the same answers as the strategy before it (over-fetch, filter, count when short), for
 * any filter, moment, cube, mode and query. Thresholds are shrunk so a 400-memory corpus reaches
 * every plan; at this size the ANN index scans exactly, so both strategies' answers are exact.
 * Every content version has its own length, so BM25 never ties and the orders are comparable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../projections/envelope.js";
import type { LogMoment, ProjectionEvent } from "../projections/projectionEvent.js";
import type { Embedder } from "../src/embedding/embedderPort.js";
import { openSqliteLexicalStore, type LexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";
import { matchingUpperBound } from "../src/readModels/memoryView/matchingEstimate.js";
import type { MemoryFilters } from "../src/readModels/memoryView/memoryFilterSql.js";
import { openSqliteMemoryViewStore, type MemoryViewStore } from "../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { openSqliteVectorStore, type SqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";
import { filterPlanner, type FilterPlanTuning } from "../src/search/filterPlan.js";
import { hybridSearch, type PlannedSearch, type SearchReadModels } from "../src/search/hybridSearch.js";
import { defaultRetrieverWeights, defaultRrfK } from "../src/search/normalizeSearchRequest.js";

const dims = 16;
const memoryCount = 400;
const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
const tagShares = { rare: 0.01, some: 0.05, many: 0.15, most: 0.5 } as const;
/**
 * With 400 memories (~460 versions) and a pool of 50, listing stops at √(0.2 × 50 × 1.5 × 460) = 83 versions:
 * `rare` is ranked within, `some` and `many` pushed down (BM25 filtered in memory), `most` post-filtered.
 */
const tuning: Partial<FilterPlanTuning> = { withinAtMost: 10, lexicalWithinAtMost: 5, rowCostRatio: 0.2 };

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Equal texts get equal vectors; the first word picks one of four directions so similarities spread. */
function vectorOf(text: string): Float32Array {
  let seed = 0;
  for (let i = 0; i < text.length; i++) seed = (seed * 31 + text.charCodeAt(i)) >>> 0;
  const noise = seeded(seed);
  const topic = Number(/^w(\d+)/.exec(text)?.[1] ?? 0) % 4;
  const v = Float32Array.from({ length: dims }, (_, i) => (i % 4 === topic ? 1 : 0) + noise() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
const embedder: Embedder = { modelId: "test/planning-synthetic", dimensions: dims, embed: async (texts) => texts.map(vectorOf), close: async () => {} };

interface Corpus {
  readonly dir: string;
  readonly view: MemoryViewStore;
  readonly lexical: LexicalStore;
  readonly vector: SqliteVectorStore;
  readonly lastPosition: number;
}

/** Creations in two cubes, edits that change text and tags (old versions stay indexed), archivals. */
async function buildCorpus(): Promise<Corpus> {
  const dir = mkdtempSync(join(tmpdir(), "memledger-filter-planning-"));
  const random = seeded(17);
  let position = 0;
  let versions = 0;
  const revisions = new Map<string, number>();
  const event = (memoryId: string, type: string, data: Record<string, unknown>): ProjectionEvent => {
    position += 1;
    const revision = (revisions.get(memoryId) ?? 0) + 1;
    revisions.set(memoryId, revision);
    const envelope: Envelope = {
      eventId: `e${position}`,
      type,
      schemaVersion: 1,
      streamId: `memory-${memoryId}`,
      revision,
      position,
      metadata: { tenantId: "default", cubeId: String(data.cubeId ?? "a"), actor: "test", correlationId: "test", recordedAt: new Date(Date.UTC(2025, 0, 1) + position * 1000).toISOString() },
    };
    return { kind: "memory", envelope, event: { type, data } } as ProjectionEvent;
  };
  const content = () => {
    versions += 1;
    // A length of its own per version: BM25 scores never tie.
    const text = Array.from({ length: 3 + versions }, () => words[Math.floor(words.length * random() ** 2)]!).join(" ");
    const tags = Object.entries(tagShares).flatMap(([tag, share]) => (random() < share ? [tag] : []));
    return { text, tags, sources: [], metadata: { bucket: `b${Math.floor(random() * 5)}` } };
  };
  const attributes = { memoryType: "long_term", confidence: 1, visibility: "cube" };
  const events: ProjectionEvent[] = [];
  for (let i = 0; i < memoryCount; i++) {
    const memoryId = `m${i}`;
    const cubeId = random() < 0.85 ? "a" : "b";
    events.push(event(memoryId, "MemoryCreated", { memoryId, cubeId, content: content(), attributes }), event(memoryId, "MemoryActivated", { memoryId }));
  }
  for (let i = 0; i < memoryCount; i += 7) {
    events.push(event(`m${i}`, "MemoryEdited", { memoryId: `m${i}`, version: 2, content: content(), attributes, changedFields: ["text", "tags"] }));
  }
  for (let i = 3; i < memoryCount; i += 11) events.push(event(`m${i}`, "MemoryArchived", { memoryId: `m${i}` }));

  const view = openSqliteMemoryViewStore(join(dir, "memory_view.db"));
  const lexical = openSqliteLexicalStore(join(dir, "lexical.db"));
  const vector = openSqliteVectorStore(join(dir, "vector.db"), embedder);
  for (let start = 0; start < events.length; start += 200) {
    const batch = events.slice(start, start + 200);
    view.apply(batch);
    lexical.apply(batch);
    await vector.prepare?.(batch);
    await vector.apply(batch);
  }
  return { dir, view, lexical, vector, lastPosition: position };
}

const filtersArbitrary: fc.Arbitrary<Omit<MemoryFilters, "cubeIds">> = fc.record(
  {
    tags: fc.subarray([...Object.keys(tagShares), "absent"], { minLength: 1 }),
    metadata: fc.constantFrom({ bucket: "b1" }, { bucket: "b4" }),
    statuses: fc.constantFrom(["activated"] as const, ["activated", "archived"] as const, "any" as const),
  },
  { requiredKeys: [] },
);

describe("filtered search: the planner answers as the post-filter strategy did", () => {
  let corpus: Corpus;
  beforeAll(async () => {
    corpus = await buildCorpus();
  }, 60_000);
  afterAll(() => {
    corpus.view.close();
    corpus.lexical.close();
    corpus.vector.close?.();
    rmSync(corpus.dir, { recursive: true, force: true });
  });

  const search = (strategy: "planned" | "postFilter", plan: PlannedSearch, queryVector: Float32Array) => {
    const models: SearchReadModels = {
      memoryView: corpus.view,
      lexical: corpus.lexical,
      vector: corpus.vector,
      queryEmbedder: { ...embedder, embed: async () => [queryVector] },
      filterStrategy: strategy,
      filterPlanTuning: tuning,
    };
    return hybridSearch(models, plan);
  };

  it("every plan is reachable with these thresholds", () => {
    const planner = (tag: string) => filterPlanner(corpus.view, { cubeIds: ["a"], tags: [tag] }, undefined, corpus.vector.size, 50, tuning);
    const kinds = Object.keys(tagShares).map((tag) => planner(tag).exact().kind);
    expect(kinds).toEqual(["within", "pushdown", "pushdown", "postFilter"]);
    // The tag table's upper bound starts the largest set on a tentative post-filter, the others on their exact plan.
    expect(Object.keys(tagShares).map((tag) => planner(tag).initial().kind)).toEqual(["within", "pushdown", "pushdown", "postFilter"]);
    expect(planner("most").initial()).toMatchObject({ tentative: true });
    // The medium sets are big enough for BM25 to filter in memory rather than rank within.
    const some = planner("some").exact();
    expect(some.kind !== "postFilter" && some.positions.length).toBeGreaterThan(5);
  });

  it("the tag/metadata tables' bound is never below the matching set, and catches a combination's cut", () => {
    fc.assert(
      fc.property(filtersArbitrary, fc.option(fc.integer({ min: 1, max: corpus.lastPosition }), { nil: undefined }), (filters, asOfPosition) => {
        const bound = matchingUpperBound(corpus.view.db, filters, 1_000_000);
        if (filters.tags === undefined && filters.metadata === undefined) {
          expect(bound).toBeUndefined();
          return;
        }
        const asOf = asOfPosition === undefined ? undefined : { position: asOfPosition };
        expect(bound).toBeGreaterThanOrEqual(corpus.view.countMatching({ ...filters, statuses: "any" }, asOf));
      }),
      { numRuns: 100 },
    );
    const both = matchingUpperBound(corpus.view.db, { tags: ["most"], metadata: { bucket: "b1" } }, 1_000_000)!;
    expect(both).toBeLessThan(matchingUpperBound(corpus.view.db, { tags: ["most"] }, 1_000_000)!);
    expect(both).toBeLessThan(matchingUpperBound(corpus.view.db, { metadata: { bucket: "b1" } }, 1_000_000)!);
    expect(matchingUpperBound(corpus.view.db, { tags: ["most"] }, 7)).toBe(7);
  });

  it("same units, order and scores for any filters, moment, cube, mode and query", async () => {
    await fc.assert(
      fc.asyncProperty(
        filtersArbitrary,
        fc.constantFrom("a", "b"),
        fc.constantFrom("bm25" as const, "vector" as const, "hybrid" as const),
        fc.subarray(words.slice(0, 12), { minLength: 1, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: corpus.lastPosition }), { nil: undefined }),
        fc.integer({ min: 1, max: 20 }),
        async (filters, cubeId, mode, queryWords, asOfPosition, topK) => {
          const query = queryWords.join(" ");
          const asOf: LogMoment | undefined = asOfPosition === undefined ? undefined : { position: asOfPosition };
          const plan: PlannedSearch = {
            query,
            cubeIds: [cubeId],
            topK,
            mode,
            filters,
            ...(asOf ? { asOf } : {}),
            mmrLambda: 1,
            graphHops: 0,
            rerank: false,
            weights: defaultRetrieverWeights,
            rrfK: defaultRrfK,
          };
          const queryVector = vectorOf(query);
          const summary = (hits: Awaited<ReturnType<typeof hybridSearch>>) => hits.map((h) => ({ id: h.memory.memoryId, score: h.score.toFixed(9), why: JSON.stringify(h.why) }));
          const planned = summary(await search("planned", plan, queryVector));
          const before = summary(await search("postFilter", plan, queryVector));
          expect(planned).toEqual(before);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
