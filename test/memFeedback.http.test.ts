import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** Feedback and preferences over REST and the HTTP client, as principals: write needed, other tenants see nothing. */
describe("MemFeedback and preferences over REST", () => {
  let chat: ChatCompletionsServer;
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let app: FastifyInstance;
  let writer: RemoteLedger;
  let readerToken: string;
  let outsiderToken: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    chat = await startChatCompletionsServer({
      rules: [
        { schemaName: "feedback_plan", json: { steps: [{ action: "edit", memoryId: "home", newText: "Alice lives in Lyon", successorId: null, reason: "she moved" }] } },
        { schemaName: "implicit_preferences", json: { preferences: [{ key: "travel.mode", text: "Alice prefers trains", confidence: 0.8, evidenceIds: ["trip"] }] } },
      ],
    });
    t = await tempLedger({ chatModel: openAiChatModel({ baseURL: chat.url, model: "scripted" }), jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    const server = await authenticatedServer(t.ledger, t.dataDir);
    app = server.app;
    const writerToken = await server.principalToken("wanda", { roles: ["writer"] });
    readerToken = await server.principalToken("reed", { roles: ["reader"] });
    outsiderToken = await server.tokenFor("acme");
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    writer = await connectMemLedger(baseUrl, { apiKey: writerToken });
    await writer.cubes.create({ cubeId: "alice", name: "alice", owner: { kind: "user", id: "alice" } });
    await writer.memories.create({ cubeId: "alice", memoryId: "home", text: "Alice lives in Paris", userId: "alice" });
    await writer.memories.create({ cubeId: "alice", memoryId: "trip", text: "Alice took the train to Berlin", userId: "alice" });
  }, 60_000);
  afterAll(async () => {
    await writer?.close();
    await app?.close();
    await t?.dispose();
    await chat?.close();
  });

  it("plan (dry run), apply and undo through the HTTP client, with the principal and the model on the events", async () => {
    const plan = await writer.feedback.correct("alice", { text: "I moved to Lyon, not Paris", userId: "alice" });
    expect(plan).toMatchObject({ status: "planned", plannedBy: "principal:wanda", steps: [{ action: "edit", memoryId: "home", newText: "Alice lives in Lyon" }] });
    expect((await writer.memories.get("home")).content?.text).toBe("Alice lives in Paris");
    expect(await writer.feedback.get(plan.planId)).toEqual(plan);
    const applied = await writer.feedback.apply(plan.planId);
    expect(applied.status).toBe("applied");
    expect((await writer.memories.get("home")).content?.text).toBe("Alice lives in Lyon");
    expect((await writer.memories.history("home")).at(-1)).toMatchObject({ actor: "principal:wanda", reason: `feedback plan ${plan.planId}`, automation: { component: "feedback", model: "scripted", prompt: "memfeedback.plan@1" } });
    const undone = await writer.feedback.undo(plan.planId);
    expect(undone.status).toBe("undone");
    expect((await writer.memories.get("home")).content?.text).toBe("Alice lives in Paris");
  });

  it("a principal who may only read gets 403 on every feedback write; another tenant gets 404 for the cube and the plan", async () => {
    const plan = await writer.feedback.correct("alice", { text: "I moved to Lyon" });
    const asReader = await app.inject({ method: "POST", url: "/cubes/alice/feedback", headers: as(readerToken), payload: { text: "I moved to Lyon" } });
    expect(asReader.statusCode).toBe(403);
    expect(asReader.json().message).toContain("memory.write");
    expect((await app.inject({ method: "POST", url: `/feedback/${plan.planId}/apply`, headers: as(readerToken), payload: {} })).statusCode).toBe(403);
    expect((await app.inject({ method: "POST", url: "/cubes/alice/users/alice/preferences/infer", headers: as(readerToken), payload: {} })).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/cubes/alice/users/alice/profile", headers: as(readerToken) })).statusCode).toBe(200);

    const fromAcme = await app.inject({ method: "POST", url: "/cubes/alice/feedback", headers: as(outsiderToken), payload: { text: "I moved to Lyon" } });
    expect(fromAcme.statusCode).toBe(404);
    expect(fromAcme.json().error).toBe("CubeNotFound");
    for (const [method, url] of [["GET", `/feedback/${plan.planId}`], ["POST", `/feedback/${plan.planId}/apply`], ["POST", `/feedback/${plan.planId}/undo`]] as const) {
      const answer = await app.inject({ method, url, headers: as(outsiderToken), ...(method === "POST" ? { payload: {} } : {}) });
      expect(answer.statusCode).toBe(404);
      expect(answer.json().error).toBe("FeedbackPlanNotFound");
    }
    expect((await app.inject({ method: "GET", url: "/cubes/alice/users/alice/profile", headers: as(outsiderToken) })).statusCode).toBe(404);
    expect((await writer.memories.get("home")).content?.text).toBe("Alice lives in Paris");
  });

  it("a principal's plan is built from what it may read: another's private unit is never shown to the model", async () => {
    expect((await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "shared", name: "shared", owner: { kind: "project", id: "p" } } })).statusCode).toBe(201);
    expect((await app.inject({ method: "POST", url: "/cubes/shared/grants", payload: { grantee: { kind: "principal", id: "wanda" }, permission: "write" } })).statusCode).toBeLessThan(300);
    for (const [memoryId, visibility] of [["open-paris", "cube"], ["private-paris", "private"]] as const) {
      const made = await app.inject({ method: "POST", url: "/memories", payload: { cubeId: "shared", memoryId, text: "Somebody lives in Paris", userId: "zed", visibility } });
      expect(made.statusCode).toBe(201);
    }
    const before = chat.requests.length;
    await writer.feedback.correct("shared", { text: "I moved to Lyon, not Paris" }).catch(() => undefined);
    const asked = JSON.stringify(chat.requests.slice(before));
    expect(asked).toContain("open-paris");
    expect(asked).not.toContain("private-paris");
  });

  it("REST answers: 200 plan, 409 on a second apply, 404 for an unknown plan, 400 for an empty correction", async () => {
    const made = await app.inject({ method: "POST", url: "/cubes/alice/feedback", payload: { text: "I moved to Lyon", dryRun: false } });
    expect(made.statusCode).toBe(200);
    expect(made.json().status).toBe("applied");
    const again = await app.inject({ method: "POST", url: `/feedback/${made.json().planId}/apply`, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe("FeedbackPlanConflict");
    expect((await app.inject({ method: "GET", url: "/feedback/no-such-plan" })).statusCode).toBe(404);
    expect((await app.inject({ method: "POST", url: "/cubes/alice/feedback", payload: { text: "" } })).statusCode).toBe(400);
    await app.inject({ method: "POST", url: `/feedback/${made.json().planId}/undo`, payload: {} });
  });

  it("preferences: infer is a 202 job, the profile lists what it inferred with evidence", async () => {
    const job = await writer.preferences.infer("alice", "alice");
    expect(job.kind).toBe("preferences.infer");
    expect((await writer.jobs.wait(job.jobId, 20_000)).job.status).toBe("done");
    const profile = await writer.preferences.profile("alice", "alice");
    expect(profile.preferences.implicit).toEqual([expect.objectContaining({ key: "travel.mode", text: "Alice prefers trains", confidence: 0.8, evidenceIds: ["trip"], kind: "implicit" })]);
    const raw = await app.inject({ method: "POST", url: "/cubes/alice/users/alice/preferences/infer", payload: {} });
    expect(raw.statusCode).toBe(202);
    expect(raw.headers.location).toBe(`/jobs/${raw.json().jobId}`);
  });
});
