import type { Statement } from "better-sqlite3";
import type { SqliteDb } from "../sqliteReadModelDb.js";
import { metadataSqlValue, type MemoryFilters } from "./memoryFilterSql.js";

const statementsByDb = new WeakMap<SqliteDb, Map<string, Statement>>();

/**
 * An upper bound on the content versions matching the filters' tags and metadata, from the
 * indexed memory_tags / memory_metadata tables alone (covering-index counts: about 40 ns a row
 * where counting the exact set, which joins each row's interval, takes about 10 µs). Every
 * version of every cube counts, and a version with two of the tags twice, so the true set is
 * never larger. Stops at `cap`. Undefined when the filters name neither tags nor metadata.
 */
export function matchingUpperBound(db: SqliteDb, filters: MemoryFilters, cap: number): number | undefined {
  const bounds: number[] = [];
  const tags = filters.tags ?? [];
  if (tags.length > 0) {
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM memory_tags WHERE tag IN (${tags.map(() => "?").join(", ")}) LIMIT ?)`;
    bounds.push(count(db, sql, [...tags, cap]));
  }
  for (const [field, value] of Object.entries(filters.metadata ?? {})) {
    // The same equality memoryFilterSql applies: json_extract's reading of the value, NULL by IS NULL.
    const sql =
      value === null
        ? "SELECT count(*) AS n FROM (SELECT 1 FROM memory_metadata WHERE field = ? AND value IS NULL LIMIT ?)"
        : "SELECT count(*) AS n FROM (SELECT 1 FROM memory_metadata WHERE field = ? AND value = ? LIMIT ?)";
    bounds.push(count(db, sql, value === null ? [field, cap] : [field, metadataSqlValue(value), cap]));
  }
  return bounds.length === 0 ? undefined : Math.min(...bounds);
}

function count(db: SqliteDb, sql: string, params: unknown[]): number {
  let statements = statementsByDb.get(db);
  if (statements === undefined) {
    statements = new Map();
    statementsByDb.set(db, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return (statement.get(...params) as { n: number }).n;
}
