import type { ChatModelPort, JsonSchemaObject } from "../chatModel/chatModelPort.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";
import type { Reranker } from "./rerankerPort.js";
import { RerankerUnavailable } from "./rerankerErrors.js";

export const rerankPromptId = "search.rerank";

/** A passage longer than this is cut: the model judges relevance from the start, and tokens cost. */
const maxPassageChars = 1_000;

interface RerankAnswer {
  readonly scores: readonly { readonly index: number; readonly relevance: number }[];
}

/** The answer's schema for n candidates: at most n scores, so a model decoding under a grammar cannot go on listing. */
const rerankAnswerSchema = (n: number): JsonSchemaObject => ({
  type: "object",
  additionalProperties: false,
  required: ["scores"],
  properties: {
    scores: {
      type: "array",
      maxItems: n,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["index", "relevance"],
        properties: { index: { type: "integer", minimum: 0 }, relevance: { type: "number", minimum: 0, maximum: 10 } },
      },
    },
  },
});

/** About 20 tokens per score ({"index":12,"relevance":7.5},) and some slack: an answer never needs more. */
const answerTokens = (n: number) => 32 + 20 * n;

export interface LlmRerankerOptions {
  /** Aborts a call that takes longer (a search is waiting); default 30,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * The Reranker port over the chat model: one structured call per search scores
 * every candidate from 0 to 10 (pointwise scores, asked for in one list so the
 * model sees the candidates side by side). The prompt is prompts/search.rerank.md.
 * A candidate the model leaves out ranks below the ones it scored.
 */
export function llmReranker(chatModel: ChatModelPort, options: LlmRerankerOptions = {}): Reranker {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const name = `llm:${chatModel.model}`;
  return {
    name,
    async rerank(query, candidates) {
      if (candidates.length === 0) return [];
      const prompt = loadPrompt(rerankPromptId);
      const passages = candidates.map((c, i) => `[${i}] ${c.text.replace(/\s+/g, " ").slice(0, maxPassageChars)}`).join("\n");
      let answer: RerankAnswer;
      try {
        answer = (
          await chatModel.completeStructured<RerankAnswer>({
            messages: [
              { role: "system", content: prompt.render() },
              { role: "user", content: `QUERY: ${query}\n\nPASSAGES (${candidates.length}):\n${passages}` },
            ],
            schemaName: "rerank_scores",
            schema: rerankAnswerSchema(candidates.length),
            maxTokens: answerTokens(candidates.length),
            temperature: 0,
            signal: AbortSignal.timeout(timeoutMs),
          })
        ).value;
      } catch (cause) {
        throw new RerankerUnavailable(name, `the chat model ${chatModel.model} could not rerank ${candidates.length} candidates (${cause instanceof Error ? cause.message : String(cause)}); search goes on in fused order`, {}, { cause });
      }
      const scores = new Array<number>(candidates.length).fill(-1);
      for (const { index, relevance } of answer.scores) {
        if (Number.isInteger(index) && index >= 0 && index < candidates.length && Number.isFinite(relevance)) scores[index] = relevance;
      }
      return scores;
    },
  };
}
