import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger } from "../src/client/httpClient.js";
import { createPrincipal, expectStatus, grant, openGovernanceWorld, type GovernanceWorld } from "./support/governanceFixtures.js";

/**
 * An agent acting for a user (X-On-Behalf-Of, under the user's delegation) sees
 * the user's private and session units in the cubes the agent may read, as the
 * user would; without the delegation, or once it is revoked, it sees nothing of
 * them (docs/governance.md#visibility).
 */

interface Unit {
  readonly memoryId: string;
}

const call = (app: FastifyInstance, token: string, method: "GET" | "POST" | "DELETE", url: string, headers: Record<string, string> = {}, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload !== undefined ? { payload } : {}) });

describe("what a delegated agent sees", () => {
  let world: GovernanceWorld;
  let baseUrl: string;
  const tenant = `dlg${randomUUID().slice(0, 6)}`;
  const cubeId = `${tenant}-cube`;
  const aliceId = `${tenant}-alice`;
  const plannerId = `${tenant}-planner`;
  let alice: string;
  let planner: string;
  const units: Record<"alicePrivate" | "aliceSession" | "aboutAlice" | "adminPrivate" | "shared", Unit> = {} as never;

  beforeAll(async () => {
    world = await openGovernanceWorld();
    await world.app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = `http://127.0.0.1:${(world.app.server.address() as AddressInfo).port}`;
    const admin = await world.adminToken(tenant);
    await expectStatus(world.app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "project", id: "p" } } }, admin);
    alice = (await createPrincipal(world.app, admin, aliceId)).token;
    planner = (await createPrincipal(world.app, admin, plannerId, { kind: "agent" })).token;
    await grant(world.app, admin, cubeId, aliceId, "write");
    await grant(world.app, admin, cubeId, plannerId, "read");
    const write = (token: string, payload: object) => expectStatus<Unit>(world.app, 201, { method: "POST", url: "/memories", payload: { cubeId, ...payload } }, token);
    units.alicePrivate = await write(alice, { text: "otter note alice wrote for herself", visibility: "private" });
    units.aliceSession = await write(alice, { text: "otter plan of alice's session", visibility: "session", sessionId: "s-1" });
    units.aboutAlice = await write(admin, { text: "otter fact about alice kept private", visibility: "private", userId: aliceId });
    units.adminPrivate = await write(admin, { text: "otter note of the admin alone", visibility: "private" });
    units.shared = await write(admin, { text: "otter facts for the whole cube" });
  }, 60_000);

  afterAll(async () => {
    // An event stream the client closed may still be held open by the server until its next heartbeat.
    world.app.server.closeAllConnections();
    await world.close();
  });

  const asAgent = (onBehalfOf?: string): Record<string, string> => (onBehalfOf !== undefined ? { "x-on-behalf-of": onBehalfOf } : {});
  const ids = (...names: (keyof typeof units)[]) => names.map((name) => units[name].memoryId).sort();
  const seen = async (onBehalfOf?: string) => {
    const list = await call(world.app, planner, "GET", `/cubes/${cubeId}/memories`, asAgent(onBehalfOf));
    const search = await call(world.app, planner, "POST", "/search", asAgent(onBehalfOf), { query: "otter", cubeIds: [cubeId], mode: "bm25" });
    const gets: Record<string, number> = {};
    for (const [name, unit] of Object.entries(units)) gets[name] = (await call(world.app, planner, "GET", `/memories/${unit.memoryId}`, asAgent(onBehalfOf))).statusCode;
    return {
      list: list.statusCode === 200 ? (list.json() as { memories: Unit[] }).memories.map((m) => m.memoryId).sort() : list.statusCode,
      search: search.statusCode === 200 ? (search.json() as { results: { memory: Unit }[] }).results.map((hit) => hit.memory.memoryId).sort() : search.statusCode,
      gets,
    };
  };
  const feedSeen = async (onBehalfOf: string) => {
    const client = await connectMemLedger(baseUrl, { apiKey: planner, onBehalfOf });
    const memoryIds = new Set<string>();
    const feed = client.feed.subscribe({ cubeId });
    try {
      // The shared unit was written last: once its event is in, every earlier one was delivered or withheld.
      for await (const event of feed) {
        memoryIds.add(event.memoryId);
        if (event.memoryId === units.shared.memoryId) break;
      }
    } finally {
      await feed.close();
      await client.close();
    }
    return [...memoryIds].sort();
  };

  it("sees only the cube's shared units on its own, and may not name a user who did not delegate to it", async () => {
    expect(await seen()).toEqual({
      list: ids("shared"),
      search: ids("shared"),
      gets: { alicePrivate: 404, aliceSession: 404, aboutAlice: 404, adminPrivate: 404, shared: 200 },
    });
    expect((await call(world.app, planner, "GET", `/memories/${units.shared.memoryId}`, asAgent(aliceId))).statusCode).toBe(403);
  });

  it("with the user's delegation, sees the user's private and session units (as author or subject) and nothing else hidden", async () => {
    expect((await call(world.app, alice, "POST", `/principals/${aliceId}/delegations`, {}, { agentId: plannerId })).statusCode).toBe(204);
    const visible = ids("alicePrivate", "aliceSession", "aboutAlice", "shared");
    expect(await seen(aliceId)).toEqual({
      list: visible,
      search: visible,
      gets: { alicePrivate: 200, aliceSession: 200, aboutAlice: 200, adminPrivate: 404, shared: 200 },
    });
    expect(await feedSeen(aliceId)).toEqual(visible);
    // The delegation widens only requests that name the user.
    expect((await seen()).list).toEqual(ids("shared"));
  }, 30_000);

  it("loses the user's units on the next request once the delegation is revoked", async () => {
    expect((await call(world.app, alice, "DELETE", `/principals/${aliceId}/delegations/${plannerId}`)).statusCode).toBe(204);
    const refused = await seen(aliceId);
    expect(refused.list).toBe(403);
    expect(refused.search).toBe(403);
    expect(Object.values(refused.gets).every((status) => status === 403 || status === 404)).toBe(true);
    expect((await seen()).gets).toEqual({ alicePrivate: 404, aliceSession: 404, aboutAlice: 404, adminPrivate: 404, shared: 200 });
  });
});
