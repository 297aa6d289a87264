import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManualClock } from "../src/clock/clock.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

describe("REST server (Fastify over the embedded ledger)", () => {
  let app: FastifyInstance;
  let clock: ManualClock;
  let dispose: () => Promise<void>;
  // alice, a writer of tenant acme, acts with her own API key: the server records her as principal:alice.
  let headers: Record<string, string> = {};

  beforeAll(async () => {
    const t = await tempLedger();
    clock = t.clock;
    dispose = t.dispose;
    const server = await authenticatedServer(t.ledger, t.dataDir);
    app = server.app;
    headers = { authorization: `Bearer ${await server.principalToken("alice", { tenantId: "acme" })}`, "x-reason": "tour" };
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  const call = async (method: "GET" | "POST" | "PATCH", url: string, payload?: unknown, extra: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { ...headers, ...extra }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  it("answers liveness, and readiness with every engine and each projection's lag", async () => {
    expect(await call("GET", "/health/live")).toEqual({ status: 200, body: { status: "ok" } });
    const ready = await call("GET", "/health/ready?timeoutMs=2000");
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe("ready");
    expect(ready.body.engines.map((e: { role: string; engine: string; ok: boolean }) => `${e.role}:${e.engine}:${e.ok}`)).toEqual(["eventStore:sqlite:true", "jobBus:sqlite:true", "graph:sqlite:true"]);
    expect(ready.body.engines[0].detail).toMatch(/^head at position \d+$/);
    expect(ready.body.projections.map((p: { name: string }) => p.name).sort()).toEqual(["compliance", "graph", "lexical", "memory_view"]);
    expect((await call("GET", "/health/ready?timeoutMs=5")).status).toBe(400);
  });

  it("runs the README tour: create, edit, archive, restore, history, as-of, diff, revert, cube rollback and branch", async () => {
    expect((await call("POST", "/cubes", { cubeId: "tour", name: "Tour", owner: { kind: "user", id: "alice" } })).status).toBe(201);
    const created = await call("POST", "/memories", { cubeId: "tour", text: "Alice prefers tea", userId: "alice", tags: ["drinks"] });
    expect(created.status).toBe(201);
    const id = created.body.memoryId as string;
    const checkpoint = clock.now().toISOString();
    clock.advance(60_000);
    const edited = await call("PATCH", `/memories/${id}`, { content: { text: "Alice prefers coffee" } }, { "if-match": '"1"' });
    expect(edited).toMatchObject({ status: 200, body: { version: 2, revision: 2 } });
    expect((await call("POST", `/memories/${id}/archive`)).body.status).toBe("archived");
    expect((await call("POST", `/memories/${id}/restore`)).body.status).toBe("activated");
    const history = await call("GET", `/memories/${id}/history`);
    expect(history.body.entries.map((e: { type: string }) => e.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryArchived", "MemoryRestored"]);
    expect(history.body.entries[2]).toMatchObject({ actor: "principal:alice", reason: "tour" });
    expect((await call("GET", `/memories/${id}?asOfRevision=1`)).body.content.text).toBe("Alice prefers tea");
    expect((await call("GET", `/memories/${id}?asOfTime=${encodeURIComponent(checkpoint)}`)).body.content.text).toBe("Alice prefers tea");
    const diff = await call("GET", `/memories/${id}/diff?from=1&to=2`);
    expect(diff.body.changes.map((c: { field: string }) => c.field)).toContain("content.text");
    const reverted = await call("POST", `/memories/${id}/revert`, { toRevision: 1 });
    expect(reverted.body).toMatchObject({ version: 3, content: { text: "Alice prefers tea" } });

    clock.advance(60_000);
    const later = await call("POST", "/memories", { cubeId: "tour", text: "Alice moved to Lyon", userId: "alice" });
    const asOf = await call("GET", `/cubes/tour/memories?asOf=${encodeURIComponent(checkpoint)}`);
    expect(asOf.body.memories.map((m: { memoryId: string }) => m.memoryId)).toEqual([id]);
    const rollback = await call("POST", "/cubes/tour/rollback", { toTime: checkpoint });
    expect(rollback.status).toBe(200);
    expect(rollback.body.outcomes).toEqual(
      expect.arrayContaining([expect.objectContaining({ memoryId: later.body.memoryId, action: "archived" }), expect.objectContaining({ memoryId: id, action: "unchanged" })]),
    );
    const branch = await call("POST", "/cubes/tour/branch", { asOf: checkpoint, cubeId: "tour-whatif" });
    expect(branch.status).toBe(201);
    expect(Object.keys(branch.body.memoryMap)).toEqual([id]);
    const branched = await call("GET", "/cubes/tour-whatif/memories");
    expect(branched.body.memories[0].content.text).toBe("Alice prefers tea");
  });

  it("answers bad input with 400, unknown ids with 404, conflicts with 409, each saying what to do", async () => {
    await call("POST", "/cubes", { cubeId: "errs", name: "Errors", owner: { kind: "agent", id: "a1" } });
    const missingText = await call("POST", "/memories", { cubeId: "errs" });
    expect(missingText.status).toBe(400);
    expect(missingText.body.error).toBe("ValidationError");
    expect(missingText.body.message).toContain("text");
    const typo = await call("POST", "/memories", { cubeId: "errs", text: "x", tgas: ["a"] });
    expect(typo.status).toBe(400);
    const blank = await call("POST", "/memories", { cubeId: "errs", text: "  " });
    expect(blank.body).toMatchObject({ error: "InvalidCommand", field: "content.text" });
    expect((await call("GET", "/memories/does-not-exist")).status).toBe(404);
    const noCube = await call("POST", "/memories", { cubeId: "nope", text: "x" });
    expect(noCube).toMatchObject({ status: 404, body: { error: "CubeNotFound", cubeId: "nope" } });
    const unit = (await call("POST", "/memories", { cubeId: "errs", text: "x" })).body;
    await call("POST", `/memories/${unit.memoryId}/freeze`, { reason: "legal_hold" });
    const frozen = await call("PATCH", `/memories/${unit.memoryId}`, { content: { text: "y" } });
    expect(frozen).toMatchObject({ status: 409, body: { error: "TransitionRejected", memoryId: unit.memoryId, state: "frozen", command: "edit" } });
    const unit2 = (await call("POST", "/memories", { cubeId: "errs", text: "x" })).body;
    const stale = await call("PATCH", `/memories/${unit2.memoryId}`, { content: { text: "y" }, expectedRevision: 0 });
    expect(stale).toMatchObject({ status: 409, body: { error: "RevisionMismatch" } });
    expect((await call("POST", "/cubes", { cubeId: "errs", name: "again", owner: { kind: "agent", id: "a1" } })).status).toBe(409);
    expect((await call("GET", "/nowhere")).status).toBe(404);
    const badJson = await app.inject({ method: "POST", url: "/memories", headers: { "content-type": "application/json" }, payload: "{not json" });
    expect(badJson.statusCode).toBe(400);
    const twoAsOf = await call("GET", `/memories/${unit2.memoryId}?asOfRevision=0&asOfPosition=1`);
    expect(twoAsOf.status).toBe(400);
  });

  it("serves an OpenAPI document that lists every route", async () => {
    const { body } = await call("GET", "/openapi.json");
    expect(body.openapi).toBe("3.0.3");
    for (const path of ["/cubes", "/cubes/{cubeId}/rollback", "/cubes/{cubeId}/branch", "/memories", "/memories/{memoryId}", "/memories/{memoryId}/history", "/memories/{memoryId}/diff", "/subjects/{subjectId}/erase"]) {
      expect(body.paths).toHaveProperty([path]);
    }
  });

  it("never answers arbitrary bad input with a 500", async () => {
    await call("POST", "/cubes", { cubeId: "fuzz", name: "Fuzz", owner: { kind: "user", id: "f" } });
    const unit = (await call("POST", "/memories", { cubeId: "fuzz", text: "seed" })).body;
    const routes: Array<["POST" | "PATCH" | "GET", string]> = [
      ["POST", "/memories"],
      ["PATCH", `/memories/${unit.memoryId}`],
      ["POST", `/memories/${unit.memoryId}/revert`],
      ["POST", `/memories/${unit.memoryId}/merge`],
      ["POST", `/memories/${unit.memoryId}/freeze`],
      ["POST", "/cubes"],
      ["POST", "/cubes/fuzz/rollback"],
      ["POST", "/cubes/fuzz/branch"],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.anything({ maxDepth: 3 }), async ([method, url], payload) => {
        const response = await app.inject({ method, url, headers: { "content-type": "application/json" }, payload: JSON.stringify(payload ?? null) ?? "null" });
        expect(response.statusCode, `${method} ${url} ${response.body}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (asOfTime, from) => {
        const a = await app.inject({ method: "GET", url: `/memories/${unit.memoryId}?asOfTime=${encodeURIComponent(asOfTime)}` });
        const b = await app.inject({ method: "GET", url: `/memories/${unit.memoryId}/diff?from=${encodeURIComponent(from)}&to=0` });
        const c = await app.inject({ method: "GET", url: `/cubes/fuzz/memories?asOf=${encodeURIComponent(asOfTime)}` });
        expect(a.statusCode).toBeLessThan(500);
        expect(b.statusCode).toBeLessThan(500);
        expect(c.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
