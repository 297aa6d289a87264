import fc from "fast-check";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetadataValue } from "../domain/memory/memoryContent.js";
import type { MemoryFilters } from "../src/readModels/memoryView/memoryFilterSql.js";
import { openSqliteMemoryViewStore, type MemoryViewStore } from "../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * Tag and metadata filters read the indexed memory_tags / memory_metadata tables (projection
 * version 2); the old json_each scan of each row's JSON stays as the reference. On random units
 * (edited, archived and erased ones among them) both must select exactly the same rows.
 */
const tagPool = ["travel", "food", "work", "a b", "Ünïcode", "x"];
const metadataValues: readonly MetadataValue[] = ["chat", "email", "1", 1, 0, 2.5, true, false, null, ""];
const fields = ["source", "rank", "flag", "odd field"];

describe("retrieval: indexed tag and metadata filters", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let indexed: MemoryViewStore;
  let scanned: MemoryViewStore;
  let head = 0;

  beforeAll(async () => {
    t = await tempLedger();
    const random = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 4_000, seed: 17 });
    let r = 0;
    const next = (n: number) => random[r++ % random.length]! % n;
    const content = (i: number) => ({
      text: `unit ${i}`,
      tags: tagPool.filter(() => next(3) === 0),
      metadata: Object.fromEntries(fields.filter(() => next(2) === 0).map((f) => [f, metadataValues[next(metadataValues.length)]!])),
    });
    for (const cubeId of ["c1", "c2"]) await t.ledger.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "u" } });
    const ids: string[] = [];
    for (let b = 0; b < 6; b++) {
      const added = await t.ledger.memories.add(b % 2 === 0 ? "c1" : "c2", { mode: "sync", memories: Array.from({ length: 20 }, (_, i) => content(b * 20 + i)) });
      if (added.mode !== "sync") throw new Error("expected a sync add");
      ids.push(...added.memories.map((m) => m.memoryId));
    }
    for (const id of ids.slice(0, 30)) await t.ledger.memories.edit(id, { content: content(1000) });
    for (const id of ids.slice(30, 40)) await t.ledger.memories.archive(id);
    for (const id of ids.slice(40, 48)) await t.ledger.memories.erase(id);
    while ((await t.ledger.readModels.lag()).some((l) => l.behind > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
    const dir = join(t.dataDir, "readmodels");
    const file = join(dir, readdirSync(dir).find((f) => /^memory_view.*\.db$/.test(f))!);
    indexed = openSqliteMemoryViewStore(file);
    scanned = openSqliteMemoryViewStore(file, { jsonFilterScan: true });
    head = (indexed.db.prepare("SELECT max(from_pos) AS p FROM memory_intervals").get() as { p: number }).p;
  }, 120_000);

  afterAll(async () => {
    indexed?.close();
    scanned?.close();
    await t?.dispose();
  });

  it("stores each content version's tags and metadata fields, and forgets an erased unit's", () => {
    const tags = indexed.db.prepare("SELECT count(*) AS n FROM memory_tags").get() as { n: number };
    expect(tags.n).toBeGreaterThan(50);
    const orphans = indexed.db
      .prepare("SELECT count(*) AS n FROM (SELECT content_pos FROM memory_tags UNION SELECT content_pos FROM memory_metadata) WHERE content_pos NOT IN (SELECT content_pos FROM memory_contents)")
      .get() as { n: number };
    expect(orphans.n).toBe(0);
  });

  it("selects the same units as the json_each scan for any tag and metadata filter, now or as of a moment", () => {
    const filters = fc.record(
      {
        cubeIds: fc.subarray(["c1", "c2"], { minLength: 1 }),
        tags: fc.subarray([...tagPool, "absent"]),
        metadata: fc.dictionary(fc.constantFrom(...fields, "missing"), fc.constantFrom(...metadataValues), { maxKeys: 2 }),
        statuses: fc.constantFrom(undefined, "any" as const),
      },
      { requiredKeys: ["cubeIds"] },
    );
    const moment = fc.option(fc.integer({ min: 1, max: head }).map((position) => ({ position })), { nil: undefined });
    fc.assert(
      fc.property(filters, moment, (raw, asOf) => {
        const f = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as MemoryFilters;
        const listed = (s: MemoryViewStore) => s.list({ ...f, ...(asOf ? { asOf } : {}), limit: 1_000 }).map((row) => `${row.memoryId}@${row.contentPosition}`);
        expect(listed(indexed)).toEqual(listed(scanned));
        expect(indexed.countMatching(f, asOf)).toBe(scanned.countMatching(f, asOf));
        expect(indexed.contentPositionsMatching(f, asOf, 1_000).sort()).toEqual(scanned.contentPositionsMatching(f, asOf, 1_000).sort());
        const positions = Array.from({ length: head }, (_, i) => i + 1);
        expect([...indexed.rowsForContent(positions, f, asOf).keys()].sort()).toEqual([...scanned.rowsForContent(positions, f, asOf).keys()].sort());
      }),
      { numRuns: 300 },
    );
  });
});
