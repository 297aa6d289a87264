import type { ChatModelPort } from "../chatModel/chatModelPort.js";
import type { Reranker } from "./rerankerPort.js";
import { httpReranker } from "./httpReranker.js";
import { llmReranker } from "./llmReranker.js";
import type { RerankerConfig } from "./rerankerConfig.js";

/** The configured reranker; the LLM one uses the ledger's chat model (so its calls and tokens are metered like any other). */
export function rerankerFromConfig(config: RerankerConfig, chatModel: ChatModelPort | undefined): Reranker {
  if (config.kind === "http") {
    return httpReranker({ url: config.url, model: config.model, ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}), ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}) });
  }
  if (chatModel === undefined) {
    throw new Error("MEMLEDGER_RERANKER=llm needs a chat model: set MEMLEDGER_CHAT_MODEL_URL and MEMLEDGER_CHAT_MODEL (docs/llm.md), or choose MEMLEDGER_RERANKER=http or off");
  }
  return llmReranker(chatModel);
}
