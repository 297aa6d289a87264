/**
 * `npx vite-node bench/filterSqlBench.ts -- [--memories 20000] [--reps 300]`: the memory view's filter SQL
 * (hardening #6). The baseline is `memoryFilterSql`: one `?` per list item and one clause per metadata field,
 * bounded by memoryFilterLimits. The alternative, in the same run on the same file, passes each list and the
 * metadata filter as one JSON parameter read with json_each (`jsonEachFilterSql` below), so its text never grows.
 * Memories are added through the ledger (no embedder), then the memory view file is queried directly
 * with the statements the store runs for a search: matching content positions, the count, and the rows
 * of a candidate list.
 */
import Database from "better-sqlite3";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MemoryType, MetadataValue } from "../domain/memory/memoryContent.js";
import type { MemoryStatus } from "../domain/memory/memoryEvents.js";
import { openMemLedger } from "../src/app/memLedger.js";
import { defaultRetrievableStatuses, memoryFilterSql, type MemoryFilters } from "../src/readModels/memoryView/memoryFilterSql.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRatio, formatTable, nowMs, rng, summarize, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { memories: { type: "string", default: "20000" }, reps: { type: "string", default: "300" } },
});
const memoryCount = Number(args.memories);
const reps = Number(args.reps);
const cubeIds = ["bench-a", "bench-b"];
const topics = ["travel", "food", "work", "family", "health", "music", "sport", "books", "money", "home"];
const sources = ["chat", "email", "note", "import"];

/** The alternative measured for hardening #6: every list and the metadata filter as one JSON parameter, so the SQL text never grows. */
function jsonEachFilterSql(filters: MemoryFilters): { where: string; params: unknown[] } {
  const clauses: string[] = ["i.to_pos IS NULL"];
  const params: unknown[] = [];
  const inList = (column: string, values: readonly unknown[]) => {
    clauses.push(`${column} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(values));
  };
  if (filters.cubeIds !== undefined) inList("i.cube_id", filters.cubeIds);
  const statuses = filters.statuses ?? defaultRetrievableStatuses;
  if (statuses !== "any") inList("i.status", statuses);
  if (filters.memoryTypes && filters.memoryTypes.length > 0) inList("i.memory_type", filters.memoryTypes);
  if (filters.tags && filters.tags.length > 0) {
    clauses.push("EXISTS (SELECT 1 FROM json_each(c.tags_json) t WHERE t.value IN (SELECT value FROM json_each(?)))");
    params.push(JSON.stringify(filters.tags));
  }
  if (filters.metadata !== undefined && Object.keys(filters.metadata).length > 0) {
    clauses.push(
      "NOT EXISTS (SELECT 1 FROM json_each(?) f WHERE NOT (CASE WHEN f.type = 'null' THEN json_type(c.metadata_json, '$.' || json_quote(f.key)) IS 'null' ELSE json_extract(c.metadata_json, '$.' || json_quote(f.key)) IS f.value END))",
    );
    params.push(JSON.stringify(filters.metadata));
  }
  return { where: clauses.join(" AND "), params };
}

async function fill(dataDir: string): Promise<void> {
  const ledger = await openMemLedger({ dataDir });
  const random = rng(7);
  for (const cubeId of cubeIds) await ledger.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "bench" } });
  const batch = 200;
  for (let done = 0; done < memoryCount; done += batch) {
    const memories = Array.from({ length: Math.min(batch, memoryCount - done) }, (_, i) => {
      const topic = topics[Math.floor(random() * topics.length)]!;
      return {
        text: `memory ${done + i} about ${topic}`,
        tags: [topic, `t${Math.floor(random() * 200)}`],
        memoryType: (random() < 0.3 ? "preference" : "long_term") as MemoryType,
        metadata: { source: sources[Math.floor(random() * sources.length)]!, rank: Math.floor(random() * 5), flag: random() < 0.5 } as Record<string, MetadataValue>,
      };
    });
    await ledger.memories.add(cubeIds[(done / batch) % cubeIds.length]!, { memories });
  }
  while ((await ledger.readModels.lag()).some((l) => l.behind > 0)) await new Promise((r) => setTimeout(r, 100));
  await ledger.close();
}

const dataDir = tempDir("filter-sql");
try {
  const fillStart = nowMs();
  await fill(dataDir);
  const fillSeconds = (nowMs() - fillStart) / 1000;
  const readModels = join(dataDir, "readmodels");
  const file = readdirSync(readModels).find((f) => /^memory_view.*\.db$/.test(f));
  if (file === undefined) throw new Error(`no memory view file in ${readModels}`);
  const db = new Database(join(readModels, file), { readonly: true });
  const positions = (db.prepare("SELECT content_pos AS p FROM memory_intervals WHERE to_pos IS NULL AND content_pos IS NOT NULL ORDER BY content_pos LIMIT 200").all() as { p: number }[]).map((r) => r.p);

  const many = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
  const scenarios: { name: string; filters: MemoryFilters }[] = [
    { name: "cubes + default statuses", filters: { cubeIds } },
    { name: "tag travel", filters: { cubeIds, tags: ["travel"] } },
    { name: "metadata source=chat", filters: { cubeIds, metadata: { source: "chat" } } },
    { name: "metadata 3 fields", filters: { cubeIds, metadata: { source: "chat", rank: 2, flag: true } } },
    { name: "type preference", filters: { cubeIds, memoryTypes: ["preference"] } },
    { name: "100 tags", filters: { cubeIds, tags: many(100) } },
    { name: "50 metadata fields", filters: { cubeIds, metadata: Object.fromEntries(many(50).map((k) => [k, 1])) } },
    { name: "statuses any 6", filters: { cubeIds, statuses: ["generated", "activated", "merged", "archived", "frozen", "erased"] as MemoryStatus[] } },
  ];
  type Builder = (filters: MemoryFilters) => { where: string; params: unknown[] };
  const builders: Record<"json" | "inList", Builder> = { json: jsonEachFilterSql, inList: (f) => memoryFilterSql(f, undefined) };
  const statements = {
    matching: (b: Builder, f: MemoryFilters) => {
      const sql = b(f);
      return () => db.prepare(`SELECT i.content_pos AS p FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IS NOT NULL AND ${sql.where} LIMIT 500`).all(...sql.params).length;
    },
    count: (b: Builder, f: MemoryFilters) => {
      const sql = b(f);
      return () => (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM memory_intervals i LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IS NOT NULL AND ${sql.where})`).get(...sql.params) as { n: number }).n;
    },
    candidates: (b: Builder, f: MemoryFilters) => {
      const sql = b(f);
      return () =>
        db
          .prepare(`SELECT i.memory_id FROM memory_intervals i INDEXED BY memory_intervals_by_content LEFT JOIN memory_contents c ON c.content_pos = i.content_pos WHERE i.content_pos IN (SELECT value FROM json_each(?)) AND ${sql.where}`)
          .all(JSON.stringify(positions), ...sql.params).length;
    },
  };
  const rows: string[][] = [];
  const ratios: number[] = [];
  for (const scenario of scenarios) {
    for (const [statement, make] of Object.entries(statements)) {
      const json = make(builders.json, scenario.filters);
      const inList = make(builders.inList, scenario.filters);
      if (json() !== inList()) throw new Error(`${scenario.name} ${statement}: the two builders disagree`);
      const times = { json: [] as number[], inList: [] as number[] };
      for (let i = 0; i < 20; i += 1) (json(), inList());
      // Interleaved so both see the same cache and machine load.
      for (let i = 0; i < reps; i += 1) {
        for (const [name, run] of [["json", json], ["inList", inList]] as const) {
          const start = nowMs();
          run();
          times[name].push(nowMs() - start);
        }
      }
      const j = summarize(times.json);
      const l = summarize(times.inList);
      ratios.push(j.p50 / l.p50);
      rows.push([scenario.name, statement, String(json()), fmtMs(l.p50), fmtMs(j.p50), fmtRatio(j.p50 / l.p50), fmtMs(l.p99), fmtMs(j.p99)]);
    }
  }
  db.close();
  const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  const markdown = formatTable({
    title: `Memory view filter SQL: one placeholder per item (memoryFilterSql, baseline) vs one JSON parameter per list (json_each) (${memoryCount.toLocaleString("en-US")} memories, ${reps} runs each)`,
    headers: ["filter", "statement", "rows", "p50 placeholders (baseline)", "p50 json_each", "json_each / baseline", "p99 placeholders", "p99 json_each"],
    rows,
    notes: [`Geometric mean of the p50 ratios (json_each / placeholders): ${fmtRatio(geomean)}. Filling the ledger took ${fillSeconds.toFixed(1)} s.`],
  });
  console.log(markdown);
  console.log(`\nwritten to ${writeResults("filter-sql", markdown)}`);
} finally {
  removeDir(dataDir);
}
