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
}

export const defaultRetrievableStatuses: readonly MemoryStatus[] = ["activated", "frozen"];

/**
 * The WHERE clause over `memory_intervals i` (and `memory_contents c`) for
 * filters at a moment: current rows by default, otherwise the interval valid
 * at the given position or recorded time. Its text has the same size whatever
 * the filters hold: lists and metadata go in as one JSON parameter each, so a
 * large filter cannot outgrow SQLite's expression limits.
 */
export function memoryFilterSql(filters: MemoryFilters, asOf: LogMoment | undefined): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (asOf === undefined) clauses.push("i.to_pos IS NULL");
  else if ("position" in asOf) {
    clauses.push("i.from_pos <= ? AND (i.to_pos IS NULL OR i.to_pos > ?)");
    params.push(asOf.position, asOf.position);
  } else {
    clauses.push("i.from_time <= ? AND (i.to_time IS NULL OR i.to_time > ?)");
    params.push(asOf.time, asOf.time);
  }
  const inList = (column: string, values: readonly unknown[]) => {
    clauses.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(values));
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
  if (filters.tags && filters.tags.length > 0) {
    clauses.push("EXISTS (SELECT 1 FROM json_each(c.tags_json) t WHERE t.value IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(filters.tags));
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
  if (filters.metadata !== undefined && Object.keys(filters.metadata).length > 0) {
    // No wanted field may differ: a null asks for a stored JSON null, booleans compare as SQLite's 1 and 0.
    clauses.push(
      "NOT EXISTS (SELECT 1 FROM json_each(?) f WHERE NOT (CASE WHEN f.type = 'null' THEN json_type(c.metadata_json, '$.' || json_quote(f.key)) IS 'null' ELSE json_extract(c.metadata_json, '$.' || json_quote(f.key)) IS f.value END))",
    );
    params.push(JSON.stringify(filters.metadata));
  }
  return { where: clauses.join(" AND "), params };
}
