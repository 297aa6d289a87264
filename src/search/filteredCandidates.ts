import type { LogMoment } from "../../projections/projectionEvent.js";
import type { LexicalHit, LexicalStore } from "../readModels/lexical/sqliteLexicalStore.js";
import type { MemoryFilters } from "../readModels/memoryView/memoryFilterSql.js";
import type { MemoryViewRow, MemoryViewStore } from "../readModels/memoryView/sqliteMemoryViewStore.js";
import type { VectorHit, VectorReadModel } from "../readModels/vector/vectorReadModel.js";
import { postFilterMargin, type FilterPlanner } from "./filterPlan.js";
import type { SearchRowReader } from "./searchRowReader.js";

/** One retriever's candidates, best first: rows valid at the moment and matching the filters. */
export type RankedRows<P> = { row: MemoryViewRow; part: P }[];

/**
 * Raw hits fetched per wanted candidate before filtering by moment and filters: enough when
 * most hits are current (the common case); the retrievers widen when too few survive.
 * Every hit costs a row read and its JSON decoded on the event loop, so no more than that.
 */
const firstFetchFactor = 2;
/** The pre-issue-17 vector strategy scanned the matching set exactly up to this many (postFilterVectorCandidates). */
const postFilterWithinAtMost = 5_000;
/** The pre-issue-17 BM25 strategy ranked within the matching set only up to this many (postFilterLexicalCandidates). */
const postFilterLexicalWithinBelow = 1_000;

/** Vector candidates under the planner's strategy (filterPlan.ts). */
export async function vectorCandidates(
  reader: SearchRowReader,
  planner: FilterPlanner,
  vector: VectorReadModel,
  query: Float32Array,
  pool: number,
): Promise<RankedRows<{ similarity: number }>> {
  if (vector.size === 0) return [];
  const ranked = (hits: readonly VectorHit[]) => rankRows(hits, reader, (h) => h.label, (h) => ({ similarity: h.similarity }));
  let plan = planner.initial();
  if (plan.kind === "postFilter" && plan.tentative) {
    // Most versions may match (or nothing narrows but the cube and moment): one fetch sized by the guess usually has enough.
    const first = await vector.search(query, Math.min(postFilterFetch(pool, plan.share), vector.size));
    const rows = ranked(first);
    if (rows.length >= pool || first.length >= vector.size) return rows.slice(0, pool);
    plan = planner.exact();
  }
  if (plan.kind === "within") return ranked(await vector.searchExact(query, pool, plan.positions));
  if (plan.kind === "pushdown") return ranked(await vector.search(query, Math.min(pool, plan.among.size), plan.among));
  // Too many match to list: fetch enough for the share to leave a pool, widening when the estimate fell short.
  for (let k = postFilterFetch(pool, plan.share); ; k *= 4) {
    const hits = await vector.search(query, Math.min(k, vector.size));
    const rows = ranked(hits);
    if (rows.length >= pool || hits.length >= vector.size) return rows.slice(0, pool);
  }
}

/** BM25 hits fetched ahead, on the lexical store's thread (`startLexicalFirstFetch`). */
export interface LexicalFirstFetch {
  readonly limit: number;
  readonly hits: readonly LexicalHit[];
}

/**
 * Starts, on the lexical store's ranking thread, the first BM25 fetch `lexicalCandidates` will make, so
 * the caller can run the vector lane meanwhile: the whole-index ranking it filters (the unfiltered search,
 * and a matching set too large to rank within). Undefined when it will rank within a small set instead
 * (cheap, and on this thread). Resolves to undefined if the fetch fails: `lexicalCandidates` then ranks
 * on this thread, and fails there.
 */
export function startLexicalFirstFetch(planner: FilterPlanner, lexical: LexicalStore, query: string, pool: number): Promise<LexicalFirstFetch | undefined> | undefined {
  const plan = planner.initial();
  // The same first limit lexicalCandidates computes for this plan.
  let limit: number;
  if (plan.kind === "postFilter" && plan.tentative) limit = postFilterFetch(pool, plan.share);
  // Within a set small enough to scan, the vector lane is a short exact scan: too little to overlap with
  // for what handing the ranking's rows across threads costs (measured: 1.02× for two filters at 1 %).
  else if (plan.kind === "within") return undefined;
  else limit = Math.max(postFilterFetch(pool, 1) * 4, postFilterFetch(pool, plan.share));
  return lexical.searchOnWorker(query, limit).then(
    (hits) => ({ limit, hits }),
    () => undefined,
  );
}

/** BM25 candidates under the planner's strategy (filterPlan.ts); `firstFetch`: the first fetch, made ahead. */
export function lexicalCandidates(
  reader: SearchRowReader,
  planner: FilterPlanner,
  lexical: LexicalStore,
  query: string,
  pool: number,
  firstFetch?: LexicalFirstFetch,
): RankedRows<{ score: number }> {
  const ranked = (hits: readonly LexicalHit[]) => rankRows(hits, reader, (h) => h.contentPosition, (h) => ({ score: h.score }));
  let plan = planner.initial();
  let limit = postFilterFetch(pool, 1);
  if (plan.kind === "postFilter" && plan.tentative) {
    limit = postFilterFetch(pool, plan.share);
    const hits = firstFetch?.limit === limit ? firstFetch.hits : lexical.search(query, limit);
    const rows = ranked(hits);
    if (rows.length >= pool || hits.length < limit) return rows.slice(0, pool);
    plan = planner.exact();
  }
  if (plan.kind !== "postFilter" && plan.positions.length <= planner.tuning.lexicalWithinAtMost) return ranked(lexical.searchWithin(query, plan.positions, pool));
  // FTS5 evaluates the MATCH over the whole index either way, and re-reads it for every listed rowid, so larger sets
  // filter one ranking instead: with the set in memory, hits outside it are dropped before any row is read.
  const among = plan.kind === "postFilter" ? undefined : plan.among;
  for (limit = Math.max(limit * 4, postFilterFetch(pool, plan.share)); ; limit *= 4) {
    // Limits only grow, so a fetch made ahead can only be the first one here.
    const hits = firstFetch?.limit === limit ? firstFetch.hits : lexical.search(query, limit);
    const rows = ranked(among ? hits.filter((h) => among.has(h.contentPosition)) : hits);
    if (rows.length >= pool || hits.length < limit) return rows.slice(0, pool);
  }
}

/**
 * Raw hits to fetch so that about `pool` survive a filter matching `share` of them, with a margin
 * for chance; at share 1, 2 × pool (most hits are current: the common case).
 */
function postFilterFetch(pool: number, share: number): number {
  return Math.max(pool * firstFetchFactor, Math.ceil((pool * postFilterMargin) / Math.max(share, 1e-3)));
}

/** The hits whose content version is in force and matches, in hit order, with their rows. */
function rankRows<H, P>(hits: readonly H[], reader: SearchRowReader, positionOf: (hit: H) => number, partOf: (hit: H) => P): RankedRows<P> {
  const rows = reader.rowsForContent(hits.map(positionOf));
  return hits.flatMap((h) => {
    const row = rows.get(positionOf(h));
    return row ? [{ row, part: partOf(h) }] : [];
  });
}

/**
 * The vector strategy before issue 17: over-fetch and filter, count only when that falls short,
 * exact under 5,000 matches, otherwise widen the unfiltered walk. The benchmark's same-run baseline.
 */
export async function postFilterVectorCandidates(
  view: MemoryViewStore,
  reader: SearchRowReader,
  vector: VectorReadModel,
  query: Float32Array,
  filters: MemoryFilters,
  asOf: LogMoment | undefined,
  pool: number,
): Promise<RankedRows<{ similarity: number }>> {
  if (vector.size === 0) return [];
  const ranked = (hits: readonly VectorHit[]) => rankRows(hits, reader, (h) => h.label, (h) => ({ similarity: h.similarity }));
  const first = await vector.search(query, Math.min(pool * firstFetchFactor, vector.size));
  const firstRows = ranked(first);
  if (firstRows.length >= pool || first.length >= vector.size) return firstRows.slice(0, pool);
  const matching = view.countMatching(filters, asOf, postFilterWithinAtMost + 1);
  if (matching <= postFilterWithinAtMost) return ranked(await vector.searchExact(query, pool, view.contentPositionsMatching(filters, asOf, matching)));
  for (let k = pool * 16; ; k *= 4) {
    const hits = await vector.search(query, Math.min(k, vector.size));
    const rows = ranked(hits);
    if (rows.length >= pool || hits.length >= vector.size) return rows.slice(0, pool);
  }
}

/** The BM25 strategy before issue 17 (see postFilterVectorCandidates): within the set only up to 1,000, else widen. */
export function postFilterLexicalCandidates(
  view: MemoryViewStore,
  reader: SearchRowReader,
  lexical: LexicalStore,
  query: string,
  filters: MemoryFilters,
  asOf: LogMoment | undefined,
  pool: number,
): RankedRows<{ score: number }> {
  const ranked = (hits: readonly LexicalHit[]) => rankRows(hits, reader, (h) => h.contentPosition, (h) => ({ score: h.score }));
  let matching: number | undefined;
  for (let limit = pool * firstFetchFactor; ; limit *= 8) {
    if (limit > pool * firstFetchFactor && matching === undefined) {
      matching = view.countMatching(filters, asOf, postFilterLexicalWithinBelow + 1);
      if (matching <= postFilterLexicalWithinBelow) return ranked(lexical.searchWithin(query, view.contentPositionsMatching(filters, asOf, matching), pool));
    }
    const hits = lexical.search(query, limit);
    const rows = ranked(hits);
    if (rows.length >= pool || hits.length < limit) return rows.slice(0, pool);
  }
}
