import { afterEach, describe, expect, it } from "vitest";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("hardening #7 in the library: one rule for times, as over REST", () => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });

  it("hardening #7: an impossible or zone-less asOf time is InvalidRequest, not MemoryNotFound; rollback and branch refuse it too", async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
    const m = await t.ledger.memories.create({ cubeId: "c", text: "hello" });
    for (const time of ["2026-02-30T00:00:00Z", "2026-03-01T09:00:00", "10000-01-01T00:00:00Z", "yesterday"]) {
      expect(await failureOf(t.ledger.memories.get(m.memoryId, { time }))).toMatchObject({ _tag: "InvalidRequest", field: "asOf.time" });
      expect(await failureOf(t.ledger.cubes.rollback("c", time))).toMatchObject({ _tag: "InvalidRequest", field: "toTime" });
    }
    // A real moment before the unit existed is still a 404 that says so.
    expect(await failureOf(t.ledger.memories.get(m.memoryId, { time: "2020-01-01T00:00:00Z" }))).toMatchObject({ _tag: "MemoryNotFound", message: expect.stringContaining("created later") });
    expect((await t.ledger.memories.get(m.memoryId, { time: "2026-03-01T10:00:00+01:00" })).memoryId).toBe(m.memoryId);
  });
});
