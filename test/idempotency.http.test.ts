import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManualClock } from "../src/clock/clock.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** hardening #4: every write the docs call idempotent, sent twice with one Idempotency-Key, and once more with another body. */
describe("hardening #4: Idempotency-Key over HTTP (embedded ledger)", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let dispose: () => Promise<void>;
  // alice and bob are writers of tenant acme, each with an API key of their own; alice also erases data subjects.
  let headers: Record<string, string> = {};
  let bobHeaders: Record<string, string> = {};

  beforeAll(async () => {
    const t = await tempLedger({ jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    clock = t.clock;
    dispose = t.dispose;
    const server = await authenticatedServer(t.ledger, t.dataDir);
    app = server.app;
    headers = { authorization: `Bearer ${await server.principalToken("alice", { tenantId: "acme", roles: ["writer", "data_protection_officer"] })}` };
    bobHeaders = { authorization: `Bearer ${await server.principalToken("bob", { tenantId: "acme" })}` };
    await call("POST", "/cubes", { cubeId: "idem", name: "Idem", owner: { kind: "user", id: "alice" } });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  type Method = "GET" | "POST" | "PATCH";
  const call = async (method: Method, url: string, payload?: unknown, extra: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { ...headers, ...extra }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
  const keyed = (key: string) => ({ "idempotency-key": key });
  const remember = async (text: string, extra: Record<string, unknown> = {}) => {
    const created = await call("POST", "/memories", { cubeId: "idem", text, ...extra });
    expect(created.status).toBe(201);
    return created.body.memoryId as string;
  };
  const historyLength = async (memoryId: string) => (await call("GET", `/memories/${memoryId}/history`)).body.entries.length as number;
  const cubeMemoryCount = async (cubeId: string) => (await call("GET", `/cubes/${cubeId}/memories`)).body.memories.length as number;

  /** Same key twice: same status, same answer. */
  const sentTwice = async (method: Method, url: string, payload: unknown, key: string) => {
    const first = await call(method, url, payload, keyed(key));
    const retry = await call(method, url, payload, keyed(key));
    expect(first.status).toBeLessThan(300);
    expect(retry).toEqual(first);
    return first;
  };
  const refusedWithKey = async (method: Method, url: string, payload: unknown, key: string) => {
    const refused = await call(method, url, payload, keyed(key));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "IdempotencyConflict", idempotencyKey: key });
    expect(refused.body.message).toContain(key);
  };

  it("hardening #4: a retried POST /memories with the same Idempotency-Key creates one memory and answers the same", async () => {
    const before = await cubeMemoryCount("idem");
    const first = await sentTwice("POST", "/memories", { cubeId: "idem", text: "Alice prefers green tea" }, "create-1");
    expect(first.status).toBe(201);
    expect(await cubeMemoryCount("idem")).toBe(before + 1);
    await refusedWithKey("POST", "/memories", { cubeId: "idem", text: "Alice prefers coffee" }, "create-1");
    expect(await cubeMemoryCount("idem")).toBe(before + 1);
  });

  it("hardening #4: the original answer comes back even after the memory changed since", async () => {
    const first = await call("POST", "/memories", { cubeId: "idem", text: "Alice lives in Lyon" }, keyed("create-2"));
    await call("PATCH", `/memories/${first.body.memoryId}`, { content: { text: "Alice lives in Paris" } });
    const retry = await call("POST", "/memories", { cubeId: "idem", text: "Alice lives in Lyon" }, keyed("create-2"));
    expect(retry).toEqual(first);
  });

  it("hardening #4: the key is scoped by actor: another actor's request with the same key is its own request", async () => {
    const alice = await call("POST", "/memories", { cubeId: "idem", text: "shared key" }, keyed("create-3"));
    const bob = await call("POST", "/memories", { cubeId: "idem", text: "shared key" }, { ...keyed("create-3"), ...bobHeaders });
    expect(bob.status).toBe(201);
    expect(bob.body.memoryId).not.toBe(alice.body.memoryId);
  });

  it("hardening #4: a retried POST /cubes without a cubeId creates one cube; another body is a 409", async () => {
    const before = (await call("GET", "/cubes")).body.cubes.length;
    const first = await sentTwice("POST", "/cubes", { name: "Scratch", owner: { kind: "agent", id: "planner" } }, "cube-1");
    expect(first.status).toBe(201);
    expect((await call("GET", "/cubes")).body.cubes.length).toBe(before + 1);
    await refusedWithKey("POST", "/cubes", { name: "Other", owner: { kind: "agent", id: "planner" } }, "cube-1");
  });

  it("hardening #4: a retried PATCH applies once; another body, or another memory, with the key is a 409", async () => {
    const id = await remember("Alice drinks tea");
    const other = await remember("Bob drinks tea");
    await sentTwice("PATCH", `/memories/${id}`, { content: { text: "Alice drinks jasmine tea" } }, "edit-1");
    expect(await historyLength(id)).toBe(3);
    await refusedWithKey("PATCH", `/memories/${id}`, { content: { text: "Alice drinks mate" } }, "edit-1");
    await refusedWithKey("PATCH", `/memories/${other}`, { content: { text: "Alice drinks jasmine tea" } }, "edit-1");
    expect(await historyLength(id)).toBe(3);
    expect(await historyLength(other)).toBe(2);
  });

  it("hardening #4: a retried conditional write (If-Match) gets its first answer, not a 412 for the revision it moved on itself", async () => {
    const id = await remember("Alice reads novels");
    const first = await call("PATCH", `/memories/${id}`, { content: { text: "Alice reads poetry" } }, { ...keyed("edit-if-match"), "if-match": '"1"' });
    expect(first.status).toBe(200);
    const retry = await call("PATCH", `/memories/${id}`, { content: { text: "Alice reads poetry" } }, { ...keyed("edit-if-match"), "if-match": '"1"' });
    expect(retry).toEqual(first);
    const archived = await call("POST", `/memories/${id}/archive`, {}, { ...keyed("archive-if-match"), "if-match": '"2"' });
    expect(await call("POST", `/memories/${id}/archive`, {}, { ...keyed("archive-if-match"), "if-match": '"2"' })).toEqual(archived);
    expect(await historyLength(id)).toBe(4);
    // Without a key the stale tag is still refused.
    expect((await call("POST", `/memories/${id}/restore`, {}, { "if-match": '"2"' })).status).toBe(412);
  });

  it("hardening #4: every lifecycle transition, revert and erase applies once under a retried key and refuses the key for another request", async () => {
    const id = await remember("Alice runs");
    const successor = await remember("Alice runs marathons");
    const pending = await remember("Alice swims", { activate: false });
    const decoy = await remember("decoy");
    const steps: { url: string; body?: unknown; otherUrl: string; otherBody?: unknown }[] = [
      { url: `/memories/${pending}/activate`, otherUrl: `/memories/${decoy}/activate` },
      { url: `/memories/${id}/archive`, otherUrl: `/memories/${decoy}/archive` },
      { url: `/memories/${id}/restore`, otherUrl: `/memories/${decoy}/restore` },
      { url: `/memories/${id}/merge`, body: { successorId: successor }, otherUrl: `/memories/${id}/merge`, otherBody: { successorId: pending } },
      { url: `/memories/${id}/revert`, body: { toRevision: 1 }, otherUrl: `/memories/${id}/revert`, otherBody: { toRevision: 2 } },
      { url: `/memories/${id}/freeze`, body: { reason: "legal_hold" }, otherUrl: `/memories/${id}/freeze`, otherBody: { reason: "retention" } },
      { url: `/memories/${id}/erase`, otherUrl: `/memories/${decoy}/erase` },
    ];
    for (const [i, step] of steps.entries()) {
      const key = `life-${i}`;
      const before = await historyLength(id);
      await sentTwice("POST", step.url, step.body ?? {}, key);
      if (step.url.startsWith(`/memories/${id}/`)) expect(await historyLength(id)).toBe(before + 1);
      await refusedWithKey("POST", step.otherUrl, step.otherBody ?? step.body ?? {}, key);
    }
    expect((await call("GET", `/memories/${decoy}`)).body.status).toBe("activated");
    expect((await call("GET", `/memories/${id}`)).body.status).toBe("erased");
  });

  it("hardening #4: a retried add (sync and async) adds the units once; another body is a 409", async () => {
    const before = await cubeMemoryCount("idem");
    const sync = await sentTwice("POST", "/cubes/idem/add", { memories: [{ text: "Alice likes jazz" }, { text: "Alice likes blues" }] }, "add-1");
    expect(sync.status).toBe(201);
    await refusedWithKey("POST", "/cubes/idem/add", { memories: [{ text: "Alice likes jazz" }] }, "add-1");
    const async = await call("POST", "/cubes/idem/add", { mode: "async", memories: [{ text: "Alice likes rock" }] }, keyed("add-2"));
    const asyncRetry = await call("POST", "/cubes/idem/add", { mode: "async", memories: [{ text: "Alice likes rock" }] }, keyed("add-2"));
    expect(async.status).toBe(202);
    expect(asyncRetry.status).toBe(202);
    expect(asyncRetry.body.memoryIds).toEqual(async.body.memoryIds);
    expect(asyncRetry.body.job.jobId).toBe(async.body.job.jobId);
    await refusedWithKey("POST", "/cubes/idem/add", { mode: "async", memories: [{ text: "Alice likes pop" }] }, "add-2");
    expect(await cubeMemoryCount("idem")).toBe(before + 3);
  });

  it("hardening #4: a retried schedule enqueues one job; another command with the key is a 409", async () => {
    const id = await remember("Alice's old address");
    const first = await sentTwice("POST", `/memories/${id}/schedule`, { command: "archive", afterSeconds: 3600 }, "schedule-1");
    expect(first.status).toBe(202);
    await refusedWithKey("POST", `/memories/${id}/schedule`, { command: "archive", afterSeconds: 60 }, "schedule-1");
  });

  it("hardening #4: a retried retention sweep enqueues one job and a retried subject erasure writes one certificate", async () => {
    const sweep = await sentTwice("POST", "/cubes/idem/retention-sweeps", { olderThanDays: 30, afterSeconds: 3600 }, "sweep-1");
    expect(sweep.status).toBe(202);
    await refusedWithKey("POST", "/cubes/idem/retention-sweeps", { olderThanDays: 31, afterSeconds: 3600 }, "sweep-1");
    await remember("Carol's phone number", { userId: "carol" });
    const erased = await sentTwice("POST", "/subjects/carol/erase", {}, "forget-1");
    expect(erased.body.erasedMemoryIds).toHaveLength(1);
    expect((await call("GET", "/subjects/carol/erasures")).body.certificates).toHaveLength(1);
    await refusedWithKey("POST", "/subjects/dave/erase", {}, "forget-1");
  });

  it("hardening #4: a retried rollback and branch apply once; another time with the key is a 409", async () => {
    await call("POST", "/cubes", { cubeId: "idem-tt", name: "Time travel", owner: { kind: "user", id: "alice" } });
    const id = (await call("POST", "/memories", { cubeId: "idem-tt", text: "v1" })).body.memoryId as string;
    const t = clock.now().toISOString();
    clock.advance(60_000);
    await call("PATCH", `/memories/${id}`, { content: { text: "v2" } });
    await call("POST", "/memories", { cubeId: "idem-tt", text: "later" });
    const rolled = await sentTwice("POST", "/cubes/idem-tt/rollback", { toTime: t }, "rollback-1");
    expect(rolled.body.outcomes.map((o: { action: string }) => o.action).sort()).toEqual(["archived", "reverted"]);
    expect((await call("GET", "/cubes/idem-tt")).body.rollbacks).toBe(1);
    await refusedWithKey("POST", "/cubes/idem-tt/rollback", { toTime: clock.now().toISOString() }, "rollback-1");
    const branched = await sentTwice("POST", "/cubes/idem-tt/branch", { asOf: t }, "branch-1");
    expect(branched.status).toBe(201);
    expect(Object.keys(branched.body.memoryMap)).toEqual([id]);
    expect((await call("GET", "/cubes/idem-tt")).body.branches).toEqual([branched.body.cube.cubeId]);
    await refusedWithKey("POST", "/cubes/idem-tt/branch", { asOf: t, name: "other" }, "branch-1");
  });
});
