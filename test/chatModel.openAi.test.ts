import { afterEach, describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { ChatModelAnswerInvalid, ChatModelUnavailable } from "../src/chatModel/chatModelErrors.js";
import { chatModelContract, contractPrompts, contractSchemaName } from "../src/chatModel/chatModel.contract.js";
import { startChatCompletionsServer, type ChatCompletionsServer, type ScriptRule } from "./support/chatCompletionsServer.js";

/** The real adapter (the `openai` SDK over HTTP) against a real local chat-completions server with scripted answers. */

const factsSchema = {
  type: "object",
  properties: { facts: { type: "array", items: { type: "string" } } },
  required: ["facts"],
  additionalProperties: false,
} as const;
const ask = { messages: [{ role: "user" as const, content: "Alice: I moved to Lyon." }], schemaName: "facts", schema: factsSchema };

let servers: ChatCompletionsServer[] = [];
async function serve(rules: ScriptRule[], options: { refuseJsonSchema?: boolean } = {}) {
  const server = await startChatCompletionsServer({ rules, ...options });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const fastRetries = { baseDelayMs: 10, maxDelayMs: 2_000 };

chatModelContract("OpenAI-compatible adapter against the scripted server", async () => {
  const server = await startChatCompletionsServer({
    rules: [
      { schemaName: contractSchemaName, json: { city: "Lyon", confidence: 0.9 } },
      { user: contractPrompts.plain, text: "Hello there." },
      { user: contractPrompts.streamed, text: "one, two, three, four, five" },
    ],
  });
  return { model: openAiChatModel({ baseURL: server.url, model: "scripted" }), close: () => server.close() };
});

describe("OpenAI-compatible chat model", () => {
  it("asks for the json_schema response format (strict) and returns the validated value first time", async () => {
    const server = await serve([{ schemaName: "facts", json: { facts: ["Alice lives in Lyon"] } }]);
    const answer = await openAiChatModel({ baseURL: server.url, model: "m" }).completeStructured<{ facts: string[] }>(ask);
    expect(answer.value).toEqual({ facts: ["Alice lives in Lyon"] });
    expect(answer.repaired).toBe(false);
    expect(answer.calls).toBe(1);
    expect(server.requests[0]!.response_format).toEqual({ type: "json_schema", json_schema: { name: "facts", schema: factsSchema, strict: true } });
  });

  it("sends the validation errors back and returns the repaired answer", async () => {
    const server = await serve([
      { schemaName: "facts", json: { facts: "Lyon", extra: 1 }, times: 1 },
      { schemaName: "facts", json: { facts: ["Alice lives in Lyon"] } },
    ]);
    const answer = await openAiChatModel({ baseURL: server.url, model: "m" }).completeStructured<{ facts: string[] }>(ask);
    expect(answer.value.facts).toEqual(["Alice lives in Lyon"]);
    expect(answer.repaired).toBe(true);
    expect(answer.calls).toBe(2);
    const repair = server.requests[1]!.messages;
    expect(repair.at(-2)).toEqual({ role: "assistant", content: JSON.stringify({ facts: "Lyon", extra: 1 }) });
    expect(repair.at(-1)!.content).toMatch(/\/facts must be array/);
    expect(repair.at(-1)!.content).toMatch(/additional properties \(extra\)/);
  });

  it("fails with ChatModelAnswerInvalid, carrying the last errors, after the bounded repair rounds", async () => {
    const server = await serve([{ schemaName: "facts", text: "Alice lives in Lyon, I think." }]);
    const error = await openAiChatModel({ baseURL: server.url, model: "m", repairRounds: 2 })
      .completeStructured(ask)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatModelAnswerInvalid);
    const invalid = error as ChatModelAnswerInvalid;
    expect(invalid._tag).toBe("ChatModelAnswerInvalid");
    expect(invalid.errors[0]).toMatch(/not JSON/);
    expect(invalid.repairRounds).toBe(2);
    expect(invalid.message).toMatch(/schema facts after 2 repair round/);
    expect(server.requests).toHaveLength(3); // the first answer and two repairs, no more
  });

  it("retries a 429 after the Retry-After the endpoint asked for, then succeeds", async () => {
    const server = await serve([{ status: 429, retryAfterSeconds: 1, times: 1 }, { text: "fine now" }]);
    const started = Date.now();
    const answer = await openAiChatModel({ baseURL: server.url, model: "m", retry: fastRetries }).complete({ messages: [{ role: "user", content: "hi" }] });
    expect(answer.text).toBe("fine now");
    expect(answer.calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the 1 s it asked for, not the 10 ms backoff
  });

  it("retries 500s with backoff, and gives up with ChatModelUnavailable after maxRetries", async () => {
    const server = await serve([{ status: 500 }]);
    const error = await openAiChatModel({ baseURL: server.url, model: "m", retry: { ...fastRetries, maxRetries: 2 } })
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatModelUnavailable);
    expect((error as ChatModelUnavailable).status).toBe(500);
    expect((error as ChatModelUnavailable).calls).toBe(3);
    expect((error as ChatModelUnavailable).message).toMatch(/chat model m at http:\/\/127\.0\.0\.1:\d+\/v1 failed \(HTTP 500/);
    expect(server.requests).toHaveLength(3);
  });

  it("never retries a 4xx other than 429 (the same request would fail the same way)", async () => {
    const server = await serve([{ status: 401 }]);
    const error = await openAiChatModel({ baseURL: server.url, model: "m", retry: fastRetries })
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((error as ChatModelUnavailable).status).toBe(401);
    expect((error as ChatModelUnavailable).message).toMatch(/MEMLEDGER_CHAT_MODEL_API_KEY/);
    expect(server.requests).toHaveLength(1);
  });

  it("times out a slow answer per call and says which setting to raise", async () => {
    const server = await serve([{ text: "late", delayMs: 1_500 }]);
    const error = await openAiChatModel({ baseURL: server.url, model: "m", timeoutMs: 200, retry: { ...fastRetries, maxRetries: 1 } })
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatModelUnavailable);
    expect((error as ChatModelUnavailable).message).toMatch(/did not answer within 200 ms \(2 call\(s\)\); raise MEMLEDGER_CHAT_MODEL_TIMEOUT_MS/);
  });

  it("stops at once, without retrying, when the caller aborts (job lease lost, client gone)", async () => {
    const server = await serve([{ text: "late", delayMs: 3_000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("lease lost")), 100);
    const started = Date.now();
    const error = await openAiChatModel({ baseURL: server.url, model: "m", retry: fastRetries })
      .complete({ messages: [{ role: "user", content: "hi" }], signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("lease lost");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });

  it("says the endpoint is unreachable when nothing listens", async () => {
    const server = await serve([]);
    const url = server.url;
    await server.close();
    const error = await openAiChatModel({ baseURL: url, model: "m", retry: { ...fastRetries, maxRetries: 1 } })
      .complete({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((error as ChatModelUnavailable).message).toMatch(/is unreachable .* after 2 call\(s\); start the server or fix MEMLEDGER_CHAT_MODEL_URL/);
  });

  it("streams the text in pieces and reports the usage the endpoint sends at the end", async () => {
    const server = await serve([{ text: "The quick brown fox jumps.", usage: { promptTokens: 11, completionTokens: 7 } }]);
    const stream = openAiChatModel({ baseURL: server.url, model: "m", prices: { inputPerMillion: 1, outputPerMillion: 2 } }).stream({ messages: [{ role: "user", content: "go" }] });
    const pieces: string[] = [];
    for await (const piece of stream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    const done = await stream.done;
    expect(done.text).toBe("The quick brown fox jumps.");
    expect(done.usage).toEqual({ promptTokens: 11, completionTokens: 7, costUsd: (11 * 1 + 7 * 2) / 1e6 });
    expect(server.requests[0]!.stream_options).toEqual({ include_usage: true });
  });

  it("costs usage from the configured prices, summed over repair calls; no price, no cost", async () => {
    const rules: ScriptRule[] = [
      { schemaName: "facts", json: { facts: 1 }, times: 1, usage: { promptTokens: 1_000, completionTokens: 100 } },
      { schemaName: "facts", json: { facts: [] }, usage: { promptTokens: 2_000, completionTokens: 50 } },
    ];
    const server = await serve(rules);
    const priced = await openAiChatModel({ baseURL: server.url, model: "m", prices: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }).completeStructured(ask);
    expect(priced.usage.promptTokens).toBe(3_000);
    expect(priced.usage.completionTokens).toBe(150);
    expect(priced.usage.costUsd).toBeCloseTo((3_000 * 0.15 + 150 * 0.6) / 1e6, 12);
    const unpriced = await openAiChatModel({ baseURL: (await serve([{ text: "x", usage: { promptTokens: 5, completionTokens: 1 } }])).url, model: "m" }).complete({ messages: [{ role: "user", content: "hi" }] });
    expect(unpriced.usage).toEqual({ promptTokens: 5, completionTokens: 1 });
  });

  it("falls back to json_object with the schema in a system message when the endpoint refuses json_schema, and remembers it", async () => {
    const server = await serve([{ schemaName: "facts", json: { facts: ["Alice lives in Lyon"] } }], { refuseJsonSchema: true });
    const model = openAiChatModel({ baseURL: server.url, model: "m" });
    const first = await model.completeStructured<{ facts: string[] }>(ask);
    expect(first.value.facts).toEqual(["Alice lives in Lyon"]);
    expect(server.requests.map((r) => r.response_format?.type)).toEqual(["json_schema", "json_object"]);
    expect(server.requests[1]!.messages[0]!.role).toBe("system");
    expect(server.requests[1]!.messages[0]!.content).toContain(JSON.stringify(factsSchema));
    await model.completeStructured(ask);
    expect(server.requests.map((r) => r.response_format?.type)).toEqual(["json_schema", "json_object", "json_object"]);
  });

  it("sends image parts of a user message as image_url content parts", async () => {
    const server = await serve([{ text: "a cat" }]);
    await openAiChatModel({ baseURL: server.url, model: "m" }).complete({
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", imageUrl: "https://example.com/cat.png" }] }],
    });
    expect(server.requests[0]!.messages[0]!.content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ]);
  });
});
