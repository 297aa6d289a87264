import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const messages = [
  { role: "user", speaker: "Caroline", content: "I went hiking in the Alps last weekend.", at: "2023-05-08T13:56:00Z", messageId: "m1" },
  { role: "assistant", speaker: "Melanie", content: "Which trail did you take?", at: "2023-05-08T13:57:00Z", messageId: "m2" },
] as const;

describe("POST /cubes/:cubeId/messages and the HTTP client", () => {
  let ledger: MemLedger;
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  let adminToken: string;
  let dataDir: string;
  let admin: RemoteLedger;
  const post = (cubeId: string, payload: unknown, token: string) =>
    app.inject({ method: "POST", url: `/cubes/${cubeId}/messages`, headers: { authorization: `Bearer ${token}` }, payload: payload as object });
  const keyOf = async (principalId: string, tenant: string, token: string) => {
    await app.inject({ method: "POST", url: "/principals", headers: { authorization: `Bearer ${token}` }, payload: { principalId, kind: "user", roles: [] } });
    const issued = await app.inject({ method: "POST", url: `/principals/${principalId}/keys`, headers: { authorization: `Bearer ${token}` }, payload: { scopes: ["read", "write"] } });
    expect(issued.statusCode, `${tenant}: ${issued.body}`).toBe(201);
    return issued.json<{ token: string }>().token;
  };

  beforeAll(async () => {
    const t = await tempLedger();
    ({ ledger, dispose, dataDir } = t);
    await ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    adminToken = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
    app = await buildServer(ledger, { rateLimit: false });
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    admin = await connectMemLedger(baseUrl, { apiKey: adminToken });
    await admin.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "user", id: "caroline" } });
  }, 30_000);
  afterAll(async () => {
    await admin.close();
    await app.close();
    await dispose();
  });

  it("answers 202 with the job and its location by default, and the job makes the turns searchable", async () => {
    const response = await post("chat", { messages, userId: "caroline", sessionId: "s1" }, adminToken);
    expect(response.statusCode, response.body).toBe(202);
    const body = response.json<{ mode: string; async: boolean; rawMemoryIds: string[]; job: { jobId: string; kind: string } }>();
    expect(body).toMatchObject({ mode: "fast", async: true, job: { kind: "memreader.extract" } });
    expect(body.rawMemoryIds).toHaveLength(2);
    expect(response.headers.location).toBe(`/jobs/${body.job.jobId}`);
    expect((await admin.jobs.wait(body.job.jobId, 20_000)).job.status).toBe("done");
    const found = await admin.search({ query: "hiking Alps trail", cubeIds: ["chat"], mode: "bm25", filters: { tags: ["memreader"] } });
    expect(found.results[0]?.memory.content?.text).toContain("[2023-05-08 13:56] Caroline: I went hiking in the Alps last weekend.");
  });

  it("answers 201 with the extracted units when async is false, through the HTTP client too", async () => {
    const response = await post("chat", { messages: [messages[0]], async: false }, adminToken);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<{ memories: { content: { sources: { ref: string }[] } }[] }>().memories[0]!.content.sources[0]!.ref).toBe("m1");
    const viaClient = await admin.memReader.addMessages("chat", { messages: [{ role: "user", content: "Client says hello." }], async: false });
    expect(viaClient).toMatchObject({ async: false, mode: "fast", memories: [{ content: { text: "user: Client says hello." } }] });
  });

  it("answers 400 naming the field, and 409 ChatModelNotConfigured for mode fine with no model", async () => {
    const empty = await post("chat", { messages: [] }, adminToken);
    expect(empty.statusCode).toBe(400);
    const fine = await post("chat", { messages, mode: "fine" }, adminToken);
    expect(fine.statusCode).toBe(409);
    expect(fine.json()).toMatchObject({ error: "ChatModelNotConfigured" });
    expect(await failureOf(admin.memReader.addMessages("chat", { messages: [...messages], mode: "fine" }))).toMatchObject({ status: 409 });
  });

  it("answers odd bodies with a 4xx, never a 5xx", async () => {
    const odd: unknown[] = [
      { messages: [{ role: "user", parts: [{ type: "text", text: "" }] }] },
      { messages: [{ role: "user", parts: [{ type: "image" }] }] },
      { messages: [{ role: "user", content: "a", messageId: "x" }, { role: "user", content: "b", messageId: "x" }] },
      { messages: [{ role: "tool", toolCall: { tool: " ", arguments: null, result: null, outcome: "error" } }], async: false },
      { messages: [{ role: "user", content: "x".repeat(100_000), parts: [{ type: "text", text: "y" }] }], async: false },
      { messages: [{ role: "user", content: "a", at: "2023-02-30T10:00:00Z" }] },
      { messages: [{ role: "robot", content: "a" }] },
    ];
    for (const body of odd) {
      const response = await post("chat", body, adminToken);
      expect(response.statusCode, `${JSON.stringify(body).slice(0, 120)} -> ${response.body.slice(0, 200)}`).toBeLessThan(500);
    }
  });

  it("refuses a principal with read only (403) and another tenant (404), writing nothing", async () => {
    const readerToken = await keyOf("reader", "default", adminToken);
    await app.inject({ method: "POST", url: "/cubes/chat/grants", headers: { authorization: `Bearer ${adminToken}` }, payload: { grantee: { kind: "principal", id: "reader" }, permission: "read" } });
    const before = (await ledger.cubes.memories("chat")).length;
    expect((await post("chat", { messages }, readerToken)).statusCode).toBe(403);
    await ledger.bootstrapAdmin(join(dataDir, "other-admin.key"), "other");
    const otherToken = readFileSync(join(dataDir, "other-admin.key"), "utf8").trim();
    expect((await post("chat", { messages }, otherToken)).statusCode).toBe(404);
    expect((await ledger.cubes.memories("chat")).length).toBe(before);
  });
});
