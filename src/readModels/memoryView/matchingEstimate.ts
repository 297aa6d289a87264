import type { Statement } from "better-sqlite3";
import type { MetadataValue } from "../../../domain/memory/memoryContent.js";
import type { SqliteDb } from "../sqliteReadModelDb.js";
import { metadataSqlValue, type MemoryFilters } from "./memoryFilterSql.js";

const statementsByDb = new WeakMap<SqliteDb, Map<string, Statement>>();

/**
 * An upper bound on the content versions matching the filters' tags and metadata, from the
 * indexed memory_tags / memory_metadata tables alone (a covering-index count: about 40 ns a row
 * where counting the exact set, which joins each row's interval, takes about 10 µs). Every
 * version of every cube counts, and a version with two of the tags twice, so the true set is
 * never larger. Stops at `cap`. Undefined when the filters name neither tags nor metadata.
 */
export function matchingUpperBound(db: SqliteDb, filters: MemoryFilters, cap: number): number | undefined {
  const tags = filters.tags ?? [];
  const fields = Object.entries(filters.metadata ?? {});
  if (tags.length === 0 && fields.length === 0) return undefined;
  // One table drives (the tags when named), the others are probed per row on their content_pos indexes,
  // so a tag and a metadata field that each match 10 % but together 1 % bound the set at 1 %.
  const params: unknown[] = [];
  // The same equality memoryFilterSql applies: json_extract's reading of the value, NULL by IS NULL.
  const fieldMatch = (alias: string, value: unknown) => `${alias}.field = ? AND ${alias}.value ${value === null ? "IS NULL" : "= ?"}`;
  const pushField = (field: string, value: MetadataValue) => {
    params.push(field);
    if (value !== null) params.push(metadataSqlValue(value));
  };
  let driver: string;
  let probed = fields;
  if (tags.length > 0) {
    driver = `SELECT 1 FROM memory_tags d WHERE d.tag IN (${tags.map(() => "?").join(", ")})`;
    params.push(...tags);
  } else {
    const [field, value] = fields[0]!;
    driver = `SELECT 1 FROM memory_metadata d WHERE ${fieldMatch("d", value)}`;
    pushField(field, value);
    probed = fields.slice(1);
  }
  const probes = probed.map(([field, value], i) => {
    pushField(field, value);
    return ` AND EXISTS (SELECT 1 FROM memory_metadata p${i} WHERE p${i}.content_pos = d.content_pos AND ${fieldMatch(`p${i}`, value)})`;
  });
  params.push(cap);
  return count(db, `SELECT count(*) AS n FROM (${driver}${probes.join("")} LIMIT ?)`, params);
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
