import { Effect, Either } from "effect";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { groupCommit } from "../src/storage/groupCommit.js";

const event = (n: number) => ({ eventId: randomUUID(), type: "Noted", schemaVersion: 1, data: { n }, metadata: { tenantId: "t", actor: "a", correlationId: "c", recordedAt: "2026-03-01T09:00:00.000Z" } });

describe("group commit", () => {
  it("hardening #11: writes submitted in one turn of the event loop are committed by one call, in order, each with its own outcome", async () => {
    const calls: number[][] = [];
    const submit = groupCommit((items: readonly number[]) => {
      calls.push([...items]);
      return items.map((n) => (n % 3 === 0 ? { ok: false as const, error: new Error(`refused ${n}`) } : { ok: true as const, value: n * 10 }));
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map(submit));
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([10, 20, "refused 3", 40]);
    // The next turn is a new group.
    expect(await submit(5)).toBe(50);
    expect(calls).toEqual([[1, 2, 3, 4], [5]]);
  });

  it("fails every item of a group whose commit throws", async () => {
    const submit = groupCommit((_items: readonly number[]): never => {
      throw new Error("disk full");
    });
    const results = await Promise.allSettled([1, 2].map(submit));
    expect(results.map((r) => r.status === "rejected" && (r.reason as Error).message)).toEqual(["disk full", "disk full"]);
  });

  it("hardening #11: concurrent appends to the embedded log share a commit, and a conflicting one leaves the others standing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-group-"));
    const store = openSqliteEventStore({ path: join(dir, "events.db"), pollIntervalMs: 20 });
    try {
      await Effect.runPromise(store.append("s-0", [event(0)], "no_stream"));
      const attempts = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => Effect.runPromise(Effect.either(store.append(`s-${i + 1}`, [event(i), event(i)], "no_stream")))),
        Effect.runPromise(Effect.either(store.append("s-0", [event(99)], "no_stream"))),
        // Two appends to one stream in the same group: the second sees the first.
        Effect.runPromise(Effect.either(store.append("s-same", [event(1)], "no_stream"))),
        Effect.runPromise(Effect.either(store.append("s-same", [event(2)], 0))),
      ]);
      const conflict = attempts[20]!;
      expect(Either.isLeft(conflict) && conflict.left._tag).toBe("ConcurrencyConflict");
      const written = [...attempts.slice(0, 20), ...attempts.slice(21)];
      expect(written.every(Either.isRight)).toBe(true);
      const all = await Effect.runPromise(store.readAll({}));
      expect(all.map((e) => e.position)).toEqual(Array.from({ length: 1 + 40 + 2 }, (_, i) => i + 1));
      expect((await Effect.runPromise(store.readStream("s-same"))).map((e) => e.revision)).toEqual([0, 1]);
    } finally {
      await Effect.runPromise(store.close());
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
