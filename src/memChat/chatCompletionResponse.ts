import { randomUUID } from "node:crypto";
import type { TokenUsage } from "../chatModel/chatModelPort.js";
import type { MemChatAnswer, PreparedChat, RememberOutcome } from "./memChat.js";

/**
 * mem_chat's answers in OpenAI's shapes (chat.completion, and
 * chat.completion.chunk for streaming), each with the `memledger` extension
 * that names the memories the model was given.
 */

export interface MemChatReport {
  /** The memories injected, in the order retrieved. */
  readonly memoryIds: readonly string[];
  readonly cubeIds: readonly string[];
  readonly query: string;
  /** The system prompt's `id@version`. */
  readonly prompt: string;
  readonly remember?: RememberOutcome;
}

export interface OpenAiUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export const completionId = (): string => `chatcmpl-${randomUUID()}`;

export const openAiUsage = (usage: TokenUsage): OpenAiUsage => ({
  prompt_tokens: usage.promptTokens,
  completion_tokens: usage.completionTokens,
  total_tokens: usage.promptTokens + usage.completionTokens,
});

export function memChatReport(prepared: PreparedChat, remember?: RememberOutcome): MemChatReport {
  return {
    memoryIds: prepared.memories.map((m) => m.memoryId),
    cubeIds: prepared.cubeIds,
    query: prepared.query,
    prompt: prepared.prompt,
    ...(remember !== undefined ? { remember } : {}),
  };
}

export function chatCompletion(id: string, created: number, answer: MemChatAnswer, report: MemChatReport) {
  return {
    id,
    object: "chat.completion",
    created,
    model: answer.model,
    choices: [{ index: 0, message: { role: "assistant", content: answer.text }, finish_reason: "stop", logprobs: null }],
    usage: openAiUsage(answer.usage),
    memledger: report,
  };
}

/** mem_chat's whole answer, as `POST /v1/chat/completions` sends it without `stream`. */
export type ChatCompletionAnswer = ReturnType<typeof chatCompletion>;

/** One `chat.completion.chunk`; `extra` adds the usage or the memledger report to it. */
export function chatCompletionChunk(
  id: string,
  created: number,
  model: string,
  choice: { readonly delta: { role?: "assistant"; content?: string }; readonly finishReason: "stop" | null } | undefined,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: choice === undefined ? [] : [{ index: 0, delta: choice.delta, finish_reason: choice.finishReason, logprobs: null }],
    ...extra,
  };
}

/** A Server-Sent Events frame as OpenAI streams them (`data: <json>`, a blank line). */
export const sseFrame = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
export const sseDone = "data: [DONE]\n\n";

const reportSchema = {
  type: "object",
  description: "memledger's extension: the memories the model was given, and what became of remember",
  properties: {
    memoryIds: { type: "array", items: { type: "string" } },
    cubeIds: { type: "array", items: { type: "string" } },
    query: { type: "string" },
    prompt: { type: "string" },
    remember: {
      type: "object",
      description: "the MemReader job of the remembered turns, or why they were not sent (the answer stands)",
      properties: {
        cubeId: { type: "string" },
        jobId: { type: "string" },
        rawMemoryIds: { type: "array", items: { type: "string" } },
        error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
      },
    },
  },
} as const;

const usageSchema = {
  type: "object",
  properties: { prompt_tokens: { type: "integer" }, completion_tokens: { type: "integer" }, total_tokens: { type: "integer" } },
} as const;

export const chatCompletionSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    object: { type: "string", enum: ["chat.completion"] },
    created: { type: "integer" },
    model: { type: "string" },
    choices: {
      type: "array",
      items: {
        type: "object",
        properties: {
          index: { type: "integer" },
          message: { type: "object", properties: { role: { type: "string" }, content: { type: "string" } } },
          finish_reason: { type: "string" },
          logprobs: { type: "null" },
        },
      },
    },
    usage: usageSchema,
    memledger: reportSchema,
  },
} as const;

/** The chunks of a streamed answer (documented as the SSE data of the 200). */
export const chatCompletionChunkSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    object: { type: "string", enum: ["chat.completion.chunk"] },
    created: { type: "integer" },
    model: { type: "string" },
    choices: { type: "array", items: { type: "object", additionalProperties: true } },
    usage: usageSchema,
    memledger: reportSchema,
  },
} as const;
