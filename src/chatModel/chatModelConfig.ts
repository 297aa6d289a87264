import type { ChatModelPrices } from "./tokenUsage.js";

/** Where the chat model is: an OpenAI-compatible endpoint (from MEMLEDGER_CHAT_MODEL_* variables, see src/config.ts). */
export interface ChatModelConfig {
  readonly kind: "openai";
  /** The API root, ending in /v1. */
  readonly baseURL: string;
  readonly model: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  /** USD per million input/output tokens. */
  readonly prices?: ChatModelPrices;
}
