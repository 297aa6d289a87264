import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManualClock } from "../src/clock/clock.js";
import { SseParser } from "../src/feed/sseParser.js";
import type { IngestionStep } from "../src/ingestion/ingestionStep.js";
import { authenticatedServer, type AuthenticatedServer } from "./support/authenticatedServer.js";
import { conformanceProblems, operationOf, type OpenApiDocument } from "./support/openApiDocument.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * What Schemathesis (test/apiFuzz.schemathesis.test.ts) found, kept as fast
 * regression tests: the OpenAPI document is valid, and every status, content
 * type and body an operation answers is the one it declares.
 */
describe("OpenAPI conformance (findings of the API fuzzer)", () => {
  let app: FastifyInstance;
  let server: AuthenticatedServer;
  let clock: ManualClock;
  let doc: OpenApiDocument;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempLedger();
    clock = t.clock;
    dispose = t.dispose;
    // Requests go as the admin of tenant default unless they carry an Authorization header of their own.
    server = await authenticatedServer(t.ledger, t.dataDir);
    app = server.app;
    doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as OpenApiDocument;
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  it("hardening (fuzzer): the document is valid OpenAPI 3.0, whose exclusiveMinimum/exclusiveMaximum are booleans beside minimum/maximum", () => {
    const problems: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== "object") return;
      const schema = node as Record<string, unknown>;
      for (const [keyword, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
        if (keyword in schema && (typeof schema[keyword] !== "boolean" || typeof schema[bound] !== "number")) problems.push(`${where}: ${keyword}=${JSON.stringify(schema[keyword])}, ${bound}=${JSON.stringify(schema[bound])}`);
      }
      for (const [key, value] of Object.entries(schema)) walk(value, `${where}/${key}`);
    };
    walk(doc.paths, "#/paths");
    expect(problems).toEqual([]);
    const olderThanDays = (operationOf(doc, "POST", "/cubes/{cubeId}/retention-sweeps") as unknown as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } })
      .requestBody.content["application/json"]!.schema.properties.olderThanDays;
    expect(olderThanDays).toMatchObject({ minimum: 0, exclusiveMinimum: true, maximum: 36_500 });
  });

  // Each answer below was an undeclared status in a Schemathesis run (ST103).
  const refusals: ReadonlyArray<{ readonly method: "GET" | "POST"; readonly url: string; readonly path: string; readonly status: number; readonly payload?: string; readonly contentType?: string }> = [
    { method: "GET", url: "/memories/no-such-memory/history", path: "/memories/{memoryId}/history", status: 404 },
    { method: "GET", url: "/memories/no-such-memory/diff?from=0", path: "/memories/{memoryId}/diff", status: 400 },
    { method: "GET", url: "/memories/no-such-memory/diff?from=0&to=1", path: "/memories/{memoryId}/diff", status: 404 },
    { method: "POST", url: "/cubes/no-such-cube/rollback", path: "/cubes/{cubeId}/rollback", status: 400 },
    { method: "POST", url: "/cubes/no-such-cube/branch", path: "/cubes/{cubeId}/branch", status: 400, payload: "{}" },
    { method: "GET", url: "/health/ready?timeoutMs=1.5", path: "/health/ready", status: 400 },
    { method: "GET", url: "/cubes/no-such-cube/memories?asOfPosition=-1", path: "/cubes/{cubeId}/memories", status: 400 },
    { method: "POST", url: "/subjects/subject-1/erase", path: "/subjects/{subjectId}/erase", status: 415, payload: "<forget>me</forget>", contentType: "application/xml" },
    { method: "GET", url: `/jobs/${"j".repeat(1_500)}`, path: "/jobs/{jobId}", status: 414 },
    { method: "POST", url: "/memories", path: "/memories", status: 413, payload: JSON.stringify({ cubeId: "c", text: "x".repeat(3 * 1024 * 1024) }) },
  ];

  it.each(refusals)("hardening (fuzzer): $method $url answers $status, a status its operation declares, with the declared body", async ({ method, url, path, status, payload, contentType }) => {
    const response = await app.inject({ method, url, ...(payload !== undefined ? { payload, headers: { "content-type": contentType ?? "application/json" } } : {}) });
    expect(response.statusCode).toBe(status);
    expect(conformanceProblems(doc, method, path, response.statusCode, response.headers["content-type"] as string | undefined, response.json())).toEqual([]);
  });

  it("hardening (fuzzer): a branch answers 201 with the report, as POST /cubes/{cubeId}/branch declares", async () => {
    await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "trunk", name: "Trunk", owner: { kind: "user", id: "alice" } } });
    await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "trunk", text: "Alice prefers tea" } });
    clock.advance(60_000);
    const response = await app.inject({ method: "POST", url: "/cubes/trunk/branch", payload: { asOf: clock.now().toISOString(), cubeId: "trunk-whatif" } });
    expect(response.statusCode).toBe(201);
    expect(conformanceProblems(doc, "POST", "/cubes/{cubeId}/branch", 201, response.headers["content-type"] as string, response.json())).toEqual([]);
  });

  it.each([
    { method: "DELETE", url: "/memories/m1", allow: "GET, HEAD, PATCH" },
    { method: "PUT", url: "/cubes", allow: "GET, HEAD, POST" },
    { method: "GET", url: "/search", allow: "POST" },
    { method: "QUERY", url: "/jobs/j1", allow: "GET, HEAD" },
  ] as const)("hardening (fuzzer): $method $url, a method the path does not take, is a 405 whose Allow header lists $allow", async ({ method, url, allow }) => {
    const response = await app.inject({ method, url });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.json()).toMatchObject({ error: "MethodNotAllowed" });
  });

  it("hardening (fuzzer): a path no route has stays a 404", async () => {
    expect((await app.inject({ method: "DELETE", url: "/no/such/path" })).statusCode).toBe(404);
  });

  it("hardening (fuzzer): the document says a memory's text may not be empty, as the server enforces (Schemathesis: 'schema validation mismatch')", async () => {
    type Body = { requestBody: { content: Record<string, { schema: { properties: Record<string, { properties?: Record<string, unknown>; items?: { properties: Record<string, unknown> } }> } }> } };
    const bodyOf = (method: string, path: string) => (operationOf(doc, method, path) as unknown as Body).requestBody.content["application/json"]!.schema.properties;
    expect(bodyOf("POST", "/memories").text).toMatchObject({ type: "string", minLength: 1 });
    expect(bodyOf("POST", "/cubes/{cubeId}/add").memories!.items!.properties.text).toMatchObject({ type: "string", minLength: 1 });
    expect(bodyOf("PATCH", "/memories/{memoryId}").content!.properties!.text).toMatchObject({ type: "string", minLength: 1 });
    const empty = await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "trunk", text: "" } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ field: expect.stringMatching(/text$/) });
  });

  it("hardening (fuzzer): a body that requires nothing is optional in the document, as the server reads no body as {} (ST201 'missing request body' accepted)", async () => {
    const requestBodyOf = (method: string, path: string) => (operationOf(doc, method, path) as unknown as { requestBody: { required?: boolean } }).requestBody;
    for (const action of ["activate", "archive", "restore"]) expect(requestBodyOf("POST", `/memories/{memoryId}/${action}`).required, action).toBe(false);
    expect(requestBodyOf("PATCH", "/memories/{memoryId}").required).toBe(false);
    expect(requestBodyOf("POST", "/memories").required).toBe(true);
    expect(requestBodyOf("POST", "/memories/{memoryId}/merge").required).toBe(true);
    const created = (await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "trunk", text: "Dan collects stamps" } })).json() as { memoryId: string };
    const archived = await app.inject({ method: "POST", url: `/memories/${created.memoryId}/archive` });
    expect(archived.statusCode).toBe(200);
  });

  it("hardening (fuzzer): POST /memories links the memoryId it returns to every memory operation, and following a link reaches the memory", async () => {
    const links = operationOf(doc, "POST", "/memories").responses["201"]?.links as Record<string, { operationRef: string; parameters: Record<string, string> }> | undefined;
    const targets = Object.values(links ?? {}).map((link) => decodeURIComponent(link.operationRef.replace(/~1/g, "/").replace(/~0/g, "~")));
    expect(targets).toEqual(
      expect.arrayContaining(["#/paths//memories/{memoryId}/get", "#/paths//memories/{memoryId}/patch", "#/paths//memories/{memoryId}/history/get", "#/paths//memories/{memoryId}/archive/post"]),
    );
    const created = await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "trunk", text: "Carol reads Proust" } });
    for (const link of Object.values(links ?? {})) {
      const [, path, method] = /^#\/paths\/(.+)\/(get|post|patch)$/.exec(link.operationRef.replace(/~1/g, "/").replace(/~0/g, "~"))!;
      const parameters = (operationOf(doc, method!, path!) as unknown as { parameters?: Array<{ in: string; name: string }> }).parameters ?? [];
      expect(parameters.filter((p) => p.in === "path").map((p) => p.name), `${link.operationRef} takes memoryId`).toEqual(["memoryId"]);
      expect(link.parameters).toEqual({ memoryId: "$response.body#/memoryId" });
    }
    const memoryId = (created.json() as { memoryId: string }).memoryId;
    expect((await app.inject({ method: "GET", url: `/memories/${encodeURIComponent(memoryId)}/history` })).statusCode).toBe(200);
  });

  it("hardening (fuzzer): each event GET /events streams matches the event schema its text/event-stream response declares (ST108)", async () => {
    await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "trunk", text: "Bob likes jazz" } });
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    const abort = new AbortController();
    const response = await fetch(`${baseUrl}/events?after=0`, { headers: { accept: "text/event-stream", ...(await server.authHeaders()) }, signal: abort.signal });
    const parser = new SseParser();
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const messages = [];
    while (messages.length < 2) {
      const chunk = await reader.read();
      if (chunk.done) break;
      messages.push(...parser.push(decoder.decode(chunk.value, { stream: true })));
    }
    abort.abort();
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const message of messages) {
      // The shape Schemathesis checks: one object per event with its SSE fields.
      const event = { event: message.event, data: message.data, ...(message.id !== undefined ? { id: message.id } : {}) };
      expect(conformanceProblems(doc, "GET", "/events", response.status, response.headers.get("content-type") ?? undefined, event)).toEqual([]);
    }
  });
});

describe("OpenAPI conformance of authentication and the governance routes", () => {
  let server: AuthenticatedServer;
  let doc: OpenApiDocument;
  let dispose: () => Promise<void>;
  let readerKey: string;

  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    server = await authenticatedServer(t.ledger, t.dataDir);
    doc = (await server.injectRaw({ method: "GET", url: "/openapi.json" })).json() as OpenApiDocument;
    await server.app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "gov", name: "Governed", owner: { kind: "user", id: "alice" } } });
    readerKey = await server.principalToken("rita", { roles: ["reader"] });
  });
  afterAll(async () => {
    await server.app.close();
    await dispose();
  });

  type Case = { readonly method: "GET" | "POST" | "DELETE"; readonly url: string; readonly path: string; readonly status: number; readonly payload?: object; readonly authorization?: string | null };
  /** Sends a request (as the tenant's admin unless `authorization` says otherwise; null sends none) and checks its answer against the document. */
  const conforms = async ({ method, url, path, status, payload, authorization }: Case) => {
    const headers = authorization === undefined ? {} : authorization === null ? {} : { authorization };
    const send = authorization === null ? server.injectRaw : server.app.inject;
    const response = await send({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(status);
    const body = response.body === "" ? undefined : response.json();
    expect(conformanceProblems(doc, method, path, response.statusCode, response.headers["content-type"] as string | undefined, body)).toEqual([]);
    return { response, body };
  };

  it("a request without a credential, with a key that does not exist, or not in the Bearer scheme is a declared 401 that asks for a bearer credential", async () => {
    for (const authorization of [null, "Bearer mlk.default.nosuchkey.c2VjcmV0", "Basic YWRtaW46YWRtaW4="]) {
      const { response, body } = await conforms({ method: "GET", url: "/cubes", path: "/cubes", status: 401, authorization });
      expect(body).toMatchObject({ error: "Unauthenticated" });
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    const write = await conforms({ method: "POST", url: "/memories", path: "/memories", status: 401, payload: { cubeId: "gov", text: "x" }, authorization: null });
    expect(write.body).toMatchObject({ error: "Unauthenticated" });
  });

  it("a principal without the permission gets a declared 403 that names what is missing", async () => {
    const { body } = await conforms({ method: "POST", url: "/memories", path: "/memories", status: 403, payload: { cubeId: "gov", text: "x" }, authorization: `Bearer ${readerKey}` });
    expect(body.message).toContain("write");
    await conforms({ method: "POST", url: "/principals", path: "/principals", status: 403, payload: { principalId: "mallory", kind: "user", roles: ["tenant_admin"] }, authorization: `Bearer ${readerKey}` });
  });

  it("every governance and read-audit route answers a status its operation declares, with the declared body", async () => {
    const cases: Case[] = [
      { method: "GET", url: "/me", path: "/me", status: 200 },
      { method: "POST", url: "/principals", path: "/principals", status: 201, payload: { principalId: "carol", kind: "user", roles: ["reader"] } },
      { method: "POST", url: "/principals", path: "/principals", status: 201, payload: { principalId: "bot", kind: "agent" } },
      { method: "GET", url: "/principals", path: "/principals", status: 200 },
      { method: "GET", url: "/principals/carol", path: "/principals/{principalId}", status: 200 },
      { method: "POST", url: "/principals/carol/roles", path: "/principals/{principalId}/roles", status: 200, payload: { role: "writer" } },
      { method: "DELETE", url: "/principals/carol/roles/writer", path: "/principals/{principalId}/roles/{role}", status: 200 },
      { method: "POST", url: "/principals/carol/groups", path: "/principals/{principalId}/groups", status: 200, payload: { group: "team" } },
      { method: "DELETE", url: "/principals/carol/groups/team", path: "/principals/{principalId}/groups/{group}", status: 200 },
      { method: "POST", url: "/principals/carol/disable", path: "/principals/{principalId}/disable", status: 200 },
      { method: "POST", url: "/principals/carol/enable", path: "/principals/{principalId}/enable", status: 200 },
      { method: "POST", url: "/principals/carol/keys", path: "/principals/{principalId}/keys", status: 201, payload: { scopes: ["read"] } },
      { method: "GET", url: "/keys", path: "/keys", status: 200 },
      { method: "GET", url: "/keys?principalId=carol", path: "/keys", status: 200 },
      { method: "GET", url: "/cubes/gov/grants", path: "/cubes/{cubeId}/grants", status: 200 },
      { method: "POST", url: "/cubes/gov/grants", path: "/cubes/{cubeId}/grants", status: 200, payload: { grantee: { kind: "principal", id: "carol" }, permission: "read" } },
      { method: "POST", url: "/cubes/gov/grants/revoke", path: "/cubes/{cubeId}/grants/revoke", status: 200, payload: { grantee: { kind: "principal", id: "carol" }, permission: "read" } },
      { method: "GET", url: "/cubes/no-such-cube/grants", path: "/cubes/{cubeId}/grants", status: 404 },
      { method: "POST", url: "/principals/carol/delegations", path: "/principals/{principalId}/delegations", status: 204, payload: { agentId: "bot" } },
      { method: "DELETE", url: "/principals/carol/delegations/bot", path: "/principals/{principalId}/delegations/{agentId}", status: 204 },
      { method: "GET", url: "/audit/reads?principalId=carol", path: "/audit/reads", status: 200 },
      { method: "GET", url: "/audit/reads?memoryId=no-such-memory", path: "/audit/reads", status: 200 },
      { method: "GET", url: "/audit/reads", path: "/audit/reads", status: 400 },
    ];
    for (const c of cases) await conforms(c);
    const issued = await conforms({ method: "POST", url: "/principals/carol/keys", path: "/principals/{principalId}/keys", status: 201, payload: { scopes: ["read"] } });
    expect(issued.body.token).toMatch(/^mlk\.default\./);
    await conforms({ method: "POST", url: `/keys/${issued.body.keyId}/revoke`, path: "/keys/{keyId}/revoke", status: 200 });
    await conforms({ method: "GET", url: "/cubes", path: "/cubes", status: 401, authorization: `Bearer ${issued.body.token}` });
  });

  // A refused governance command's reason says its status: not_found -> 404, already_exists -> 409, invalid -> 400
  // (it was a 500 before src/server/errorResponses.ts knew GovernanceRejected).
  it("a refused governance command (an id that exists already, or names no principal or key) is a declared 404 or 409, not a 500", async () => {
    await conforms({ method: "POST", url: "/principals", path: "/principals", status: 201, payload: { principalId: "dora", kind: "user" } });
    await conforms({ method: "POST", url: "/principals", path: "/principals", status: 409, payload: { principalId: "dora", kind: "user" } });
    await conforms({ method: "GET", url: "/principals/nobody", path: "/principals/{principalId}", status: 404 });
    await conforms({ method: "POST", url: "/principals/nobody/disable", path: "/principals/{principalId}/disable", status: 404 });
    await conforms({ method: "POST", url: "/keys/nosuchkey/revoke", path: "/keys/{keyId}/revoke", status: 404 });
  });

  // Key ids are 9 random bytes in base64url, so about one in 32 starts with - or _; revokeApiKey once
  // checked them as governance ids (letter or digit first), and such a key could never be revoked.
  it("every issued key can be revoked, whatever its id starts with", async () => {
    let issued = await conforms({ method: "POST", url: "/principals/rita/keys", path: "/principals/{principalId}/keys", status: 201, payload: { scopes: ["read"] } });
    for (let tries = 0; /^[A-Za-z0-9]/.test(issued.body.keyId) && tries < 1_000; tries += 1) {
      issued = await conforms({ method: "POST", url: "/principals/rita/keys", path: "/principals/{principalId}/keys", status: 201, payload: { scopes: ["read"] } });
    }
    expect(issued.body.keyId).toMatch(/^[-_]/);
    await conforms({ method: "POST", url: `/keys/${issued.body.keyId}/revoke`, path: "/keys/{keyId}/revoke", status: 200 });
    await conforms({ method: "GET", url: "/cubes", path: "/cubes", status: 401, authorization: `Bearer ${issued.body.token}` });
  });
});

describe("OpenAPI conformance when a processing step fails", () => {
  it("hardening (fuzzer): a sync add whose embedding step fails answers 502 IngestionFailed, a status POST /cubes/{cubeId}/add declares", async () => {
    const failingStep: IngestionStep = { name: "embed", run: async () => Promise.reject(new Error("no model")) };
    const t = await tempLedger({ ingestionSteps: [failingStep] });
    const { app } = await authenticatedServer(t.ledger, t.dataDir);
    try {
      const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as OpenApiDocument;
      await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "steps", name: "Steps", owner: { kind: "user", id: "alice" } } });
      const response = await app.inject({ method: "POST", url: "/cubes/steps/add", payload: { memories: [{ text: "has two cats" }] } });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toMatchObject({ error: "IngestionFailed" });
      expect(conformanceProblems(doc, "POST", "/cubes/{cubeId}/add", 502, response.headers["content-type"] as string, response.json())).toEqual([]);
    } finally {
      await app.close();
      await t.dispose();
    }
  });
});
