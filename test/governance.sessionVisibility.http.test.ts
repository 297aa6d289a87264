import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger } from "../src/client/httpClient.js";
import type { PublicMemoryEvent } from "../src/feed/publicMemoryEvent.js";
import { createPrincipal, expectStatus, grant, openGovernanceWorld, type GovernanceWorld } from "./support/governanceFixtures.js";

/**
 * `session` visibility over REST (docs/governance.md#visibility): a session unit
 * is its author's, its subject's, the cube admins' and any cube reader's whose
 * request states its session (X-Session-Id); to every other reader it does not
 * exist, in get, as-of get, history, list, search, the graph and the feed alike.
 */

interface Unit {
  readonly memoryId: string;
}

/** One request with a bearer key and any of X-Session-Id / X-On-Behalf-Of. */
const call = (app: FastifyInstance, token: string, method: "GET" | "POST" | "PATCH", url: string, headers: Record<string, string> = {}, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload !== undefined ? { payload } : {}) });

const session = (id: string | undefined): Record<string, string> => (id !== undefined ? { "x-session-id": id } : {});

describe("session visibility over REST", () => {
  let world: GovernanceWorld;
  let baseUrl: string;
  const tenant = `sess${randomUUID().slice(0, 6)}`;
  const cubeId = `${tenant}-cube`;
  let alice: string;
  let bob: string;
  let sessionUnit: Unit;
  let privateUnit: Unit;
  let sharedUnit: Unit;

  beforeAll(async () => {
    world = await openGovernanceWorld();
    await world.app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(world.app.server.address() as AddressInfo).port}`;
    const admin = await world.adminToken(tenant);
    await expectStatus(world.app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "project", id: "p" } } }, admin);
    alice = (await createPrincipal(world.app, admin, `${tenant}-alice`)).token;
    bob = (await createPrincipal(world.app, admin, `${tenant}-bob`)).token;
    await grant(world.app, admin, cubeId, `${tenant}-alice`, "write");
    await grant(world.app, admin, cubeId, `${tenant}-bob`, "read");
    const write = (payload: object) => expectStatus<Unit>(world.app, 201, { method: "POST", url: "/memories", payload: { cubeId, ...payload } }, alice);
    sessionUnit = await write({ text: "zebra crossing plan of the session", visibility: "session", sessionId: "s-42" });
    privateUnit = await write({ text: "zebra diary entry of alice", visibility: "private", sessionId: "s-42" });
    sharedUnit = await write({ text: "zebra facts for the whole cube" });
  }, 60_000);

  afterAll(async () => {
    // An event stream the client closed may still be held open by the server until its next heartbeat.
    world.app.server.closeAllConnections();
    await world.close();
  });

  const search = async (token: string, sessionId?: string) => {
    const response = await call(world.app, token, "POST", "/search", session(sessionId), { query: "zebra", cubeIds: [cubeId], mode: "bm25" });
    expect(response.statusCode).toBe(200);
    return (response.json() as { results: { memory: { memoryId: string } }[] }).results.map((hit) => hit.memory.memoryId).sort();
  };
  const listed = async (token: string, sessionId?: string) => {
    const response = await call(world.app, token, "GET", `/cubes/${cubeId}/memories`, session(sessionId));
    expect(response.statusCode).toBe(200);
    return (response.json() as { memories: { memoryId: string }[] }).memories.map((m) => m.memoryId).sort();
  };
  const getStatus = async (token: string, url: string, sessionId?: string) => (await call(world.app, token, "GET", url, session(sessionId))).statusCode;

  it("shows a session unit to another reader only when the request states the same session", async () => {
    const seen = [sessionUnit.memoryId, sharedUnit.memoryId].sort();
    const hidden = [sharedUnit.memoryId];
    expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}`, "s-42")).toBe(200);
    expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}/history`, "s-42")).toBe(200);
    expect(await listed(bob, "s-42")).toEqual(seen);
    expect(await search(bob, "s-42")).toEqual(seen);
    for (const other of ["s-7", undefined]) {
      expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}`, other)).toBe(404);
      expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}?asOfPosition=1000000`, other)).toBe(404);
      expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}/history`, other)).toBe(404);
      expect(await getStatus(bob, `/memories/${sessionUnit.memoryId}/graph`, other)).toBe(404);
      expect(await listed(bob, other)).toEqual(hidden);
      expect(await search(bob, other)).toEqual(hidden);
    }
  });

  it("keeps private units private whatever session is stated, and the author sees both without one", async () => {
    expect(await getStatus(bob, `/memories/${privateUnit.memoryId}`, "s-42")).toBe(404);
    const all = [sessionUnit.memoryId, privateUnit.memoryId, sharedUnit.memoryId].sort();
    expect(await listed(alice)).toEqual(all);
    expect(await search(alice)).toEqual(all);
  });

  it("answers a write to a session unit it cannot see like a missing unit, and one it can see by the permission held", async () => {
    const patch = (sessionId?: string) => call(world.app, bob, "PATCH", `/memories/${sessionUnit.memoryId}`, session(sessionId), { content: { text: "changed" } });
    expect((await patch()).statusCode).toBe(404);
    expect((await patch("s-42")).statusCode).toBe(403);
  });

  it("delivers a session unit's events on the feed only to a subscriber stating its session", async () => {
    const eventsSeen = async (sessionId?: string): Promise<string[]> => {
      const client = await connectMemLedger(baseUrl, { apiKey: bob, ...(sessionId !== undefined ? { sessionId } : {}) });
      const seen: PublicMemoryEvent[] = [];
      const feed = client.feed.subscribe({ cubeId });
      try {
        // The shared unit was written last: once its event is in, every earlier event was delivered or withheld.
        for await (const event of feed) {
          seen.push(event);
          if (event.memoryId === sharedUnit.memoryId) break;
        }
      } finally {
        await feed.close();
        await client.close();
      }
      return [...new Set(seen.map((e) => e.memoryId))].sort();
    };
    expect(await eventsSeen("s-42")).toEqual([sessionUnit.memoryId, sharedUnit.memoryId].sort());
    expect(await eventsSeen("s-7")).toEqual([sharedUnit.memoryId]);
    expect(await eventsSeen()).toEqual([sharedUnit.memoryId]);
  }, 30_000);

  it("lets the HTTP client state its session for every call", async () => {
    const client = await connectMemLedger(baseUrl, { apiKey: bob, sessionId: "s-42" });
    try {
      expect((await client.memories.get(sessionUnit.memoryId)).memoryId).toBe(sessionUnit.memoryId);
    } finally {
      await client.close();
    }
    const without = await connectMemLedger(baseUrl, { apiKey: bob });
    try {
      await expect(without.memories.get(sessionUnit.memoryId)).rejects.toMatchObject({ status: 404 });
    } finally {
      await without.close();
    }
  });
});
