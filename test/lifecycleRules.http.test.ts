import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

describe("hardening #10: lifecycle rules over HTTP (embedded ledger)", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  // Each tenant's admin (the helper adds its key, picked by x-tenant-id).
  const acme = { "x-tenant-id": "acme" };
  const globex = { "x-tenant-id": "globex" };

  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    ({ app } = await authenticatedServer(t.ledger, t.dataDir));
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  const call = async (method: "GET" | "POST" | "PATCH", url: string, payload: unknown, headers: Record<string, string>) => {
    const response = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
  const cube = (cubeId: string, headers: Record<string, string>) => call("POST", "/cubes", { cubeId, name: cubeId, owner: { kind: "user", id: "u" } }, headers);
  const remember = async (cubeId: string, text: string, headers: Record<string, string>) => (await call("POST", "/memories", { cubeId, text }, headers)).body.memoryId as string;

  it("hardening #10: a merge into a unit of another cube is a 409 that names both cubes; into a unit of another tenant, a 404", async () => {
    await cube("rules-a", acme);
    await cube("rules-b", acme);
    await cube("rules-g", globex);
    const unit = await remember("rules-a", "Alice likes tea", acme);
    const otherCube = await remember("rules-b", "Alice likes green tea", acme);
    const otherTenant = await remember("rules-g", "Gus likes tea", globex);
    const refused = await call("POST", `/memories/${unit}/merge`, { successorId: otherCube }, acme);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "TransitionRejected", memoryId: unit, command: "merge" });
    expect(refused.body.message).toContain("rules-a");
    expect(refused.body.message).toContain("rules-b");
    // With authentication on, another tenant's unit does not exist for acme's principal (docs/governance.md): a 404 that reveals nothing of globex.
    const hidden = await call("POST", `/memories/${unit}/merge`, { successorId: otherTenant }, acme);
    expect(hidden).toMatchObject({ status: 404, body: { error: "MemoryNotFound", memoryId: otherTenant } });
    expect(hidden.body.message).not.toContain("rules-g");
    expect((await call("GET", `/memories/${unit}`, undefined, acme)).body.status).toBe("activated");
    const sameCube = await remember("rules-a", "Alice drinks tea daily", acme);
    expect((await call("POST", `/memories/${unit}/merge`, { successorId: sameCube }, acme)).body).toMatchObject({ status: "merged", successorId: sameCube });
  });

  it("hardening #10: revert {toRevision: 0} of an activated unit restores its first content, stays activated and is found by search", async () => {
    await cube("rules-r", acme);
    const unit = await remember("rules-r", "Alice collects lighthouse stamps", acme);
    await call("PATCH", `/memories/${unit}`, { content: { text: "Alice collects coins" } }, acme);
    const reverted = await call("POST", `/memories/${unit}/revert`, { toRevision: 0 }, acme);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ status: "activated", version: 3, content: { text: "Alice collects lighthouse stamps" } });
    const found = await call("POST", "/search", { query: "lighthouse stamps", cubeIds: ["rules-r"], mode: "bm25" }, acme);
    expect(found.status).toBe(200);
    expect(found.body.results.map((r: { memory: { memoryId: string } }) => r.memory.memoryId)).toContain(unit);
  });
});
