import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { buildServer } from "../src/server/buildServer.js";
import { startChatCompletionsServer, lastUserText, type ChatCompletionsRequestBody, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { createPrincipal, expectStatus, grant } from "./support/governanceFixtures.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";
import { connectMemLedger } from "../src/client/httpClient.js";

/**
 * mem_chat end to end: the `openai` npm client against memledger's server,
 * which asks a real local chat-completions server (the upstream). What the
 * upstream received is checked, not only what came back.
 */

interface MemChatReport {
  memoryIds: string[];
  cubeIds: string[];
  query: string;
  prompt: string;
  remember?: { cubeId: string; jobId?: string; rawMemoryIds?: string[]; error?: { code: string; message: string } };
}
type WithReport<T> = T & { memledger: MemChatReport };
/** An openai request with memledger's extension field, which the client sends in the body as it is. */
const withMemledger = <T extends object>(params: T, memledger: Record<string, unknown>): T => ({ ...params, memledger }) as T;

const textOf = (content: unknown): string => (typeof content === "string" ? content : JSON.stringify(content));
/** The chat requests the upstream received (merge decisions of ingestion ask it for structured answers too: those are left out). */
const chats = (upstream: ChatCompletionsServer): ChatCompletionsRequestBody[] => upstream.requests.filter((r) => r.response_format === undefined);
const systemOf = (request: ChatCompletionsRequestBody | undefined): string => textOf(request?.messages.find((m) => m.role === "system")?.content);

describe("POST /v1/chat/completions with the openai client and a real upstream", () => {
  let upstream: ChatCompletionsServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let baseUrl: string;
  let adminToken: string;
  let alice: OpenAI;
  let aliceToken: string;
  let reader: OpenAI;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    upstream = await startChatCompletionsServer({
      modelName: "upstream-model-1",
      rules: [
        { user: /where does alice live/i, text: "Alice lives in Lyon, with her cat Miso.", usage: { promptTokens: 321, completionTokens: 12 } },
        { user: /favourite colour/i, text: "Noted: your favourite colour is teal." },
        // A refusal the adapter does not retry (a 4xx): the upstream is unusable for this request.
        { user: /refuse me/i, status: 400 },
        { text: (request) => `echo: ${lastUserText(request)}` },
      ],
    });
    const t = await tempLedger({ chatModel: { kind: "openai", baseURL: upstream.url, model: "scripted" } });
    ({ ledger, dispose } = t);
    await ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    adminToken = readFileSync(join(t.dataDir, "admin.key"), "utf8").trim();
    app = await buildServer(ledger, { rateLimit: false });
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });

    for (const cubeId of ["alice-notes", "bob-notes"]) {
      await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "user", id: cubeId } } }, adminToken);
    }
    const add = async (name: string, cubeId: string, text: string) => {
      ids[name] = (await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId, text } }, adminToken)).memoryId;
    };
    await add("lyon", "alice-notes", "Alice lives in Lyon since 2019.");
    await add("miso", "alice-notes", "Alice's cat is named Miso; where Alice goes, Miso goes.");
    await add("vault", "bob-notes", "Bob's vault code is 4321; Alice must never learn where Bob hides it.");
    aliceToken = (await createPrincipal(app, adminToken, "alice", { scopes: ["read", "write"] })).token;
    await grant(app, adminToken, "alice-notes", "alice", "write");
    const readerToken = (await createPrincipal(app, adminToken, "reader", { scopes: ["read", "write"] })).token;
    await grant(app, adminToken, "alice-notes", "reader", "read");
    alice = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: aliceToken, maxRetries: 0 });
    reader = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: readerToken, maxRetries: 0 });
    await ledger.readModels.catchUp(20_000);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dispose?.();
    await upstream?.close();
  });

  it("answers with the upstream's text and usage, injects the caller's memories with their ids, and names them", async () => {
    const before = chats(upstream).length;
    const answer = (await alice.chat.completions.create({ model: "anything", messages: [{ role: "user", content: "Where does Alice live?" }] })) as WithReport<OpenAI.Chat.ChatCompletion>;
    expect(answer.choices[0]!.message.content).toBe("Alice lives in Lyon, with her cat Miso.");
    expect(answer.object).toBe("chat.completion");
    expect(answer.model).toBe("upstream-model-1");
    expect(answer.usage).toEqual({ prompt_tokens: 321, completion_tokens: 12, total_tokens: 333 });
    expect(answer.memledger.memoryIds).toContain(ids.lyon);
    expect(answer.memledger.memoryIds).not.toContain(ids.vault);
    expect(answer.memledger.cubeIds).toEqual(["alice-notes"]);
    expect(answer.memledger.prompt).toBe("memchat.system@1");

    const sent = chats(upstream).slice(before);
    expect(sent).toHaveLength(1);
    const system = systemOf(sent[0]);
    expect(system).toContain(`[${ids.lyon}] Alice lives in Lyon since 2019.`);
    for (const memoryId of answer.memledger.memoryIds) expect(system).toContain(`[${memoryId}]`);
    // Bob's cube is not Alice's to read: never shown to the model, though the words match.
    expect(system).not.toContain("4321");
    expect(system).not.toContain(ids.vault);
    expect(sent[0]!.messages.at(-1)).toEqual({ role: "user", content: "Where does Alice live?" });
  });

  it("streams the answer as chat.completion.chunk events, the memory ids in the last chunk and a header, the usage when asked", async () => {
    const { data: stream, response } = await alice.chat.completions
      .create({ model: "anything", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "Where does Alice live? Tell me slowly." }] })
      .withResponse();
    let text = "";
    let report: MemChatReport | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      const extension = (chunk as WithReport<typeof chunk>).memledger;
      if (extension !== undefined) report = extension;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Alice lives in Lyon, with her cat Miso.");
    expect(finish).toBe("stop");
    expect(report?.memoryIds).toContain(ids.lyon);
    expect(response.headers.get("x-memledger-memory-ids")?.split(",")).toEqual(report?.memoryIds);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(usage).toEqual({ prompt_tokens: 321, completion_tokens: 12, total_tokens: 333 });
    expect(chats(upstream).at(-1)?.stream).toBe(true);
  });

  it("remember: true sends the last user turn and the answer to MemReader; the job's units become searchable", async () => {
    const answer = (await alice.chat.completions.create(
      withMemledger(
        {
          model: "anything",
          messages: [
            { role: "system", content: "Be brief." },
            { role: "user", content: "My favourite colour is teal." },
          ],
        } satisfies OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
        { remember: true, userId: "alice", sessionId: "s-1" },
      ),
    )) as WithReport<OpenAI.Chat.ChatCompletion>;
    expect(answer.choices[0]!.message.content).toBe("Noted: your favourite colour is teal.");
    const remembered = answer.memledger.remember;
    expect(remembered).toMatchObject({ cubeId: "alice-notes" });
    expect(remembered?.jobId).toMatch(/./);
    expect(remembered?.rawMemoryIds).toHaveLength(2);
    expect((await ledger.jobs.wait(remembered!.jobId!, 30_000)).job.status).toBe("done");
    await ledger.readModels.catchUp(20_000);
    const found = await ledger.search({ query: "favourite colour teal", cubeIds: ["alice-notes"], mode: "bm25" });
    const texts = found.results.map((hit) => hit.memory.content?.text ?? "");
    expect(texts.some((t) => t.includes("My favourite colour is teal."))).toBe(true);
    expect(texts.some((t) => t.includes("Noted: your favourite colour is teal."))).toBe(true);
    // The user's own system message still reaches the model, after memledger's.
    const sent = chats(upstream).at(-1)!;
    expect(sent.messages.map((m) => m.role)).toEqual(["system", "system", "user"]);
    expect(sent.messages[1]).toEqual({ role: "system", content: "Be brief." });
  });

  it("remember by a reader without write keeps the answer and reports the refusal next to it", async () => {
    const answer = (await reader.chat.completions.create(
      withMemledger({ model: "anything", messages: [{ role: "user", content: "Where does Alice live?" }] } satisfies OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, { remember: true }),
    )) as WithReport<OpenAI.Chat.ChatCompletion>;
    expect(answer.choices[0]!.message.content).toContain("Lyon");
    expect(answer.memledger.remember).toMatchObject({ cubeId: "alice-notes", error: { code: "Forbidden" } });
  });

  it("a cube the caller may not read is refused in OpenAI's error shape, and the upstream is not asked", async () => {
    const before = upstream.requests.length;
    const refusal = await alice.chat.completions
      .create(withMemledger({ model: "anything", messages: [{ role: "user", content: "vault code?" }] } satisfies OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, { cubeIds: ["bob-notes"] }))
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OpenAI.APIError);
    const apiError = refusal as InstanceType<typeof OpenAI.APIError>;
    expect([403, 404]).toContain(apiError.status);
    expect(apiError.error).toMatchObject({ type: expect.stringMatching(/permission_error|not_found_error/), code: expect.stringMatching(/Forbidden|CubeNotFound/) });
    expect(upstream.requests.length).toBe(before);
  });

  it("an upstream that fails is a 503 ChatModelUnavailable in OpenAI's shape, streamed or not (the stream is not opened)", async () => {
    for (const stream of [false, true]) {
      const response = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "please refuse me" }] }),
      });
      expect(response.status, `stream ${stream}`).toBe(503);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(await response.json()).toMatchObject({ error: { type: "server_error", code: "ChatModelUnavailable", message: expect.stringContaining("scripted") } });
    }
  });

  it("the options work as headers too, and an invalid body is a 400 in OpenAI's shape naming the field", async () => {
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json", "x-memledger-cube-ids": "alice-notes", "x-memledger-limit": "1" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "Where does Alice live?" }], n: 1, user: "ignored-field" }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { memledger: MemChatReport };
    expect(body.memledger.memoryIds).toHaveLength(1);
    expect(response.headers.get("x-memledger-memory-ids")).toBe(body.memledger.memoryIds[0]);

    const invalid = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [] }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { type: "invalid_request_error", code: "ValidationError", message: expect.stringContaining("messages") } });

    const tool = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }, { role: "tool", content: "42", tool_call_id: "t1" }] }),
    });
    expect(tool.status).toBe(400);
    expect(await tool.json()).toMatchObject({ error: { code: "InvalidRequest", param: "messages[1]" } });

    const noKey = await fetch(`${baseUrl}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }) });
    expect(noKey.status).toBe(401);
  });
});

describe("the HTTP client's chatCompletion", () => {
  it("answers through the server, and a refusal in OpenAI's shape is a typed error carrying memledger's tag", async () => {
    const upstream = await startChatCompletionsServer({ rules: [{ text: "Hello from upstream." }] });
    const { ledger, dispose, dataDir } = await tempLedger({ chatModel: { kind: "openai", baseURL: upstream.url, model: "scripted" } });
    const app = await buildServer(ledger, { rateLimit: false });
    try {
      await ledger.bootstrapAdmin(join(dataDir, "admin.key"));
      const client = await connectMemLedger(await app.listen({ host: "127.0.0.1", port: 0 }), { apiKey: readFileSync(join(dataDir, "admin.key"), "utf8").trim() });
      await client.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const memory = await client.memories.create({ cubeId: "c", text: "The user says hello in Occitan: adieu." });
      await ledger.readModels.catchUp(20_000);
      const answer = await client.chatCompletion({ messages: [{ role: "user", content: "how do I say hello in Occitan" }], memledger: { cubeIds: ["c"] } });
      expect(answer.choices[0]!.message.content).toBe("Hello from upstream.");
      expect(answer.memledger.memoryIds).toEqual([memory.memoryId]);
      expect(await failureOf(client.chatCompletion({ messages: [{ role: "user", content: "hi" }], memledger: { cubeIds: ["no-such-cube"] } }))).toMatchObject({ _tag: "CubeNotFound", status: 404 });
      await client.close();
    } finally {
      await app.close();
      await dispose();
      await upstream.close();
    }
  });
});

describe("POST /v1/chat/completions without an upstream", () => {
  it("answers 409 ChatModelNotConfigured in OpenAI's shape, naming the variables to set", async () => {
    const { ledger, dispose, dataDir } = await tempLedger();
    const app = await buildServer(ledger, { rateLimit: false });
    try {
      await ledger.bootstrapAdmin(join(dataDir, "admin.key"));
      const token = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
      const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
      const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: token, maxRetries: 0 });
      const refusal = (await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hello" }] }).catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
      expect(refusal).toBeInstanceOf(OpenAI.ConflictError);
      expect(refusal.status).toBe(409);
      expect(refusal.error).toMatchObject({ code: "ChatModelNotConfigured", type: "conflict_error", message: expect.stringContaining("MEMLEDGER_CHAT_MODEL_URL") });
    } finally {
      await app.close();
      await dispose();
    }
  });
});
