import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatModelPort, JsonSchemaObject } from "./chatModelPort.js";

/**
 * What every ChatModelPort adapter must do, loose enough for a 135M-parameter
 * model: answer with text, with a usage count, structured answers that
 * validate, and a stream whose pieces add up to its final text. An adapter
 * backed by a script must answer the prompts below (see
 * test/chatModel.openAi.test.ts for the rules that do).
 */
export const contractSchema: JsonSchemaObject = {
  type: "object",
  properties: { city: { type: "string" }, confidence: { type: "number" } },
  required: ["city", "confidence"],
  additionalProperties: false,
};
export const contractSchemaName = "contract_city";
export const contractPrompts = {
  plain: "Say hello in one short sentence.",
  structured: "Alice said: I moved to Lyon last year. Which city does Alice live in? Give the city and your confidence from 0 to 1.",
  streamed: "Count from one to five in words.",
} as const;

export function chatModelContract(adapterName: string, makeModel: () => Promise<{ model: ChatModelPort; close?: () => Promise<void> }>, timeoutMs = 60_000): void {
  describe(`ChatModelPort contract: ${adapterName}`, () => {
    let model: ChatModelPort;
    let close: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ model, close } = await makeModel());
    }, 600_000);
    afterAll(async () => {
      await close?.();
    });

    it("completes a chat with text, the model's name, a usage count and the calls made", async () => {
      const answer = await model.complete({ messages: [{ role: "user", content: contractPrompts.plain }], maxTokens: 16 });
      expect(answer.text.trim().length).toBeGreaterThan(0);
      expect(answer.model.length).toBeGreaterThan(0);
      expect(answer.calls).toBeGreaterThanOrEqual(1);
      expect(answer.usage.promptTokens).toBeGreaterThan(0);
      expect(answer.usage.completionTokens).toBeGreaterThan(0);
    }, timeoutMs);

    it("answers structured requests with a value that matches the schema", async () => {
      const answer = await model.completeStructured<{ city: string; confidence: number }>({
        messages: [{ role: "user", content: contractPrompts.structured }],
        schemaName: contractSchemaName,
        schema: contractSchema,
        maxTokens: 48,
      });
      expect(typeof answer.value.city).toBe("string");
      expect(typeof answer.value.confidence).toBe("number");
      expect(Object.keys(answer.value).sort()).toEqual(["city", "confidence"]);
      expect(answer.calls).toBeGreaterThanOrEqual(1);
      expect(answer.usage.promptTokens).toBeGreaterThan(0);
    }, timeoutMs);

    it("streams text whose pieces add up to the final answer, then reports totals", async () => {
      const stream = model.stream({ messages: [{ role: "user", content: contractPrompts.streamed }], maxTokens: 16 });
      const pieces: string[] = [];
      for await (const piece of stream) pieces.push(piece);
      const done = await stream.done;
      expect(pieces.length).toBeGreaterThan(0);
      expect(pieces.join("")).toBe(done.text);
      expect(done.calls).toBeGreaterThanOrEqual(1);
      expect(done.usage.completionTokens).toBeGreaterThan(0);
    }, timeoutMs);
  });
}
