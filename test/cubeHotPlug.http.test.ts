import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import { createPrincipal, expectStatus, grant, send } from "./support/governanceFixtures.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** Hot-plug, transfer and fan-out over REST: the client, statuses, and principals' 403/404. */
describe("hot-plug, transfer and fan-out over HTTP", () => {
  let app: FastifyInstance;
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let admin: RemoteLedger;
  let adminToken: string;
  let writer: string;
  let reader: string;
  let outsider: string;

  beforeAll(async () => {
    t = await tempLedger({ worker: false });
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    app = await buildServer(t.ledger, { rateLimit: false });
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    adminToken = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
    admin = await connectMemLedger(baseUrl, { apiKey: adminToken });
    for (const cubeId of ["notes", "archive", "secret"]) await admin.cubes.create({ cubeId, name: cubeId, owner: { kind: "user", id: "bob" } });
    writer = (await createPrincipal(app, adminToken, "wendy")).token;
    reader = (await createPrincipal(app, adminToken, "rita")).token;
    outsider = (await createPrincipal(app, adminToken, "otto")).token;
    for (const cubeId of ["notes", "archive"]) await grant(app, adminToken, cubeId, "wendy", "write");
    await grant(app, adminToken, "notes", "rita", "read");
  });
  afterAll(async () => {
    await admin?.close();
    await app?.close();
    await t?.dispose();
  });

  it("renames, removes and reinstates through the client; a removed cube's reads answer 410 to those who may read it, and only the usual 403 to others", async () => {
    const unit = await admin.memories.create({ cubeId: "notes", text: "standup moved to 9:30" });
    expect((await admin.cubes.update("notes", { name: "Team notes", description: "daily" })).name).toBe("Team notes");
    // Cube admin only: a writer is refused with a 403 naming the permission.
    const refused = await send(app, { method: "POST", url: "/cubes/notes/remove", payload: {} }, { token: writer });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/admin/);
    const removed = await admin.cubes.remove("notes", { reason: "paused" });
    expect(removed.removed?.at).toBeDefined();
    expect((await admin.cubes.list()).map((c) => c.cubeId)).not.toContain("notes");
    expect((await admin.cubes.list(undefined, { includeRemoved: true })).find((c) => c.cubeId === "notes")?.removed).toBeDefined();

    const gone = await send(app, { method: "GET", url: `/memories/${unit.memoryId}` }, { token: reader });
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: "CubeRemoved", cubeId: "notes", memoryId: unit.memoryId });
    expect((await send(app, { method: "GET", url: "/cubes/notes" }, { token: reader })).statusCode).toBe(410);
    expect((await send(app, { method: "POST", url: "/search", payload: { query: "standup", cubeIds: ["notes"] } }, { token: reader })).statusCode).toBe(410);
    // Without read on the cube: the 404 of a missing one, nothing about the removal.
    const hidden = await send(app, { method: "GET", url: `/memories/${unit.memoryId}` }, { token: outsider });
    expect(hidden.statusCode).toBe(403);
    expect(hidden.body).not.toMatch(/removed|CubeRemoved/);
    expect((await send(app, { method: "GET", url: "/cubes/notes" }, { token: outsider })).statusCode).toBe(403);
    const viaClient = await failureOf(admin.memories.get(unit.memoryId));
    expect([viaClient.status, viaClient._tag]).toEqual([410, "CubeRemoved"]);

    const back = await admin.cubes.reinstate("notes");
    expect(back.lifecycle?.map((e) => e.type)).toEqual(["CubeUpdated", "CubeRemoved", "CubeReinstated"]);
    expect((await expectStatus<{ content: { text: string } }>(app, 200, { method: "GET", url: `/memories/${unit.memoryId}` }, reader)).content.text).toBe("standup moved to 9:30");
    expect((await send(app, { method: "POST", url: "/cubes/notes/reinstate", payload: {} }, { token: adminToken })).statusCode).toBe(409);
  });

  it("transfers over REST: 201 with lineage; a reader may not move (403) nor copy into a cube it cannot write; a target it may not write is refused", async () => {
    const unit = await admin.memories.create({ cubeId: "notes", text: "budget approved" });
    const moved = await admin.memories.transfer(unit.memoryId, { targetCubeId: "archive", mode: "move" });
    expect(moved.source.movedTo).toEqual({ cubeId: "archive", memoryId: moved.copy.memoryId });
    expect(moved.copy.copiedFrom?.memoryId).toBe(unit.memoryId);

    const other = await admin.memories.create({ cubeId: "notes", text: "offsite in June" });
    expect((await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "archive", mode: "move" } }, { token: reader })).statusCode).toBe(403);
    expect((await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "archive", mode: "copy" } }, { token: reader })).statusCode).toBe(403);
    expect((await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "secret", mode: "copy" } }, { token: writer })).statusCode).toBe(403);
    expect((await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "nowhere", mode: "copy" } }, { token: writer })).statusCode).toBe(404);
    const copied = await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "archive", mode: "copy" } }, { token: writer });
    expect(copied.statusCode).toBe(201);
    expect(copied.json().copy.copiedFrom.memoryId).toBe(other.memoryId);
    expect((await send(app, { method: "POST", url: `/memories/${other.memoryId}/transfer`, payload: { targetCubeId: "archive", mode: "teleport" } }, { token: writer })).statusCode).toBe(400);
  });

  it("fans out over REST: per-cube refusals for cubes the principal may not write, the others written; a keyed retry adds nothing twice", async () => {
    const before = (await admin.cubes.memories("archive")).length;
    const request = { cubeIds: ["archive", "secret", "notes"], memories: [{ text: "quarterly review on the 3rd" }] };
    const first = await app.inject({ method: "POST", url: "/memories/fan-out", headers: { authorization: `Bearer ${writer}`, "idempotency-key": "fan-http-1" }, payload: request });
    expect(first.statusCode).toBe(200);
    const report = first.json() as { results: { cubeId: string; memoryIds?: string[]; error?: { error: string } }[]; succeeded: number; failed: number };
    expect(report.results.map((r) => [r.cubeId, r.error?.error ?? "ok"])).toEqual([["archive", "ok"], ["secret", "Forbidden"], ["notes", "ok"]]);
    const again = await app.inject({ method: "POST", url: "/memories/fan-out", headers: { authorization: `Bearer ${writer}`, "idempotency-key": "fan-http-1" }, payload: request });
    expect((again.json() as typeof report).results.map((r) => r.memoryIds)).toEqual(report.results.map((r) => r.memoryIds));
    expect((await admin.cubes.memories("archive")).length).toBe(before + 1);
    // Nothing writable at all: the first cube's refusal as the answer.
    expect((await send(app, { method: "POST", url: "/memories/fan-out", payload: { cubeIds: ["secret"], memories: [{ text: "x" }] } }, { token: reader })).statusCode).toBe(403);
    const viaClient = await admin.memories.fanOut({ cubeIds: ["archive", "secret"], memories: [{ text: "from the client" }] });
    expect(viaClient.succeeded).toBe(2);
  });
});
