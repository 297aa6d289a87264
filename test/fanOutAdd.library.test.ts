import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("fan-out add: one add to several cubes, reported per cube", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  const ctx = { tenantId: "acme", actor: "user:ops" };

  beforeEach(async () => {
    ({ ledger, dispose } = await tempLedger({ defaultContext: ctx }));
    for (const cubeId of ["a", "b", "c"]) await ledger.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "ops" } }, ctx);
  });
  afterEach(() => dispose());

  it("writes each cube independently: a missing or removed cube is refused in the report, the others take the add", async () => {
    await ledger.cubes.remove("c", ctx);
    const report = await ledger.memories.fanOut({ cubeIds: ["a", "missing", "b", "c", "a"], memories: [{ text: "standup at 9" }, { text: "retro on Friday" }] }, ctx);
    expect(report.results.map((r) => r.cubeId)).toEqual(["a", "missing", "b", "c"]);
    expect(report.succeeded).toBe(2);
    expect(report.failed).toBe(2);
    const [a, missing, b, c] = report.results;
    expect(a && "memoryIds" in a ? a.memoryIds : []).toHaveLength(2);
    expect(missing && "error" in missing ? missing.error.error : "").toBe("CubeNotFound");
    expect(c && "error" in c ? c.error.error : "").toBe("CubeRemoved");
    expect((await ledger.cubes.memories("a")).map((m) => m.content?.text).sort()).toEqual(["retro on Friday", "standup at 9"]);
    expect((await ledger.cubes.memories("b")).map((m) => m.content?.text).sort()).toEqual(["retro on Friday", "standup at 9"]);
    expect(b && "memoryIds" in b && a && "memoryIds" in a ? b.memoryIds.some((id) => a.memoryIds.includes(id)) : true).toBe(false);
  });

  it("a retry with the same command id adds nothing twice: each cube's share has its own derived command id", async () => {
    const keyed = { ...ctx, commandId: "fan-1" };
    const request = { cubeIds: ["a", "b"], memories: [{ text: "once only" }] };
    const first = await ledger.memories.fanOut(request, keyed);
    const again = await ledger.memories.fanOut(request, keyed);
    expect(again.results.map((r) => ("memoryIds" in r ? r.memoryIds : r.error))).toEqual(first.results.map((r) => ("memoryIds" in r ? r.memoryIds : r.error)));
    expect(await ledger.cubes.memories("a")).toHaveLength(1);
    expect(await ledger.cubes.memories("b")).toHaveLength(1);
  });

  it("when no cube takes the add, the fan-out fails as a whole with the first cube's error", async () => {
    await ledger.cubes.remove("c", ctx);
    const failure = await failureOf(ledger.memories.fanOut({ cubeIds: ["missing", "c"], memories: [{ text: "x" }] }, ctx));
    expect(failure._tag).toBe("CubeNotFound");
  });

  it("an unusable cube list is a 400 before anything is written", async () => {
    expect((await failureOf(ledger.memories.fanOut({ cubeIds: [], memories: [{ text: "x" }] }, ctx)))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.memories.fanOut({ cubeIds: Array.from({ length: 51 }, (_, i) => `c${i}`), memories: [{ text: "x" }] }, ctx)))._tag).toBe("InvalidRequest");
  });
});
