/** Which reranker reorders the fused top candidates of a search (MEMLEDGER_RERANKER, docs/retrieval.md). */
export type RerankerConfig = HttpRerankerConfig | LlmRerankerConfig;

export interface HttpRerankerConfig {
  readonly kind: "http";
  /** The full endpoint, e.g. http://localhost:8000/v1/rerank (vLLM) or http://localhost:8080/v1/rerank (llama.cpp server). */
  readonly url: string;
  readonly model: string;
  readonly apiKey?: string;
  /** Per call; default 10,000 ms (a search waits for it). */
  readonly timeoutMs?: number;
  readonly topN: number;
}

export interface LlmRerankerConfig {
  /** Scores the candidates with the configured chat model (MEMLEDGER_CHAT_MODEL_*). */
  readonly kind: "llm";
  readonly topN: number;
}

/** How many of the fused candidates a reranker reads: enough to lift a relevant unit from rank 30 to the top 10, few enough to keep search fast. */
export const defaultRerankTopN = 30;
/** A cross-encoder or a model reads every candidate: more than this makes one search cost seconds. */
export const maxRerankTopN = 200;
