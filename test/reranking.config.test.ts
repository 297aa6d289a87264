import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv, rerankerFromEnv } from "../src/config.js";

const chat = { MEMLEDGER_CHAT_MODEL_URL: "http://localhost:11434/v1", MEMLEDGER_CHAT_MODEL: "qwen2.5:7b-instruct" };

describe("MEMLEDGER_RERANKER", () => {
  it("is off by default", () => {
    expect(rerankerFromEnv({})).toBeUndefined();
    expect(configFromEnv({}).reranker).toBeUndefined();
  });

  it("http: the endpoint, model, key, timeout and top N", () => {
    expect(
      rerankerFromEnv({
        MEMLEDGER_RERANKER: "http",
        MEMLEDGER_RERANKER_URL: "http://localhost:8000/v1/rerank",
        MEMLEDGER_RERANKER_MODEL: "BAAI/bge-reranker-v2-m3",
        MEMLEDGER_RERANKER_API_KEY: "k",
        MEMLEDGER_RERANKER_TIMEOUT_MS: "2500",
        MEMLEDGER_RERANK_TOP_N: "50",
      }),
    ).toEqual({ kind: "http", url: "http://localhost:8000/v1/rerank", model: "BAAI/bge-reranker-v2-m3", apiKey: "k", timeoutMs: 2500, topN: 50 });
    expect(rerankerFromEnv({ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_URL: "http://h/v1/rerank", MEMLEDGER_RERANKER_MODEL: "m" })).toEqual({ kind: "http", url: "http://h/v1/rerank", model: "m", topN: 30 });
  });

  it("llm: the chat model, which must be configured", () => {
    expect(configFromEnv({ ...chat, MEMLEDGER_RERANKER: "llm", MEMLEDGER_RERANK_TOP_N: "20" }).reranker).toEqual({ kind: "llm", topN: 20 });
    expect(() => rerankerFromEnv({ MEMLEDGER_RERANKER: "llm" })).toThrow(/MEMLEDGER_RERANKER=llm needs a chat model: set MEMLEDGER_CHAT_MODEL_URL/);
  });

  it.each([
    [{ MEMLEDGER_RERANKER: "cohere" }, /MEMLEDGER_RERANKER must be off or http or llm or onnx, not "cohere"/],
    [{ MEMLEDGER_RERANKER: "onnx" }, /MEMLEDGER_RERANKER=onnx is not available: no package this project can install ships a cross-encoder model/],
    [{ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_MODEL: "m" }, /needs MEMLEDGER_RERANKER_URL: the full rerank endpoint/],
    [{ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_URL: "localhost:8000/rerank", MEMLEDGER_RERANKER_MODEL: "m" }, /must be an http:\/\/ or https:\/\/ URL of the rerank endpoint/],
    [{ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_URL: "http://h/v1/rerank" }, /needs MEMLEDGER_RERANKER_MODEL/],
    [{ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_URL: "http://h/v1/rerank", MEMLEDGER_RERANKER_MODEL: "m", MEMLEDGER_RERANK_TOP_N: "0" }, /MEMLEDGER_RERANK_TOP_N must be a whole number of at least 1/],
    [{ MEMLEDGER_RERANKER: "http", MEMLEDGER_RERANKER_URL: "http://h/v1/rerank", MEMLEDGER_RERANKER_MODEL: "m", MEMLEDGER_RERANK_TOP_N: "1000" }, /MEMLEDGER_RERANK_TOP_N=1000 is more than 200/],
    [{ MEMLEDGER_RERANKER_URL: "http://h/v1/rerank" }, /MEMLEDGER_RERANKER_URL is set but MEMLEDGER_RERANKER is off/],
    [{ ...chat, MEMLEDGER_RERANKER: "llm", MEMLEDGER_RERANKER_MODEL: "m" }, /MEMLEDGER_RERANKER_MODEL is for MEMLEDGER_RERANKER=http/],
  ])("refuses %j with a message saying what to do", (env, message) => {
    expect(() => rerankerFromEnv(env)).toThrow(ConfigError);
    expect(() => rerankerFromEnv(env)).toThrow(message);
  });
});
