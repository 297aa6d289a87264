import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerMetrics } from "../src/metrics/ledgerMetrics.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { tempLedger } from "./support/tempLedger.js";

const value = async (metrics: LedgerMetrics, name: string, labels: Record<string, string> = {}): Promise<number> => {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l)).reduce((sum, v) => sum + v.value, 0);
};

/** Chat model calls, tokens and spend, through the OpenAI-compatible adapter against a real local chat-completions server. */
describe("chat model metrics", () => {
  let server: ChatCompletionsServer;
  beforeAll(async () => {
    server = await startChatCompletionsServer({ rules: [{ user: "fail", status: 400 }, { text: "pong", usage: { promptTokens: 1_000, completionTokens: 500 } }] });
  });
  afterAll(async () => server.close());

  it("counts calls by outcome, tokens by direction and the cost at the configured prices", async () => {
    const metrics = new LedgerMetrics({ processMetrics: false });
    const t = await tempLedger({
      telemetry: { metrics },
      chatModel: { kind: "openai", baseURL: server.url, model: "scripted", prices: { inputPerMillion: 2, outputPerMillion: 8 } },
    });
    try {
      const model = (await t.ledger.chatModel())!;
      expect((await model.complete({ messages: [{ role: "user", content: "ping" }] })).text).toBe("pong");
      await expect(model.complete({ messages: [{ role: "user", content: "fail" }] })).rejects.toBeDefined();
      expect(await value(metrics, "memledger_chat_model_calls_total", { operation: "complete", outcome: "ok" })).toBe(1);
      expect(await value(metrics, "memledger_chat_model_calls_total", { operation: "complete", outcome: "failed" })).toBe(1);
      expect(await value(metrics, "memledger_chat_model_tokens_total", { direction: "input" })).toBe(1_000);
      expect(await value(metrics, "memledger_chat_model_tokens_total", { direction: "output" })).toBe(500);
      expect(await value(metrics, "memledger_chat_model_cost_usd_total")).toBeCloseTo(0.002 + 0.004, 9);
    } finally {
      await t.dispose();
    }
  });
});
