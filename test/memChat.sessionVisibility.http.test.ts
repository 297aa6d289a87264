import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { buildServer } from "../src/server/buildServer.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { createPrincipal, expectStatus, grant } from "./support/governanceFixtures.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * Chat with memory knows its session (memledger.sessionId, X-Memledger-Session-Id,
 * or X-Session-Id): its search states it, so that session's `session` units are
 * injected, and no other session's (docs/governance.md#visibility).
 */
describe("chat with memory and session units", () => {
  let upstream: ChatCompletionsServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let readerToken: string;
  const cubeId = "trip-notes";
  let sessionUnit: string;
  let sharedUnit: string;

  beforeAll(async () => {
    upstream = await startChatCompletionsServer({ modelName: "upstream-model-1", rules: [{ text: "noted" }] });
    const t = await tempLedger({ chatModel: { kind: "openai", baseURL: upstream.url, model: "scripted" } });
    ({ ledger, dispose } = t);
    await ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    const admin = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
    app = await buildServer(ledger, { rateLimit: false });
    await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "project", id: "trip" } } }, admin);
    sessionUnit = (await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId, text: "The train to Lyon leaves at 9:12 from platform 4.", visibility: "session", sessionId: "s-9" } }, admin)).memoryId;
    sharedUnit = (await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId, text: "Lyon trains are often late in winter." } }, admin)).memoryId;
    readerToken = (await createPrincipal(app, admin, "traveller", { scopes: ["read", "write"] })).token;
    await grant(app, admin, cubeId, "traveller", "read");
    await ledger.readModels.catchUp(20_000);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dispose?.();
    await upstream?.close();
  });

  const injected = async (memledger: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { authorization: `Bearer ${readerToken}`, ...headers },
      payload: { model: "m", messages: [{ role: "user", content: "When does the train to Lyon leave?" }], memledger: { cubeIds: [cubeId], ...memledger } },
    });
    expect(response.statusCode).toBe(200);
    return [...(response.json() as { memledger: { memoryIds: string[] } }).memledger.memoryIds].sort();
  };

  it("injects the session's units when the chat names its session, in the body or a header", async () => {
    const both = [sessionUnit, sharedUnit].sort();
    expect(await injected({ sessionId: "s-9" })).toEqual(both);
    expect(await injected({}, { "x-memledger-session-id": "s-9" })).toEqual(both);
    expect(await injected({}, { "x-session-id": "s-9" })).toEqual(both);
  });

  it("does not inject another session's units", async () => {
    expect(await injected({ sessionId: "s-1" })).toEqual([sharedUnit]);
    expect(await injected({})).toEqual([sharedUnit]);
  });
});
