import type { MemoryType, MetadataValue } from "../../../domain/memory/memoryContent.js";
import type { MemoryStatus } from "../../../domain/memory/memoryEvents.js";
import type { LogMoment } from "../../../projections/projectionEvent.js";

/**
 * What a listing or a search may return. Every filter narrows; nothing widens
 * beyond the caller's cubes. Statuses default to the retrievable ones
 * (activated and frozen): generated units are not processed yet, archived and
 * merged ones come back only when asked for.
 */
export interface MemoryFilters {
  readonly cubeIds?: readonly string[];
  readonly statuses?: readonly MemoryStatus[] | "any";
  readonly memoryTypes?: readonly MemoryType[];
  /** A unit matches when it carries at least one of these tags. */
  readonly tags?: readonly string[];
  readonly userId?: string;
  readonly agentId?: string;
  /** Inclusive bounds on the remembered thing's own time (`attributes.eventTime`), ISO-8601. */
  readonly eventTimeFrom?: string;
  readonly eventTimeTo?: string;
  /** Inclusive bounds on when the unit was first recorded, ISO-8601. */
  readonly createdFrom?: string;
  readonly createdTo?: string;
  /** Exact matches on flat metadata fields. */
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
  /**
   * Set by the principal-scoped facade, never by a request: `private` units
   * come back only when one of these names wrote them (`created_by`) or is
   * their subject (`user_id`). Applied here, inside every retriever's
   * candidate set, so hidden units never take part in ranking. `session`
   * units follow the same rule (and `sessionVisibleTo` below).
   */
  readonly privateVisibleTo?: readonly string[];
  /**
   * Set by the principal-scoped facade with `privateVisibleTo`, never by a
   * request: the session the caller states; `session` units of it come back too.
   */
  readonly sessionVisibleTo?: string;
  /**
   * Set by the principal-scoped facade with `privateVisibleTo`, never by a
   * request: the cubes the caller administers, whose personal units it sees
   * whoever wrote them (a search over several cubes mixes both kinds).
   */
  readonly personalVisibleInCubes?: readonly string[];
}

export const defaultRetrievableStatuses: readonly MemoryStatus[] = ["activated", "frozen"];

/**
 * The most a filter may hold. Each list item is one placeholder and each metadata
 * field one clause, so these bound the statement's size (999 metadata fields were
 * "Expression tree is too large"). Callers check them with an error for the user
 * (normalizeSearchRequest); memoryFilterSql refuses past them as a defect.
 */
export const memoryFilterLimits = {
  cubeIds: 50,
  statuses: 6,
  memoryTypes: 50,
  tags: 100,
  metadataFields: 50,
  /** Characters of a tag, id, metadata field name or string value in a filter. */
  valueLength: 1_000,
} as const;

/**
 * The WHERE clause over `memory_intervals i` (and `memory_contents c`) for
 * filters at a moment: current rows by default, otherwise the interval valid
 * at the given position or recorded time. One placeholder per list item and one
 * clause per metadata field (json_each measured 1.2× slower overall, 2× on
 * metadata: docs/benchmarks.md), so sizes are bounded by memoryFilterLimits.
 */
/**
 * How the tag and metadata filters are read. `probe` (the default) looks each candidate's
 * content version up in the indexed `memory_tags` / `memory_metadata` tables: right when the
 * rows are already chosen (a retriever's hits). `drive` lets those tables choose the rows
 * (counting and listing what matches: a 0.1 % tag reads 0.1 % of the rows). `json` is the
 * old scan of each row's `tags_json` / `metadata_json`, kept as the reference the property
 * test and bench/filteredSearchBench.ts compare against.
 */
export type TagAndMetadataAccess = "probe" | "drive" | "json";

export function memoryFilterSql(filters: MemoryFilters, asOf: LogMoment | undefined, access: TagAndMetadataAccess = "probe"): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const oversized = oversizedFilter(filters);
  if (oversized !== undefined) throw new RangeError(`memoryFilterSql: ${oversized} is over its limit in memoryFilterLimits; check filters with normalizeSearchRequest first`);
  if (asOf === undefined) clauses.push("i.to_pos IS NULL");
  else if ("position" in asOf) {
    clauses.push("i.from_pos <= ? AND (i.to_pos IS NULL OR i.to_pos > ?)");
    params.push(asOf.position, asOf.position);
  } else {
    clauses.push("i.from_time <= ? AND (i.to_time IS NULL OR i.to_time > ?)");
    params.push(asOf.time, asOf.time);
  }
  // When the tag/metadata tables drive, the cube and status terms must not: a unary + keeps SQLite from
  // walking the (cube, status) index over every current row (measured 20 ms at 30k rows for a 1 % tag).
  const drivenByTables = access === "drive" && ((filters.tags?.length ?? 0) > 0 || Object.keys(filters.metadata ?? {}).length > 0);
  const inList = (column: string, values: readonly unknown[]) => {
    clauses.push(`${drivenByTables ? "+" : ""}${column} IN (${values.map(() => "?").join(", ")})`);
    params.push(...values);
  };
  if (filters.cubeIds !== undefined) {
    if (filters.cubeIds.length === 0) clauses.push("0");
    else inList("i.cube_id", filters.cubeIds);
  }
  const statuses = filters.statuses ?? defaultRetrievableStatuses;
  if (statuses !== "any") {
    if (statuses.length === 0) clauses.push("0");
    else inList("i.status", statuses);
  }
  if (filters.memoryTypes && filters.memoryTypes.length > 0) inList("i.memory_type", filters.memoryTypes);
  /**
   * Driving: the content versions the tag and metadata tables name, intersected on their covering indexes
   * before any interval is read. With one `IN (...)` per table SQLite drove from one of them and probed the
   * other for each of its rows (a 10 % tag and a 10 % field meeting at 1 %: an interval read per 10 % row).
   */
  const drivingSets: { readonly sql: string; readonly params: readonly unknown[] }[] = [];
  if (filters.tags && filters.tags.length > 0) {
    const tagList = filters.tags.map(() => "?").join(", ");
    if (access === "drive") drivingSets.push({ sql: `SELECT t.content_pos FROM memory_tags t WHERE t.tag IN (${tagList})`, params: filters.tags });
    else {
      clauses.push(
        access === "json"
          ? `EXISTS (SELECT 1 FROM json_each(c.tags_json) t WHERE t.value IN (${tagList}))`
          : `EXISTS (SELECT 1 FROM memory_tags t WHERE t.content_pos = i.content_pos AND t.tag IN (${tagList}))`,
      );
      params.push(...filters.tags);
    }
  }
  if (filters.userId !== undefined) {
    clauses.push("c.user_id = ?");
    params.push(filters.userId);
  }
  if (filters.agentId !== undefined) {
    clauses.push("c.agent_id = ?");
    params.push(filters.agentId);
  }
  const bound = (column: string, op: ">=" | "<=", value: string | undefined) => {
    if (value === undefined) return;
    clauses.push(`${column} ${op} ?`);
    params.push(value);
  };
  bound("i.event_time", ">=", filters.eventTimeFrom);
  bound("i.event_time", "<=", filters.eventTimeTo);
  bound("i.created_at", ">=", filters.createdFrom);
  bound("i.created_at", "<=", filters.createdTo);
  if (filters.privateVisibleTo !== undefined) {
    // The same rule as seesUnit in domain/governance/authorize.ts, for the personal visibilities (private, session).
    const names = filters.privateVisibleTo.map(() => "?").join(", ");
    const seen = ["i.visibility NOT IN ('private', 'session')"];
    if (names !== "") seen.push(`i.created_by IN (${names})`, `c.user_id IN (${names})`);
    params.push(...filters.privateVisibleTo, ...filters.privateVisibleTo);
    if (filters.sessionVisibleTo !== undefined) {
      seen.push("(i.visibility = 'session' AND c.session_id = ?)");
      params.push(filters.sessionVisibleTo);
    }
    if (filters.personalVisibleInCubes !== undefined && filters.personalVisibleInCubes.length > 0) {
      seen.push(`i.cube_id IN (${filters.personalVisibleInCubes.map(() => "?").join(", ")})`);
      params.push(...filters.personalVisibleInCubes);
    }
    clauses.push(`(${seen.join(" OR ")})`);
  }
  for (const [field, value] of Object.entries(filters.metadata ?? {})) {
    if (access !== "json") {
      // memory_metadata holds each field's value as json_extract reads it (true is 1), so equality means what it meant on the JSON.
      const match = value === null ? "m.field = ? AND m.value IS NULL" : "m.field = ? AND m.value = ?";
      const matchParams = value === null ? [field] : [field, metadataSqlValue(value)];
      if (access === "drive") {
        drivingSets.push({ sql: `SELECT m.content_pos FROM memory_metadata m WHERE ${match}`, params: matchParams });
      } else {
        clauses.push(`EXISTS (SELECT 1 FROM memory_metadata m WHERE m.content_pos = i.content_pos AND ${match})`);
        params.push(...matchParams);
      }
      continue;
    }
    // The field name goes in as a quoted JSON path parameter, never into the SQL text.
    if (value === null) clauses.push("json_type(c.metadata_json, ?) = 'null'");
    else if (typeof value === "boolean") clauses.push(`json_extract(c.metadata_json, ?) = ${value ? 1 : 0}`);
    else clauses.push("json_extract(c.metadata_json, ?) = ?");
    params.push(`$.${JSON.stringify(field)}`);
    if (value !== null && typeof value !== "boolean") params.push(value);
  }
  if (drivingSets.length > 0) {
    clauses.push(`i.content_pos IN (${drivingSets.map((set) => set.sql).join(" INTERSECT ")})`);
    for (const set of drivingSets) params.push(...set.params);
  }
  return { where: clauses.join(" AND "), params };
}

/** The first filter list over its limit, by name, or undefined. */
export function oversizedFilter(filters: MemoryFilters): string | undefined {
  const sizes = {
    cubeIds: filters.cubeIds?.length ?? 0,
    statuses: Array.isArray(filters.statuses) ? filters.statuses.length : 0,
    memoryTypes: filters.memoryTypes?.length ?? 0,
    tags: filters.tags?.length ?? 0,
    metadataFields: Object.keys(filters.metadata ?? {}).length,
  };
  return (Object.keys(sizes) as (keyof typeof sizes)[]).find((name) => sizes[name] > memoryFilterLimits[name]);
}

/** A flat metadata value as SQLite's json_extract returns it (booleans are 1 and 0), for the memory_metadata table. */
export function metadataSqlValue(value: MetadataValue): string | number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
