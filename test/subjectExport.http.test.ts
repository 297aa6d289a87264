import { Ajv } from "ajv";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import type { SubjectExportDocument } from "../src/subjectExport/subjectExportDocument.js";
import { subjectExportJsonSchema } from "../src/subjectExport/subjectExportSchema.js";
import { subjectExportFixture, type SubjectExportFixture } from "./support/subjectExportFixture.js";
import { failureOf } from "./support/tempLedger.js";

describe("GET /subjects/:subjectId/export over REST and the HTTP client", () => {
  let f: SubjectExportFixture;
  let app: FastifyInstance;
  let baseUrl: string;
  const keys: Record<string, string> = {};
  const clients: RemoteLedger[] = [];
  const client = async (who: string) => {
    const c = await connectMemLedger(baseUrl, { apiKey: keys[who]! });
    clients.push(c);
    return c;
  };
  const get = (who: string, url: string) => app.inject({ method: "GET", url, headers: { authorization: `Bearer ${keys[who]}` } });

  beforeAll(async () => {
    f = await subjectExportFixture();
    for (const who of ["dpo", "ops"]) keys[who] = (await f.admin.governance.issueKey(who, { scopes: ["admin"] })).token;
    keys.carol = (await f.admin.governance.issueKey("carol", { scopes: ["read"] })).token;
    app = await buildServer(f.ledger, { rateLimit: false });
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app.close();
    await f.dispose();
  });

  it("the DPO's client gets the same document as the library, valid against the published JSON schema", async () => {
    const remote = await (await client("dpo")).subjects.export("alice");
    const local = await f.dpo.subjects.export("alice");
    expect(remote.memories).toEqual(local.memories);
    expect(remote.changes).toEqual(local.changes);
    expect(remote.certificates).toEqual(local.certificates);
    expect(remote.reads.filter((r) => r.action !== "export")).toEqual(local.reads.filter((r) => r.action !== "export"));
    expect(remote.memories.map((m) => m.memoryId).sort()).toEqual([f.units.edited, f.units.sourced, f.units.erased].sort());
    expect(remote.memories.find((m) => m.memoryId === f.units.edited)?.versions.map((v) => v.content?.text)).toEqual([
      "alice likes green tea",
      "alice likes jasmine tea",
      "alice likes jasmine tea, no sugar",
    ]);
    expect(new Set(remote.reads.map((r) => r.principalId))).toEqual(new Set(["carol", "dave"]));
    const validate = new Ajv({ strict: false }).compile(subjectExportJsonSchema);
    expect(validate(remote), JSON.stringify(validate.errors)).toBe(true);
  });

  it("records the export in the read audit with the request's id", async () => {
    const response = await get("dpo", "/subjects/alice/export");
    expect(response.statusCode).toBe(200);
    const exports = (await f.admin.audit.readsBy("dpo")).filter((r) => r.action === "export");
    // One record per export: two over HTTP, each tied to its request, and the in-process one of the first test.
    expect(exports).toHaveLength(3);
    const overHttp = exports.filter((r) => r.requestId !== undefined);
    expect(overHttp).toHaveLength(2);
    expect(new Set(overHttp.map((r) => r.requestId)).size).toBe(2);
    expect([...exports.at(-1)!.memoryIds].sort()).toEqual([f.units.edited, f.units.sourced, f.units.erased].sort());
  });

  it("?format=summary answers the same export in words, as text/markdown", async () => {
    const response = await get("dpo", "/subjects/alice/export?format=summary");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/markdown/);
    expect(response.body).toContain("# Subject access export: alice");
    expect(response.body).toContain("alice likes jasmine tea, no sugar");
    expect(response.body).toContain("| erased |");
    expect(response.body).toMatch(/reads: \d+ by carol, dave/);
  });

  it("pages with ?limit and ?after, and rejects a bad page with 400", async () => {
    const first = (await get("dpo", "/subjects/alice/export?limit=2")).json<SubjectExportDocument>();
    expect(first.memories).toHaveLength(2);
    const second = (await get("dpo", `/subjects/alice/export?limit=2&after=${first.page.nextCursor}`)).json<SubjectExportDocument>();
    expect(second.memories).toHaveLength(1);
    expect(second.page).toMatchObject({ after: first.page.nextCursor, totalMemories: 3 });
    expect((await get("dpo", "/subjects/alice/export?limit=0")).statusCode).toBe(400);
    const unknownCursor = await get("dpo", `/subjects/alice/export?after=${f.units.bobs}`);
    expect(unknownCursor.statusCode).toBe(400);
    expect(unknownCursor.json()).toMatchObject({ error: "InvalidRequest" });
  });

  it("a tenant admin without the DPO role and a reader get 403", async () => {
    expect(await failureOf((await client("ops")).subjects.export("alice"))).toMatchObject({ _tag: "Forbidden", status: 403 });
    expect(await failureOf((await client("carol")).subjects.export("alice"))).toMatchObject({ _tag: "Forbidden", status: 403 });
    expect((await get("carol", "/subjects/alice/export?format=summary")).statusCode).toBe(403);
  });

  it("the OpenAPI document declares both answers", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{ paths: Record<string, { get: { responses: Record<string, { content: Record<string, unknown> }> } }> }>();
    expect(Object.keys(doc.paths["/subjects/{subjectId}/export"]!.get.responses["200"]!.content)).toEqual(["application/json", "text/markdown"]);
  });
});
