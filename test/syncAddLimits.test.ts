import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("hardening #11: a synchronous add is bounded", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let app: FastifyInstance;
  // As the admin of tenant default (the helper adds its key).
  const headers = { "content-type": "application/json" };
  beforeAll(async () => {
    t = await tempLedger({ syncAdd: { maxMemories: 3, maxTextBytes: 100 } });
    await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    ({ app } = await authenticatedServer(t.ledger, t.dataDir));
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const add = (mode: "sync" | "async", memories: { text: string }[]) => app.inject({ method: "POST", url: "/cubes/c/add", headers, payload: { mode, memories } });

  it("hardening #11: more memories than the limit: 413 naming the limit and saying to use async, and nothing is written", async () => {
    const response = await add("sync", [{ text: "a" }, { text: "b" }, { text: "c" }, { text: "d" }]);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: "SyncAddTooLarge", limit: "maxMemories", maximum: 3, actual: 4 });
    expect(response.json().message).toMatch(/at most 3 memories.*"mode": "async"/);
    expect(await t.ledger.cubes.memories("c")).toHaveLength(0);
  });

  it("hardening #11: more text bytes than the limit: 413 naming the byte limit", async () => {
    const response = await add("sync", [{ text: "é".repeat(30) }, { text: "x".repeat(41) }]); // 60 + 41 bytes
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: "SyncAddTooLarge", limit: "maxTextBytes", maximum: 100, actual: 101 });
  });

  it("hardening #11: the same batch as an async add is accepted (202 with a job)", async () => {
    const response = await add("async", [{ text: "a" }, { text: "b" }, { text: "c" }, { text: "d" }]);
    expect(response.statusCode).toBe(202);
    expect(response.json().memoryIds).toHaveLength(4);
  });

  it("hardening #11: a sync add within the limits is served as before", async () => {
    const response = await add("sync", [{ text: "one" }, { text: "two" }, { text: "three" }]);
    expect(response.statusCode).toBe(201);
    expect(response.json().memories).toHaveLength(3);
  });
});

describe("hardening #11: the library's default sync add limit", () => {
  it("hardening #11: refuses a sync add of 201 memories with SyncAddTooLarge, and takes 200", async () => {
    const t = await tempLedger();
    try {
      await t.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
      const memories = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `memory ${i}` }));
      const failure = await failureOf(t.ledger.memories.add("c", { mode: "sync", memories: memories(201) }));
      expect(failure._tag).toBe("SyncAddTooLarge");
      const accepted = await t.ledger.memories.add("c", { mode: "sync", memories: memories(200) });
      expect(accepted.mode === "sync" && accepted.memories).toHaveLength(200);
    } finally {
      await t.dispose();
    }
  }, 120_000);
});
