/**
 * What a text is embedded as. Asymmetric models (bge, e5) embed a search query
 * differently from the passage it should find (an instruction or "query: "
 * prefix); symmetric ones (all-MiniLM-L6-v2) treat both alike.
 */
export type EmbeddingPurpose = "query" | "passage";

/**
 * Turns texts into vectors. One port, several adapters (local ONNX model,
 * OpenAI-compatible server), one contract test (embedder.contract.ts).
 *
 * Plain Promises: adapters are wrapped into Effect at the application edge.
 */
export interface Embedder {
  /**
   * Identifies the vector space of passages; vectors from different ids must never be compared or share a cache entry.
   * It covers whatever changes a passage's vector (model, pooling, passage prefix), not the query prefix: queries are never cached on disk.
   */
  readonly modelId: string;
  readonly dimensions: number;
  /**
   * One L2-normalised vector of `dimensions` per text, in input order.
   * An empty array gives an empty array; an empty string gives a valid vector.
   * `purpose` defaults to "passage" (memory contents); search queries pass "query".
   * Rejects with EmbedderUnavailable or EmbeddingFailed (embeddingErrors.ts).
   */
  embed(texts: readonly string[], purpose?: EmbeddingPurpose): Promise<Float32Array[]>;
  close(): Promise<void>;
}
