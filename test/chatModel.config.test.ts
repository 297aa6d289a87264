import Fastify from "fastify";
import { Effect, Option } from "effect";
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chatModelFromEnv, configFromEnv } from "../src/config.js";
import { configFromSources } from "../src/configFile.js";
import { layerChatModel, layerConfiguredChatModel } from "../src/chatModel/chatModelLayer.js";
import { ChatModel } from "../src/chatModel/chatModelPort.js";
import { ChatModelAnswerInvalid, ChatModelNotConfigured, ChatModelUnavailable } from "../src/chatModel/chatModelErrors.js";
import { sendError } from "../src/server/errorResponses.js";
import { startChatCompletionsServer } from "./support/chatCompletionsServer.js";

const base = { MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" };

describe("chat model configuration (MEMLEDGER_CHAT_MODEL_*)", () => {
  it("is absent when nothing is set, and read whole when it is", () => {
    expect(configFromEnv(base).chatModel).toBeUndefined();
    const config = configFromEnv({
      ...base,
      MEMLEDGER_CHAT_MODEL_URL: "http://localhost:11434/v1",
      MEMLEDGER_CHAT_MODEL: "qwen2.5:7b-instruct",
      MEMLEDGER_CHAT_MODEL_API_KEY: "sk-test",
      MEMLEDGER_CHAT_MODEL_TIMEOUT_MS: "30000",
      MEMLEDGER_CHAT_MODEL_PRICE_INPUT: "0.15",
      MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT: "0.6",
    }).chatModel;
    expect(config).toEqual({
      kind: "openai",
      baseURL: "http://localhost:11434/v1",
      model: "qwen2.5:7b-instruct",
      apiKey: "sk-test",
      timeoutMs: 30_000,
      prices: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    });
  });

  it("reads the same settings from the configuration file (chatModel.*), the environment winning", () => {
    const file = join(mkdtempSync(join(tmpdir(), "chat-config-")), "memledger.json");
    writeFileSync(file, JSON.stringify({ chatModel: { url: "http://vllm:8000/v1", model: "Qwen/Qwen2.5-7B-Instruct", timeoutMs: 20000, priceInput: 0.1, priceOutput: 0.3 } }));
    expect(configFromSources({ ...base, MEMLEDGER_CONFIG: file }).chatModel).toEqual({
      kind: "openai",
      baseURL: "http://vllm:8000/v1",
      model: "Qwen/Qwen2.5-7B-Instruct",
      timeoutMs: 20_000,
      prices: { inputPerMillion: 0.1, outputPerMillion: 0.3 },
    });
    expect(configFromSources({ ...base, MEMLEDGER_CONFIG: file, MEMLEDGER_CHAT_MODEL: "other" }).chatModel?.model).toBe("other");
  });

  it("refuses a partial or malformed setting with what to set", () => {
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL: "gpt-4o-mini" })).toThrow(/MEMLEDGER_CHAT_MODEL is set but MEMLEDGER_CHAT_MODEL_URL is not/);
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: "http://localhost:11434/v1" })).toThrow(/needs MEMLEDGER_CHAT_MODEL: the model name/);
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: "localhost:11434", MEMLEDGER_CHAT_MODEL: "m" })).toThrow(/must be an http:\/\/ or https:\/\/ base URL/);
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: "http://h/v1", MEMLEDGER_CHAT_MODEL: "m", MEMLEDGER_CHAT_MODEL_TIMEOUT_MS: "1m" })).toThrow(/MEMLEDGER_CHAT_MODEL_TIMEOUT_MS must be a whole number/);
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: "http://h/v1", MEMLEDGER_CHAT_MODEL: "m", MEMLEDGER_CHAT_MODEL_PRICE_INPUT: "0.1" })).toThrow(/go together/);
    expect(() => chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: "http://h/v1", MEMLEDGER_CHAT_MODEL: "m", MEMLEDGER_CHAT_MODEL_PRICE_INPUT: "$1", MEMLEDGER_CHAT_MODEL_PRICE_OUTPUT: "1" })).toThrow(/USD per million tokens/);
  });

  it("provides the ChatModel service only when configured, and the configured one answers", async () => {
    const absent = await Effect.runPromise(Effect.serviceOption(ChatModel).pipe(Effect.provide(layerChatModel(undefined))));
    expect(Option.isNone(absent)).toBe(true);
    const server = await startChatCompletionsServer({ rules: [{ text: "pong" }] });
    try {
      const config = chatModelFromEnv({ MEMLEDGER_CHAT_MODEL_URL: server.url, MEMLEDGER_CHAT_MODEL: "scripted" })!;
      const text = await Effect.runPromise(
        Effect.gen(function* () {
          const model = yield* ChatModel;
          return yield* Effect.promise(() => model.complete({ messages: [{ role: "user", content: "ping" }] }));
        }).pipe(Effect.provide(layerConfiguredChatModel(config))),
      );
      expect(text.text).toBe("pong");
      expect(server.requests[0]!.model).toBe("scripted");
    } finally {
      await server.close();
    }
  });
});

describe("chat model errors over REST", () => {
  it("maps not configured to 409, unavailable to 503 with Retry-After, an invalid answer to 502, each with what to do", async () => {
    const app = Fastify();
    app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
    app.get("/not-configured", async () => {
      throw new ChatModelNotConfigured("fine extraction");
    });
    app.get("/unavailable", async () => {
      throw new ChatModelUnavailable({ model: "m", endpoint: "http://h/v1", calls: 4, status: 429, retryAfterSeconds: 7, message: "chat model m at http://h/v1 failed (HTTP 429); retry later" });
    });
    app.get("/invalid", async () => {
      throw new ChatModelAnswerInvalid({ model: "m", schemaName: "facts", errors: ["/facts must be array"], lastAnswer: "{}", repairRounds: 2 });
    });
    const notConfigured = await app.inject("/not-configured");
    expect(notConfigured.statusCode).toBe(409);
    expect(notConfigured.json()).toMatchObject({ error: "ChatModelNotConfigured", feature: "fine extraction", envVars: ["MEMLEDGER_CHAT_MODEL_URL", "MEMLEDGER_CHAT_MODEL", "MEMLEDGER_CHAT_MODEL_API_KEY"] });
    expect(notConfigured.json().message).toMatch(/set MEMLEDGER_CHAT_MODEL_URL .* and MEMLEDGER_CHAT_MODEL/);
    const unavailable = await app.inject("/unavailable");
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.headers["retry-after"]).toBe("7");
    expect(unavailable.json()).toMatchObject({ error: "ChatModelUnavailable", model: "m", endpoint: "http://h/v1", calls: 4 });
    const invalid = await app.inject("/invalid");
    expect(invalid.statusCode).toBe(502);
    expect(invalid.json()).toMatchObject({ error: "ChatModelAnswerInvalid", schemaName: "facts", errors: ["/facts must be array"] });
    await app.close();
  });
});
