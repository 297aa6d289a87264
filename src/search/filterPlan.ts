import type { LogMoment } from "../../projections/projectionEvent.js";
import { matchingUpperBound } from "../readModels/memoryView/matchingEstimate.js";
import type { MemoryFilters } from "../readModels/memoryView/memoryFilterSql.js";
import type { MemoryViewStore } from "../readModels/memoryView/sqliteMemoryViewStore.js";

/**
 * How one cube's retrievers meet its filters (issue 17), chosen from how many content versions
 * match, so the vector and BM25 retrievers of a search read the matching set at most once:
 *  - `within`: few match; the vectors of exactly those are scanned;
 *  - `pushdown`: more match; the set is the ANN walk's allow-list;
 *  - `postFilter`: so many match that ranking everything and dropping the rest (fetching about
 *    pool / share hits) reads fewer rows than listing the set would. `tentative`: the share is
 *    a guess (an upper bound, or none at all), so a short fetch asks for the exact plan.
 * BM25 ranks within tiny sets and otherwise filters one full-text ranking by the set in memory
 * (filteredCandidates.ts): FTS5 re-reads the query's doclists for every listed rowid.
 *
 * Where the lines fall (bench/filteredSearchBench.ts, 100k memories): listing the matching set
 * costs one interval join per matching version (~14 µs on the loaded machine, 10k versions
 * 145 ms), post-filtering costs a row read per fetched hit (~30 µs, 750 hits 23 ms). Listing m
 * versions therefore beats fetching pool × 1.5 × N / m hits while m² < rowCostRatio × pool × 1.5 × N:
 * 3,900 of 100k, 12,000 of 1M at pool 50.
 */
export type FilterPlan =
  | { readonly kind: "within"; readonly positions: readonly number[]; readonly among: ReadonlySet<number>; readonly share: number }
  | { readonly kind: "pushdown"; readonly positions: readonly number[]; readonly among: ReadonlySet<number>; readonly share: number }
  | { readonly kind: "postFilter"; readonly share: number; readonly tentative: boolean };

export interface FilterPlanTuning {
  /** Up to this many matching versions the vectors are scanned exactly: 5,000 dot products of 384 floats take about 1 ms. */
  readonly withinAtMost: number;
  /** A fetched hit's row read costs this many times a listed version's (see above); sets the post-filter line. */
  readonly rowCostRatio: number;
  /** BM25 ranks within the set only up to this many: at 86 versions of 100k, `searchWithin` already cost one full ranking. */
  readonly lexicalWithinAtMost: number;
}

export const filterPlanDefaults: FilterPlanTuning = { withinAtMost: 5_000, rowCostRatio: 2, lexicalWithinAtMost: 100 };
/** Hits per wanted candidate a post-filtered fetch asks for beyond pool / share, so chance seldom leaves it short. */
export const postFilterMargin = 1.5;

export interface FilterPlanner {
  /** The plan to start with: exact when the set is known to be small, else a (tentative) post-filter. */
  initial(): FilterPlan;
  /** The plan from the matching set itself, listed (or found too large) once; after a tentative fetch came back short. */
  exact(): FilterPlan;
  readonly tuning: FilterPlanTuning;
}

/**
 * `indexSize`: content versions in the vector index (every cube's, every version), the
 * denominator of the share; undefined when there is no vector read model (the BM25 index
 * holds the same versions, so the memory view's count stands in).
 */
export function filterPlanner(
  view: MemoryViewStore,
  filters: MemoryFilters,
  asOf: LogMoment | undefined,
  indexSize: number | undefined,
  pool: number,
  tuning: Partial<FilterPlanTuning> = {},
): FilterPlanner {
  const resolved = { ...filterPlanDefaults, ...tuning };
  let total = indexSize;
  const size = () => (total ??= Math.max(1, view.countMatching({ statuses: "any" })));
  /** Listing more than this many matching versions costs more than post-filtering. */
  const postFilterFrom = () => Math.max(1, Math.ceil(Math.sqrt(resolved.rowCostRatio * pool * postFilterMargin * size())));
  let initial: FilterPlan | undefined;
  let exact: FilterPlan | undefined;
  const planExact = (): FilterPlan => {
    const cap = postFilterFrom();
    const positions = view.contentPositionsMatching(filters, asOf, cap);
    // A lower bound on the share, so the fetch errs on the large side.
    if (positions.length >= cap) return { kind: "postFilter", share: Math.min(1, cap / size()), tentative: false };
    return { kind: positions.length <= resolved.withinAtMost ? "within" : "pushdown", positions, among: new Set(positions), share: positions.length / size() };
  };
  return {
    tuning: resolved,
    initial() {
      initial ??= (() => {
        if (!filtersNarrow(filters)) return { kind: "postFilter", share: 1, tentative: true };
        const cap = postFilterFrom();
        // Four times the line is enough to size a fetch; counting further would cost more than it saves.
        const bound = matchingUpperBound(view.db, filters, cap * 4);
        if (bound === undefined || bound < cap) return (exact ??= planExact());
        return { kind: "postFilter", share: Math.min(1, bound / size()), tentative: true };
      })();
      return initial;
    },
    exact() {
      exact ??= planExact();
      return exact;
    },
  };
}

/**
 * Filters that usually leave a small share. Statuses (always set by the request normaliser, mostly
 * the retrievable ones), cubes, visibility and the moment are left to the unfiltered ranking first;
 * a filter added later is treated that way too until it is listed here, which is only slower.
 */
const narrowing: readonly (keyof MemoryFilters)[] = ["tags", "metadata", "memoryTypes", "userId", "agentId", "eventTimeFrom", "eventTimeTo", "createdFrom", "createdTo"];

function filtersNarrow(filters: MemoryFilters): boolean {
  return narrowing.some((name) => filters[name] !== undefined);
}
