import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatUsageMeter } from "../src/chatModel/chatUsageMeter.js";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { ChatModelAnswerInvalid } from "../src/chatModel/chatModelErrors.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";

/** A job's usage report: every call through the meter summed, failed structured answers included. */
describe("chat usage meter", () => {
  let server: ChatCompletionsServer;
  beforeAll(async () => {
    server = await startChatCompletionsServer({
      modelName: "scripted-2025",
      rules: [
        { schemaName: "ok", json: { n: 1 }, usage: { promptTokens: 100, completionTokens: 10 } },
        { schemaName: "never", text: "no JSON here", usage: { promptTokens: 50, completionTokens: 5 } },
        { text: "streamed answer", usage: { promptTokens: 20, completionTokens: 4 } },
      ],
    });
  });
  afterAll(() => server.close());

  it("sums tokens, cost and calls over complete, structured (failed ones too) and streamed calls", async () => {
    const meter = chatUsageMeter(openAiChatModel({ baseURL: server.url, model: "scripted", repairRounds: 1, prices: { inputPerMillion: 1, outputPerMillion: 10 } }));
    const schema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };
    await meter.model.completeStructured({ messages: [{ role: "user", content: "a" }], schemaName: "ok", schema });
    await expect(meter.model.completeStructured({ messages: [{ role: "user", content: "b" }], schemaName: "never", schema })).rejects.toBeInstanceOf(ChatModelAnswerInvalid);
    const stream = meter.model.stream({ messages: [{ role: "user", content: "c" }] });
    for await (const _ of stream) void _;
    await stream.done;
    const report = meter.report();
    // 1 call (ok) + 2 calls (never: the answer and one repair) + 1 stream
    expect(report).toEqual({ model: "scripted-2025", promptTokens: 100 + 2 * 50 + 20, completionTokens: 10 + 2 * 5 + 4, costUsd: expect.any(Number), calls: 4 });
    expect(report.costUsd).toBeCloseTo((220 * 1 + 24 * 10) / 1e6, 12);
  });

  it("reports no cost without prices, and nothing before any call", async () => {
    const meter = chatUsageMeter(openAiChatModel({ baseURL: server.url, model: "scripted" }));
    expect(meter.report()).toEqual({ model: "scripted", promptTokens: 0, completionTokens: 0, calls: 0 });
    await meter.model.complete({ messages: [{ role: "user", content: "x" }] });
    expect(meter.report()).toEqual({ model: "scripted-2025", promptTokens: 20, completionTokens: 4, calls: 1 });
  });
});
