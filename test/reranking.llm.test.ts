import { describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { loadPrompt } from "../src/chatModel/promptLibrary.js";
import { llmReranker, rerankPromptId } from "../src/reranking/llmReranker.js";
import { rerankerContract } from "../src/reranking/reranker.contract.js";
import { lastUserText, startChatCompletionsServer, type ChatCompletionsRequestBody } from "./support/chatCompletionsServer.js";
import { overlapScore } from "./support/rerankServer.js";

/** A scripted model that judges like the prompt asks: 0-10 by how many of the query's words a passage has. */
function judge(broken: { now: boolean }) {
  return (request: ChatCompletionsRequestBody): string => {
    if (broken.now) throw new Error("the model server is down");
    const user = lastUserText(request);
    const query = /^QUERY: (.*)$/m.exec(user)![1]!;
    const passages = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
    return JSON.stringify({ scores: passages.map((p) => ({ index: Number(p[1]), relevance: Math.round(overlapScore(query, p[2]!) * 10) })) });
  };
}

// Against a real local chat-completions server (test/support/chatCompletionsServer.ts).
rerankerContract("llm over the chat model (local chat-completions server)", async () => {
  const broken = { now: false };
  const server = await startChatCompletionsServer({ rules: [{ schemaName: "rerank_scores", text: judge(broken) }] });
  return {
    reranker: llmReranker(openAiChatModel({ baseURL: server.url, model: "scripted", retry: { maxRetries: 0 } })),
    breakBackend: () => (broken.now = true),
    close: () => server.close(),
  };
});

describe("llmReranker", () => {
  it("asks with the versioned prompt at temperature 0, numbering every passage, and leaves a passage the model skipped last", async () => {
    const server = await startChatCompletionsServer({ rules: [{ schemaName: "rerank_scores", json: { scores: [{ index: 1, relevance: 7 }, { index: 9, relevance: 10 }] } }] });
    try {
      const reranker = llmReranker(openAiChatModel({ baseURL: server.url, model: "scripted" }));
      expect(reranker.name).toBe("llm:scripted");
      const scores = await reranker.rerank("where does Ana live", [
        { memoryId: "a", text: "Ana likes tea" },
        { memoryId: "b", text: "Ana lives in\n  Porto" },
      ]);
      // Index 9 names no passage and is ignored; passage 0 was not scored.
      expect(scores).toEqual([-1, 7]);
      const request = server.requests[0]!;
      expect(request.temperature).toBe(0);
      // Bounded: a model decoding under a grammar must not go on listing scores.
      expect(request.max_tokens).toBe(72);
      expect((request.response_format?.json_schema?.schema as { properties: { scores: { maxItems: number } } }).properties.scores.maxItems).toBe(2);
      expect(request.messages[0]).toMatchObject({ role: "system", content: loadPrompt(rerankPromptId).render() });
      expect(lastUserText(request)).toBe("QUERY: where does Ana live\n\nPASSAGES (2):\n[0] Ana likes tea\n[1] Ana lives in Porto");
    } finally {
      await server.close();
    }
  });
});
