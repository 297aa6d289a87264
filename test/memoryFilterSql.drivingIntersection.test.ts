import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { memoryFilterSql } from "../src/readModels/memoryView/memoryFilterSql.js";

/*
 * Counting and listing what matches (`drive`) let SQLite drive from one tag/metadata subquery and
 * probe the others for each of its rows: a 10 % tag and a 10 % field meeting at 1 % read an interval
 * per 10 % row (29 ms at 100k, docs/benchmarks.md "Filtered search at 100k on a quiet machine"). The
 * tables' sets are now intersected first, in one subquery. Equivalence with the JSON scan is the
 * property test in retrieval.indexedFilters.test.ts; this holds the shape and the binding order.
 */
describe("memoryFilterSql, drive access: one intersected set of content versions", () => {
  const filters = { cubeIds: ["c1"], tags: ["red", "blue"], metadata: { bucket: "b3", flag: true, gone: null }, userId: "u1" } as const;

  it("names the tag set and every metadata set in one IN (… INTERSECT …), after the other terms, with its parameters in that order", () => {
    const { where, params } = memoryFilterSql(filters, undefined, "drive");
    expect(where.match(/i\.content_pos IN \(/g)).toHaveLength(1);
    expect(where).toMatch(/i\.content_pos IN \(SELECT t\.content_pos FROM memory_tags t WHERE t\.tag IN \(\?, \?\) INTERSECT SELECT m\.content_pos .* INTERSECT SELECT m\.content_pos .* INTERSECT SELECT m\.content_pos FROM memory_metadata m WHERE m\.field = \? AND m\.value IS NULL\)$/);
    // The cube, the default statuses and the user come first, as their terms do; the intersected set binds last.
    expect(params[0]).toBe("c1");
    expect(params.slice(-8)).toEqual(["u1", "red", "blue", "bucket", "b3", "flag", 1, "gone"]);
  });

  it("SQLite answers it: the versions carrying a tag and every field, in force", () => {
    const db = new Database(":memory:");
    db.exec(`
      CREATE TABLE memory_intervals (memory_id TEXT, from_pos INTEGER, to_pos INTEGER, cube_id TEXT, status TEXT, memory_type TEXT, content_pos INTEGER, event_time TEXT, created_at TEXT, visibility TEXT, created_by TEXT);
      CREATE TABLE memory_contents (content_pos INTEGER PRIMARY KEY, user_id TEXT, agent_id TEXT, session_id TEXT);
      CREATE TABLE memory_tags (content_pos INTEGER, tag TEXT);
      CREATE TABLE memory_metadata (content_pos INTEGER, field TEXT, value);
    `);
    for (const pos of [1, 2, 3, 4]) {
      db.prepare("INSERT INTO memory_intervals VALUES (?, ?, NULL, 'c1', 'activated', 'fact', ?, NULL, '', 'cube', 'x')").run(`m${pos}`, pos, pos);
      db.prepare("INSERT INTO memory_contents VALUES (?, 'u1', NULL, NULL)").run(pos);
    }
    // 1: tag and all fields; 2: tag, one field missing; 3: fields but no tag; 4: another tag and all fields.
    for (const [pos, tag] of [[1, "red"], [2, "blue"], [4, "blue"]] as const) db.prepare("INSERT INTO memory_tags VALUES (?, ?)").run(pos, tag);
    for (const pos of [1, 2, 3, 4]) db.prepare("INSERT INTO memory_metadata VALUES (?, 'bucket', 'b3')").run(pos);
    for (const pos of [1, 3, 4]) db.prepare("INSERT INTO memory_metadata VALUES (?, 'flag', 1)").run(pos);
    for (const pos of [1, 2, 3, 4]) db.prepare("INSERT INTO memory_metadata VALUES (?, 'gone', NULL)").run(pos);
    const { where, params } = memoryFilterSql(filters, undefined, "drive");
    const rows = db.prepare(`SELECT i.content_pos AS p FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE ${where} ORDER BY p`).all(...params) as { p: number }[];
    expect(rows.map((r) => r.p)).toEqual([1, 4]);
    db.close();
  });
});
