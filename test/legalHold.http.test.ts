import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * Legal hold and retention over REST: who may place, release and read holds
 * (tenant_admin, data_protection_officer; auditors read), the 409 a held unit
 * answers with the hold named, the pending erasure and its run on release,
 * and the retention policy routes with their role.
 */
describe("legal hold and retention over HTTP", () => {
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let app: FastifyInstance;
  let dpo: string;
  let writer: string;
  let auditor: string;
  let memoryId: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await tempLedger({ jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    const server = await authenticatedServer(t.ledger, t.dataDir);
    app = server.app;
    dpo = await server.principalToken("dpo", { roles: ["data_protection_officer"] });
    writer = await server.principalToken("writer", { roles: ["writer"] });
    auditor = await server.principalToken("auditor", { roles: ["auditor"] });
    expect((await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "c1", name: "c1", owner: { kind: "project", id: "p" } } })).statusCode).toBe(201);
    const created = await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "c1", text: "board minutes", memoryType: "raw_source" } });
    memoryId = created.json().memoryId;
  });
  afterAll(async () => t?.dispose());

  it("only tenant_admin and data_protection_officer place holds; auditors read them; a held unit answers 409 naming the hold; release runs the pending erasure", async () => {
    const byWriter = await app.inject({ method: "POST", url: "/holds", headers: as(writer), payload: { scope: { kind: "memory", id: memoryId }, reason: "case 12" } });
    expect(byWriter.statusCode).toBe(403);
    expect(byWriter.json().message).toContain("hold.place");
    expect((await app.inject({ method: "POST", url: "/holds", headers: as(auditor), payload: { scope: { kind: "memory", id: memoryId }, reason: "case 12" } })).statusCode).toBe(403);

    const placed = await app.inject({ method: "POST", url: "/holds", headers: as(dpo), payload: { scope: { kind: "memory", id: memoryId }, reason: "case 12" } });
    expect(placed.statusCode).toBe(201);
    const hold = placed.json();
    expect(hold).toEqual(expect.objectContaining({ scope: { kind: "memory", id: memoryId }, reason: "case 12", placedBy: "principal:dpo", active: true }));

    const erase = await app.inject({ method: "POST", url: `/memories/${memoryId}/erase` });
    expect(erase.statusCode).toBe(409);
    const refusal = erase.json();
    expect(refusal.error).toBe("LegalHoldActive");
    expect(refusal.holds).toEqual([expect.objectContaining({ holdId: hold.holdId, reason: "case 12", placedBy: "principal:dpo", placedAt: hold.placedAt })]);
    expect(refusal.message).toContain(hold.holdId);
    expect(refusal.pendingErasureId).toEqual(expect.any(String));
    const edit = await app.inject({ method: "PATCH", url: `/memories/${memoryId}`, payload: { content: { text: "changed" } } });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().error).toBe("LegalHoldActive");

    const listed = await app.inject({ method: "GET", url: "/holds", headers: as(auditor) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().holds.map((h: { holdId: string }) => h.holdId)).toEqual([hold.holdId]);
    expect((await app.inject({ method: "GET", url: "/holds", headers: as(writer) })).statusCode).toBe(403);
    const pending = await app.inject({ method: "GET", url: "/erasures/pending", headers: as(auditor) });
    expect(pending.json().pending).toEqual([expect.objectContaining({ erasureId: refusal.pendingErasureId, memoryId, waitingOn: [hold.holdId] })]);

    expect((await app.inject({ method: "POST", url: `/holds/${hold.holdId}/release`, headers: as(writer), payload: { reason: "done" } })).statusCode).toBe(403);
    const released = await app.inject({ method: "POST", url: `/holds/${hold.holdId}/release`, headers: as(dpo), payload: { reason: "case closed" } });
    expect(released.statusCode).toBe(200);
    const [resumed] = released.json().resumedErasures;
    expect(resumed).toEqual(expect.objectContaining({ erasureId: refusal.pendingErasureId, memoryId }));
    expect((await t.ledger.jobs.wait(resumed.jobId, 15_000)).job.status).toBe("done");
    expect((await app.inject({ method: "GET", url: `/memories/${memoryId}` })).json().status).toBe("erased");
    expect((await app.inject({ method: "POST", url: `/holds/${hold.holdId}/release`, headers: as(dpo), payload: { reason: "again" } })).statusCode).toBe(409);
    expect((await app.inject({ method: "POST", url: "/holds/no-such-hold/release", headers: as(dpo), payload: { reason: "x" } })).statusCode).toBe(404);
  });

  it("retention policy routes: retention.manage sets, dry-runs and removes; readers of the cube see the policy and runs", async () => {
    const policy = { rules: [{ memoryType: "long_term", archiveAfterDays: 30 }], sweepEveryHours: 24 };
    await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "c1", text: "old fact", memoryType: "long_term" } });
    t.clock.advance(40 * 86_400_000);
    expect((await app.inject({ method: "PUT", url: "/cubes/c1/retention-policy", headers: as(writer), payload: policy })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/cubes/c1/retention-policy" })).statusCode).toBe(404);

    const dry = await app.inject({ method: "POST", url: "/cubes/c1/retention-policy/dry-run", headers: as(dpo), payload: { policy } });
    expect(dry.statusCode).toBe(200);
    expect(dry.json().actions).toEqual([expect.objectContaining({ action: "archive", memoryType: "long_term" })]);
    expect((await app.inject({ method: "GET", url: "/cubes/c1/retention-runs" })).json().runs).toEqual([]);

    const set = await app.inject({ method: "PUT", url: "/cubes/c1/retention-policy", headers: as(dpo), payload: policy });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual(expect.objectContaining({ cubeId: "c1", policy, setBy: "principal:dpo" }));
    await t.ledger.jobs.wait(set.json().sweepJobId, 15_000);
    const runs = (await app.inject({ method: "GET", url: "/cubes/c1/retention-runs", headers: as(writer) })).json().runs;
    expect(runs).toHaveLength(1);
    expect(runs[0].actions).toEqual([expect.objectContaining({ action: "archive" })]);
    expect((await app.inject({ method: "GET", url: "/cubes/c1/retention-policy", headers: as(writer) })).json().policy).toEqual(policy);

    const bad = await app.inject({ method: "PUT", url: "/cubes/c1/retention-policy", headers: as(dpo), payload: { rules: [{ memoryType: "raw_source" }] } });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: "DELETE", url: "/cubes/c1/retention-policy", headers: as(dpo) })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/cubes/c1/retention-policy" })).statusCode).toBe(404);
  });
});
