import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { edgeKeyString, foldOpenEdges, graphChangesFor, needsOpenEdges, type EdgeKey } from "../projections/graph.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { graphStoreContract } from "../src/readModels/graph.contract.js";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";

/** Every text cell of every table, case-insensitively, then the raw bytes of the database and its WAL after a checkpoint. */
function fileHoldsText(file: string, text: string): boolean {
  const db = new Database(file);
  try {
    const needle = text.toLowerCase();
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        if (Object.values(row).some((value) => typeof value === "string" && value.toLowerCase().includes(needle))) return true;
      }
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  return [file, `${file}-wal`].some((path) => existsSync(path) && readFileSync(path).toString("latin1").toLowerCase().includes(text.toLowerCase()));
}

graphStoreContract("embedded SQLite (file, WAL)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "memledger-graph-"));
  const file = join(dir, "graph.db");
  const store = openSqliteGraphStore(file);
  return {
    store,
    cleanup: async () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    findsText: async (text) => fileHoldsText(file, text),
  };
});

describe("SQLite graph store", () => {
  it("keeps its graph and checkpoint across a reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-graph-"));
    const file = join(dir, "graph.db");
    try {
      const log = projectionEventLog();
      const first = openSqliteGraphStore(file);
      first.apply([log.created("m1", contentOf("Later Alice met Bob."))]);
      first.close();

      const reopened = openSqliteGraphStore(file);
      expect(reopened.checkpoint()).toBe(1);
      expect((await reopened.node("entity:alice"))?.label).toBe("Alice");
      reopened.apply([log.edited("m1", contentOf("Later Alice met Carol."))]);
      expect((await reopened.traverse({ from: ["memory:m1"], hops: 1, edgeTypes: ["MENTIONS"] })).nodes.map((n) => n.id)).toEqual([
        "memory:m1",
        "entity:alice",
        "entity:carol",
      ]);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rolls back the whole batch, checkpoint included, when an event fails", async () => {
    const store = openSqliteGraphStore(":memory:");
    const log = projectionEventLog();
    const good = log.created("m1", contentOf("Later Alice met Bob."));
    const next = log.created("m2", contentOf("Later Carol left."));
    const withBadTime = { ...next, envelope: { ...next.envelope, metadata: { ...next.envelope.metadata, recordedAt: "not a time" } } };
    expect(() => store.apply([good, withBadTime])).toThrow(/not an ISO-8601 time/);
    expect(store.checkpoint()).toBe(0);
    expect(await store.node("memory:m1")).toBeUndefined();
    store.close();
  });

  it("as of every past position, a unit's edges are those the pure fold gives for the log up to there", async () => {
    const text = fc.subarray(["Alice", "Bob", "Carol", "Dan"]).map((names) => contentOf(`Later ${names.join(" and ")} talked.`));
    const step = fc.oneof(
      fc.record({ kind: fc.constant("edit" as const), content: fc.option(text, { nil: null, freq: 6 }) }),
      fc.record({ kind: fc.constant("merge" as const), successor: fc.constantFrom("s1", "s2") }),
      fc.record({ kind: fc.constant("revert" as const), content: text, successor: fc.option(fc.constantFrom("s1", "s2"), { nil: undefined }) }),
      fc.record({ kind: fc.constant("archive" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.array(step, { maxLength: 10 }), async (initial, steps) => {
        const log = projectionEventLog();
        const events: ProjectionEvent[] = [log.created("m", initial)];
        for (const s of steps) {
          if (s.kind === "edit") events.push(log.edited("m", s.content));
          else if (s.kind === "merge") events.push(log.merged("m", s.successor));
          else if (s.kind === "revert") events.push(log.reverted("m", s.content, s.successor ? { status: "merged", successorId: s.successor } : {}));
          else events.push(log.archived("m"));
        }
        const store = openSqliteGraphStore(":memory:");
        try {
          store.apply(events);
          let open: EdgeKey[] = [];
          for (const event of events) {
            open = foldOpenEdges(open, graphChangesFor(event, needsOpenEdges(event) ? open : []));
            const asOf = { position: event.envelope.position };
            // Two hops out: the memory's own edges, then RELATES_TO between the entities it names.
            const stored = (await store.traverse({ from: ["memory:m"], hops: 2, asOf })).edges.filter((e) => e.origin === "memory:m");
            expect(stored.map(edgeKeyString).sort()).toEqual(open.map(edgeKeyString).sort());
          }
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("rejects malformed queries with a message that says what to fix", async () => {
    const store = openSqliteGraphStore(":memory:");
    await expect(store.traverse({ from: [], hops: -1 })).rejects.toThrow(/hops must be a whole number/);
    await expect(store.traverse({ from: [], hops: 1, edgeTypes: ["KNOWS" as never] })).rejects.toThrow(/unknown edge type "KNOWS"/);
    await expect(store.traverse({ from: ["memory:x"], hops: 1, asOf: { time: "last week" } })).rejects.toThrow(/not an ISO-8601 time/);
    store.close();
  });
});
