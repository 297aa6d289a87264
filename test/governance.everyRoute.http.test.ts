import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import { createPrincipal, expectStatus, grant, headPosition, issueKey, openGovernanceWorld, send, type Call, type GovernanceWorld } from "./support/governanceFixtures.js";

/**
 * Every route the server documents (GET /openapi.json), every method, called by
 * (a) callers without a valid credential, (b) the admin of another tenant and
 * (c) a principal holding only `read` on the cube. A route without a fixture
 * below fails the test, so a new route cannot slip past these checks.
 */

/** The routes served without a credential. */
const publicPaths = new Set(["/health", "/health/live", "/health/ready", "/openapi.json"]);

/** Values for path parameters, query strings and bodies; `missing` swaps tenant A's ids for ids that exist nowhere. */
interface Fixture {
  cubeId: string;
  memoryId: string;
  successorId: string;
  jobId: string;
  principalId: string;
  keyId: string;
  subjectId: string;
  name: string;
  role: string;
  group: string;
  agentId: string;
  freshCubeId: string;
  freshPrincipalId: string;
  toTime: string;
  holdId: string;
  decisionId: string;
  /** MemFeedback: the world has no chat model, so no real plan exists; an unknown plan of A must answer as one of nobody. */
  planId: string;
  userId: string;
}

/**
 * `id`: the request names a resource of tenant A (path, query or body), so another tenant gets that resource's 404.
 * `tenant`: the request is about the caller's own tenant, so another tenant's admin gets an answer with nothing of tenant A in it.
 */
interface RouteFixture {
  readonly addresses: "id" | "tenant";
  readonly query?: (f: Fixture) => string;
  readonly body?: (f: Fixture) => unknown;
}

const routes: Readonly<Record<string, RouteFixture>> = {
  "POST /cubes": { addresses: "tenant", body: (f) => ({ cubeId: f.freshCubeId, name: "fresh", owner: { kind: "project", id: "p" } }) },
  "GET /cubes": { addresses: "tenant" },
  "GET /cubes/{cubeId}": { addresses: "id" },
  "GET /cubes/{cubeId}/memories": { addresses: "id" },
  "POST /cubes/{cubeId}/rollback": { addresses: "id", body: (f) => ({ toTime: f.toTime }) },
  "POST /cubes/{cubeId}/branch": { addresses: "id", body: (f) => ({ asOf: f.toTime, cubeId: f.freshCubeId }) },
  "PATCH /cubes/{cubeId}": { addresses: "id", body: () => ({ name: "renamed by an intruder" }) },
  "POST /cubes/{cubeId}/remove": { addresses: "id", body: () => ({}) },
  "POST /cubes/{cubeId}/reinstate": { addresses: "id", body: () => ({}) },
  "POST /memories/{memoryId}/transfer": { addresses: "id", body: (f) => ({ targetCubeId: f.cubeId, mode: "copy" }) },
  "POST /memories/fan-out": { addresses: "id", body: (f) => ({ cubeIds: [f.cubeId], memories: [{ text: "fanned out by an intruder" }] }) },
  "POST /memories": { addresses: "id", body: (f) => ({ cubeId: f.cubeId, text: "an intruder's note" }) },
  "GET /memories/{memoryId}": { addresses: "id" },
  "PATCH /memories/{memoryId}": { addresses: "id", body: () => ({ content: { text: "overwritten" } }) },
  "POST /memories/{memoryId}/activate": { addresses: "id", body: () => ({}) },
  "POST /memories/{memoryId}/archive": { addresses: "id", body: () => ({}) },
  "POST /memories/{memoryId}/restore": { addresses: "id", body: () => ({}) },
  "POST /memories/{memoryId}/merge": { addresses: "id", body: (f) => ({ successorId: f.successorId }) },
  "POST /memories/{memoryId}/freeze": { addresses: "id", body: () => ({ reason: "legal_hold" }) },
  "POST /memories/{memoryId}/erase": { addresses: "id" },
  "POST /memories/{memoryId}/revert": { addresses: "id", body: () => ({ toRevision: 1 }) },
  "GET /memories/{memoryId}/history": { addresses: "id" },
  "GET /memories/{memoryId}/diff": { addresses: "id", query: () => "from=0&to=1" },
  "GET /memories/{memoryId}/graph": { addresses: "id", query: () => "hops=2" },
  "POST /cubes/{cubeId}/add": { addresses: "id", body: () => ({ memories: [{ text: "added by an intruder" }] }) },
  "POST /cubes/{cubeId}/documents": { addresses: "id", body: () => ({ mediaType: "text/plain", content: "a document slipped in by an intruder", async: false }) },
  "POST /cubes/{cubeId}/messages": { addresses: "id", body: () => ({ messages: [{ role: "user", content: "a turn slipped in by an intruder" }], async: false }) },
  "POST /v1/chat/completions": { addresses: "id", body: (f) => ({ model: "m", messages: [{ role: "user", content: "alpha" }], memledger: { cubeIds: [f.cubeId] } }) },
  "POST /memories/{memoryId}/schedule": { addresses: "id", body: () => ({ command: "archive", afterSeconds: 86_400 }) },
  "POST /cubes/{cubeId}/retention-sweeps": { addresses: "id", body: () => ({ olderThanDays: 30 }) },
  "PUT /cubes/{cubeId}/redaction": { addresses: "id", body: () => ({ enabled: true, keepOriginal: "sealed" }) },
  "GET /cubes/{cubeId}/redaction": { addresses: "id" },
  "GET /memories/{memoryId}/redaction": { addresses: "id" },
  "GET /memories/{memoryId}/unredacted": { addresses: "id" },
  "GET /jobs": { addresses: "tenant" },
  "GET /jobs/{jobId}": { addresses: "id" },
  "GET /jobs/{jobId}/wait": { addresses: "id", query: () => "timeoutMs=0" },
  "POST /jobs/{jobId}/retry": { addresses: "id" },
  "POST /subjects/{subjectId}/erase": { addresses: "tenant" },
  "GET /subjects/{subjectId}/erasures": { addresses: "tenant" },
  "GET /subjects/{subjectId}/export": { addresses: "tenant" },
  "POST /search": { addresses: "id", body: (f) => ({ query: "alpha", cubeIds: [f.cubeId] }) },
  "GET /read-models": { addresses: "tenant" },
  "POST /read-models/{name}/rebuild": { addresses: "tenant" },
  // The tenant-wide feed never ends by itself; it is checked on its own below.
  "GET /events": { addresses: "id", query: (f) => `cubeId=${f.cubeId}` },
  "GET /me": { addresses: "tenant" },
  "GET /principals": { addresses: "tenant" },
  "POST /principals": { addresses: "tenant", body: (f) => ({ principalId: f.freshPrincipalId, kind: "user" }) },
  "GET /principals/{principalId}": { addresses: "id" },
  "POST /principals/{principalId}/roles": { addresses: "id", body: () => ({ role: "writer" }) },
  "DELETE /principals/{principalId}/roles/{role}": { addresses: "id" },
  "POST /principals/{principalId}/groups": { addresses: "id", body: (f) => ({ group: f.group }) },
  "DELETE /principals/{principalId}/groups/{group}": { addresses: "id" },
  "POST /principals/{principalId}/disable": { addresses: "id" },
  "POST /principals/{principalId}/enable": { addresses: "id" },
  "POST /principals/{principalId}/keys": { addresses: "id", body: () => ({ scopes: ["read"] }) },
  "GET /keys": { addresses: "tenant", query: (f) => `principalId=${f.principalId}` },
  "POST /keys/{keyId}/revoke": { addresses: "id" },
  "GET /cubes/{cubeId}/grants": { addresses: "id" },
  "POST /cubes/{cubeId}/grants": { addresses: "id", body: (f) => ({ grantee: { kind: "principal", id: f.agentId }, permission: "admin" }) },
  "POST /cubes/{cubeId}/grants/revoke": { addresses: "id", body: (f) => ({ grantee: { kind: "principal", id: f.agentId }, permission: "read" }) },
  "POST /principals/{principalId}/delegations": { addresses: "id", body: (f) => ({ agentId: f.agentId }) },
  "DELETE /principals/{principalId}/delegations/{agentId}": { addresses: "id" },
  "GET /audit/reads": { addresses: "tenant", query: (f) => `memoryId=${f.memoryId}` },
  "POST /audit/verify": { addresses: "tenant" },
  "POST /audit/checkpoints": { addresses: "tenant" },
  "GET /audit/checkpoints/public-key": { addresses: "tenant" },
  "POST /holds": { addresses: "tenant", body: () => ({ scope: { kind: "subject", id: "held-subject" }, reason: "fixture hold" }) },
  "POST /holds/{holdId}/release": { addresses: "id", body: () => ({ reason: "fixture release" }) },
  "GET /holds": { addresses: "tenant" },
  "GET /reports/changes": { addresses: "tenant" },
  "GET /reports/reads": { addresses: "tenant", query: (f) => `memoryId=${f.memoryId}` },
  "GET /reports/lineage/{memoryId}": { addresses: "id" },
  "GET /reports/knowledge": { addresses: "id", query: (f) => `cubeId=${f.cubeId}&at=${encodeURIComponent(f.toTime)}` },
  "GET /reports/erasures": { addresses: "tenant" },
  "GET /reports/subjects/{subjectId}/access": { addresses: "tenant" },
  "GET /reports/grants": { addresses: "tenant" },
  "GET /erasures/pending": { addresses: "tenant" },
  "PUT /cubes/{cubeId}/retention-policy": { addresses: "id", body: () => ({ rules: [{ memoryType: "raw_source", eraseAfterDays: 3650 }] }) },
  "GET /cubes/{cubeId}/retention-policy": { addresses: "id" },
  "DELETE /cubes/{cubeId}/retention-policy": { addresses: "id" },
  "POST /cubes/{cubeId}/retention-policy/dry-run": { addresses: "id", body: () => ({ policy: { rules: [{ memoryType: "raw_source", eraseAfterDays: 3650 }] } }) },
  "GET /cubes/{cubeId}/retention-runs": { addresses: "id" },
  "GET /cubes/{cubeId}/decisions": { addresses: "id" },
  "GET /decisions/{decisionId}": { addresses: "id" },
  "POST /decisions/{decisionId}/revert": { addresses: "id", body: () => ({}) },
  "POST /decisions/{decisionId}/accept": { addresses: "id", body: () => ({}) },
  "POST /decisions/{decisionId}/reject": { addresses: "id", body: () => ({}) },
  "POST /cubes/{cubeId}/feedback": { addresses: "id", body: () => ({ text: "I moved to Lyon, not Paris", dryRun: true }) },
  "GET /feedback/{planId}": { addresses: "id" },
  "POST /feedback/{planId}/apply": { addresses: "id", body: () => ({ confirmErase: true }) },
  "POST /feedback/{planId}/undo": { addresses: "id", body: () => ({}) },
  "POST /cubes/{cubeId}/users/{userId}/preferences/infer": { addresses: "id", body: () => ({}) },
  "GET /cubes/{cubeId}/users/{userId}/profile": { addresses: "id" },
  "GET /cubes/{cubeId}/decision-mode": { addresses: "id" },
  "PUT /cubes/{cubeId}/decision-mode": { addresses: "id", body: () => ({ mode: "off" }) },
  "GET /cubes/{cubeId}/export": { addresses: "id" },
  "POST /cubes/import": { addresses: "tenant", query: () => "format=jsonl", body: () => [{ text: "imported into the caller's own tenant" }] },
};


interface Route {
  readonly key: string;
  readonly method: Call["method"];
  readonly path: string;
  readonly fixture: RouteFixture;
}

function callFor(route: Route, f: Fixture): Call {
  const url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = (f as unknown as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`${route.key}: no fixture value for the path parameter ${name}; add it to Fixture`);
    return encodeURIComponent(value);
  });
  const query = route.fixture.query?.(f);
  const body = route.fixture.body?.(f);
  return { method: route.method, url: query !== undefined ? `${url}?${query}` : url, ...(body !== undefined ? { payload: body } : {}) };
}

// mem_chat without remember only reads (its remember refusals are reported next to the answer: test/memChat.http.test.ts).
const reads = new Set(["POST /search", "POST /v1/chat/completions"]);
const isWrite = (route: Route) => route.method !== "GET" && !reads.has(route.key);

/** The answer with every fixture id replaced by its name, so a foreign id's answer and a missing id's compare equal. */
function normalized(response: LightMyRequestResponse, f: Fixture): { status: number; body: unknown } {
  let text = response.body;
  for (const [name, value] of Object.entries(f).sort((a, b) => b[1].length - a[1].length)) text = text.split(value).join(`<${name}>`);
  const body = text === "" ? "" : (JSON.parse(text) as Record<string, unknown>);
  if (typeof body === "object" && body !== null) delete body.requestId;
  return { status: response.statusCode, body };
}

describe("every route over HTTP: credentials, tenants and permissions", () => {
  let world: GovernanceWorld;
  let adminA: string;
  let adminB: string;
  let reader: string;
  let fixtureA: Fixture;
  let documented: Route[];
  /** Refused credentials, each with what it is. */
  const refused: { what: string; header?: string }[] = [];
  /** Strings only tenant A's data contains: none may show up in an answer to tenant B. */
  let markersOfA: string[];

  const memoriesOfA = async () => expectStatus<{ memories: { memoryId: string; revision: number }[] }>(world.app, 200, { method: "GET", url: `/cubes/${fixtureA.cubeId}/memories` }, adminA);
  /** What must not change when a request is refused: the log's head, cube A's units and revisions, A's principals and keys. */
  const stateOfA = async () => ({
    head: await headPosition(world.ledger),
    memories: (await memoriesOfA()).memories.map((m) => `${m.memoryId}@${m.revision}`).sort(),
    principals: await expectStatus(world.app, 200, { method: "GET", url: "/principals" }, adminA),
    keys: await expectStatus(world.app, 200, { method: "GET", url: "/keys" }, adminA),
  });

  beforeAll(async () => {
    world = await openGovernanceWorld();
    const { app } = world;
    adminA = await world.adminToken("tenant-a");
    adminB = await world.adminToken("tenant-b");

    await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId: "cube-of-a", name: "A's notes", owner: { kind: "project", id: "p" } } }, adminA);
    const m1 = await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId: "cube-of-a", text: "alpha-secret of tenant a", userId: "subject-of-a" } }, adminA);
    const m2 = await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId: "cube-of-a", text: "alpha successor of tenant a" } }, adminA);
    await expectStatus(app, 200, { method: "PATCH", url: `/memories/${m1.memoryId}`, payload: { content: { text: "alpha-secret of tenant a, edited" } } }, adminA);
    const job = await expectStatus<{ jobId: string }>(app, 202, { method: "POST", url: `/memories/${m1.memoryId}/schedule`, payload: { command: "archive", afterSeconds: 86_400 } }, adminA);

    // reader-of-a holds read on the cube and a key with every scope: what refuses its writes is the grant, not the key.
    const readerKey = await createPrincipal(app, adminA, "reader-of-a", { scopes: ["read", "write", "admin"] });
    reader = readerKey.token;
    await grant(app, adminA, "cube-of-a", "reader-of-a", "read");
    const other = await createPrincipal(app, adminA, "other-of-a", { kind: "user", roles: ["writer"] });
    await createPrincipal(app, adminA, "agent-of-a", { kind: "agent" });
    await expectStatus(app, 200, { method: "POST", url: "/principals/other-of-a/groups", payload: { group: "group-of-a" } }, adminA);

    // The refused credentials.
    const revoked = await issueKey(app, adminA, "other-of-a", { scopes: ["read", "write"] });
    await expectStatus(app, 200, { method: "POST", url: `/keys/${revoked.keyId}/revoke` }, adminA);
    const expired = await issueKey(app, adminA, "other-of-a", { scopes: ["read", "write"], expiresAt: "2020-01-01T00:00:00Z" });
    const disabled = await createPrincipal(app, adminA, "disabled-of-a");
    await expectStatus(app, 200, { method: "POST", url: "/principals/disabled-of-a/disable" }, adminA);
    const [prefix] = /^mlk\.[^.]+\.[^.]+/.exec(other.token)!;
    refused.push(
      { what: "no Authorization header" },
      { what: "an empty Authorization header", header: "" },
      { what: "Basic credentials", header: "Basic YWRtaW46YWRtaW4=" },
      { what: "Bearer without a token", header: "Bearer" },
      { what: "a token that is not an API key", header: "Bearer not-a-key" },
      { what: "an unknown key id", header: `Bearer mlk.tenant-a.NoSuchKey000.${"x".repeat(43)}` },
      { what: "a known key id with a wrong secret", header: `Bearer ${prefix}.${"y".repeat(43)}` },
      { what: "a key naming an unknown tenant", header: `Bearer mlk.no-such-tenant.${other.keyId}.${"z".repeat(43)}` },
      { what: "a revoked key", header: `Bearer ${revoked.token}` },
      { what: "an expired key", header: `Bearer ${expired.token}` },
      { what: "a key of a disabled principal", header: `Bearer ${disabled.token}` },
    );

    // Tenant B has data of its own, so its lists are not trivially empty.
    await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId: "cube-of-b", name: "B's notes", owner: { kind: "project", id: "p" } } }, adminB);
    await expectStatus(app, 201, { method: "POST", url: "/memories", payload: { cubeId: "cube-of-b", text: "alpha of tenant b", userId: "subject-of-a" } }, adminB);

    const hold = await expectStatus<{ holdId: string }>(app, 201, { method: "POST", url: "/holds", payload: { scope: { kind: "subject", id: "nobody-of-a" }, reason: "fixture hold of tenant a" } }, adminA);
    // A merge decision of tenant A: the same text added again is merged into the first by the decision job.
    await expectStatus(app, 201, { method: "POST", url: "/cubes/cube-of-a/add", payload: { memories: [{ text: "alpha decision of tenant a" }, { text: "alpha decision of tenant a" }] } }, adminA);
    // The world's ledger runs no jobs: a ledger on the same data directory runs the decision job, then closes.
    const jobRunner = await openMemLedger({ dataDir: world.dataDir });
    let decisionId: string | undefined;
    for (let i = 0; i < 400 && decisionId === undefined; i++) {
      const listed = await expectStatus<{ decisions: { decisionId: string; decision: string }[] }>(app, 200, { method: "GET", url: "/cubes/cube-of-a/decisions" }, adminA);
      decisionId = listed.decisions.find((d) => d.decision === "NOOP")?.decisionId;
      if (decisionId === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const job of await jobRunner.jobs.list({ kind: "memory.decide" })) await jobRunner.jobs.wait(job.jobId, 20_000);
    await jobRunner.close();
    fixtureA = {
      holdId: hold.holdId,
      decisionId: decisionId!,
      planId: "plan-of-a",
      userId: "subject-of-a",
      cubeId: "cube-of-a",
      memoryId: m1.memoryId,
      successorId: m2.memoryId,
      jobId: job.jobId,
      principalId: "other-of-a",
      keyId: other.keyId,
      subjectId: "subject-of-a",
      name: "lexical",
      role: "writer",
      group: "group-of-a",
      agentId: "agent-of-a",
      freshCubeId: "fresh-cube",
      freshPrincipalId: "fresh-principal",
      toTime: new Date(Date.now() - 60_000).toISOString(),
    };
    markersOfA = ["cube-of-a", m1.memoryId, m2.memoryId, job.jobId, "reader-of-a", "other-of-a", "agent-of-a", "disabled-of-a", other.keyId, readerKey.keyId, "alpha-secret", "tenant-a", "group-of-a"];

    const doc = (await send(app, { method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, Record<string, unknown>> };
    documented = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (publicPaths.has(path)) continue;
      for (const method of Object.keys(operations)) {
        const key = `${method.toUpperCase()} ${path}`;
        documented.push({ key, method: method.toUpperCase() as Call["method"], path, fixture: routes[key]! });
      }
    }
  });

  afterAll(async () => {
    await world?.close();
  });

  it("every documented route has a fixture (a new route must be added to the table), and the table names no route that is gone", () => {
    const withoutFixture = documented.filter((route) => route.fixture === undefined).map((route) => route.key);
    expect(withoutFixture).toEqual([]);
    expect(Object.keys(routes).filter((key) => !documented.some((route) => route.key === key))).toEqual([]);
    expect(documented.length).toBeGreaterThanOrEqual(50);
  });

  it("the public routes answer without a credential", async () => {
    for (const url of ["/health", "/health/live", "/health/ready", "/openapi.json"]) {
      const response = await send(world.app, { method: "GET", url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["www-authenticate"], url).toBeUndefined();
    }
  });

  it("(a) every other route refuses a missing, malformed, unknown, wrong, revoked or expired credential and a disabled principal with a 401, a JSON error and WWW-Authenticate: Bearer; nothing is written", async () => {
    const before = await stateOfA();
    const failures: string[] = [];
    for (const route of documented) {
      const call = callFor(route, fixtureA);
      for (const credential of refused) {
        const response = await send(world.app, call, credential.header !== undefined ? { header: credential.header } : {});
        const body = response.headers["content-type"]?.toString().includes("application/json") ? (response.json() as { error?: unknown; message?: unknown }) : undefined;
        const ok =
          response.statusCode === 401 &&
          /^Bearer\b/.test(String(response.headers["www-authenticate"])) &&
          body?.error === "Unauthenticated" &&
          typeof body.message === "string" &&
          body.message.length > 0;
        if (!ok) failures.push(`${route.key} with ${credential.what}: ${response.statusCode} ${JSON.stringify(response.headers["www-authenticate"])} ${response.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await stateOfA()).toEqual(before);
  });

  it("(b) the admin of tenant B gets, for each of tenant A's resources, the very answer a nonexistent id gets (a 404), and nothing is written", async () => {
    const before = await stateOfA();
    const missing: Fixture = {
      ...fixtureA,
      cubeId: `ghost-cube-${randomUUID().slice(0, 8)}`,
      memoryId: randomUUID(),
      successorId: randomUUID(),
      jobId: randomUUID(),
      principalId: `ghost-${randomUUID().slice(0, 8)}`,
      keyId: `Gh0st${randomUUID().slice(0, 7)}`,
      holdId: randomUUID(),
      planId: randomUUID(),
    };
    const failures: string[] = [];
    for (const route of documented.filter((r) => r.fixture.addresses === "id")) {
      const foreign = normalized(await send(world.app, callFor(route, fixtureA), { token: adminB }), fixtureA);
      const absent = normalized(await send(world.app, callFor(route, missing), { token: adminB }), missing);
      if (foreign.status !== 404) failures.push(`${route.key}: status ${foreign.status} (expected 404) ${JSON.stringify(foreign.body)}`);
      if (JSON.stringify(foreign) !== JSON.stringify(absent)) failures.push(`${route.key}: foreign ${JSON.stringify(foreign)} != missing ${JSON.stringify(absent)}`);
    }
    expect(failures).toEqual([]);
    expect(await stateOfA()).toEqual(before);
  });

  it("(b) the admin of tenant B, on tenant-wide routes, gets answers with nothing of tenant A in them, and tenant A's data is untouched", async () => {
    const before = await memoriesOfA();
    const failures: string[] = [];
    for (const route of documented.filter((r) => r.fixture.addresses === "tenant")) {
      const response = await send(world.app, callFor(route, fixtureA), { token: adminB });
      if (response.statusCode >= 300) failures.push(`${route.key}: ${response.statusCode} ${response.body.slice(0, 200)}`);
      const leaked = markersOfA.filter((marker) => response.body.includes(marker));
      if (leaked.length > 0) failures.push(`${route.key}: the answer names ${leaked.join(", ")}: ${response.body.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    // B erased subject-of-a in its own tenant: A's unit of that subject is still readable.
    const m1 = await expectStatus<{ content: { text: string } | null }>(world.app, 200, { method: "GET", url: `/memories/${fixtureA.memoryId}` }, adminA);
    expect(m1.content?.text).toBe("alpha-secret of tenant a, edited");
    expect(await memoriesOfA()).toEqual(before);
  });

  it("(b) the tenant-wide event feed of tenant B carries none of tenant A's events", async () => {
    const response = await world.app.inject({ method: "GET", url: "/events?after=0", headers: { authorization: `Bearer ${adminB}` }, payloadAsStream: true });
    expect(response.statusCode).toBe(200);
    const stream = response.stream();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    await new Promise((resolve) => setTimeout(resolve, 400));
    stream.destroy();
    expect(text).toContain("cube-of-b");
    expect(markersOfA.filter((marker) => text.includes(marker))).toEqual([]);
  });

  it("(c) a principal with only read on the cube is refused every write route with a 403 naming the missing permission or role, and nothing is written", async () => {
    const before = await stateOfA();
    const failures: string[] = [];
    const writes = documented.filter(isWrite);
    expect(writes.length).toBeGreaterThanOrEqual(30);
    for (const route of writes) {
      const response = await send(world.app, callFor(route, fixtureA), { token: reader });
      const body = response.json() as { error?: string; message?: string };
      const named = /needs (the (write|admin) permission|one of the roles)/.test(body.message ?? "");
      const hidden = response.statusCode === 404 && /NotFound$/.test(body.error ?? "");
      if (!((response.statusCode === 403 && body.error === "Forbidden" && named) || hidden)) failures.push(`${route.key}: ${response.statusCode} ${response.body.slice(0, 240)}`);
    }
    expect(failures).toEqual([]);
    expect(await stateOfA()).toEqual(before);
    // Its reads still work: the refusals were about writing.
    await expectStatus(world.app, 200, { method: "GET", url: `/memories/${fixtureA.memoryId}` }, reader);
    await expectStatus(world.app, 200, { method: "POST", url: "/search", payload: { query: "alpha", cubeIds: [fixtureA.cubeId] } }, reader);
  });

  it("a key expiring a moment from now works until then and is refused (401) right after", async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const { token } = await issueKey(world.app, adminA, "other-of-a", { scopes: ["read"], expiresAt });
    expect((await send(world.app, { method: "GET", url: "/me" }, { token })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 100));
    const after = await send(world.app, { method: "GET", url: "/me" }, { token });
    expect(after.statusCode).toBe(401);
    expect(after.headers["www-authenticate"]).toMatch(/^Bearer\b/);
  });

  // Was a defect: GovernanceRejected had no status (src/server/errorResponses.ts), so an unknown principal or key id was a 500.
  it("an unknown principal id or key id (another tenant's, or nobody's) is a 404, not a 500", async () => {
    const answers = [
      await send(world.app, { method: "GET", url: "/principals/other-of-a" }, { token: adminB }),
      await send(world.app, { method: "GET", url: "/principals/nobody-at-all" }, { token: adminA }),
      await send(world.app, { method: "POST", url: `/keys/${fixtureA.keyId}/revoke` }, { token: adminB }),
      await send(world.app, { method: "POST", url: "/principals/other-of-a/disable" }, { token: adminB }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404, 404]);
  });

  // Was a defect: key ids are base64url, so 1 in 32 starts with "_" or "-", and revokeApiKey checked them with the
  // principal-id pattern (which must start with a letter or digit): such a key could never be revoked.
  it("every issued key can be revoked, including one whose id starts with _ or -", async () => {
    let key = await issueKey(world.app, adminA, "agent-of-a", { scopes: ["read"] });
    for (let tries = 0; /^[A-Za-z0-9]/.test(key.keyId) && tries < 500; tries++) key = await issueKey(world.app, adminA, "agent-of-a", { scopes: ["read"] });
    expect(key.keyId).toMatch(/^[_-]/);
    const revoked = await send(world.app, { method: "POST", url: `/keys/${key.keyId}/revoke` }, { token: adminA });
    expect(revoked.statusCode).toBe(200);
    expect((await send(world.app, { method: "GET", url: "/me" }, { token: key.token })).statusCode).toBe(401);
  });

  // Was a defect: a principal may issue keys to itself, and that path did not check the calling key's scopes,
  // so a read-only key minted a key with every scope.
  it("a read-scoped key cannot mint itself a key with wider scopes (403), and nothing is written", async () => {
    const readOnly = await issueKey(world.app, adminA, "reader-of-a", { scopes: ["read"] });
    const before = await headPosition(world.ledger);
    const minted = await send(world.app, { method: "POST", url: "/principals/reader-of-a/keys", payload: { scopes: ["read", "write", "admin"] } }, { token: readOnly.token });
    expect(minted.statusCode).toBe(403);
    expect(await headPosition(world.ledger)).toBe(before);
  });
});
