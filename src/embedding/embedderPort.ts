/**
 * Turns texts into vectors. One port, several adapters (local ONNX model,
 * OpenAI-compatible server), one contract test (embedder.contract.ts).
 *
 * Plain Promises: adapters are wrapped into Effect at the application edge.
 */
export interface Embedder {
  /** Identifies the vector space; vectors from different ids must never be compared or share a cache entry. */
  readonly modelId: string;
  readonly dimensions: number;
  /**
   * One L2-normalised vector of `dimensions` per text, in input order.
   * An empty array gives an empty array; an empty string gives a valid vector.
   * Rejects with EmbedderUnavailable or EmbeddingFailed (embeddingErrors.ts).
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
