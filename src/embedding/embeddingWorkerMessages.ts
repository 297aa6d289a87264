import type { EmbeddingPurpose } from "./embedderPort.js";

/** What the main thread and the embedding worker (onnxEmbedderWorker.ts) send each other. */
export interface EmbedRequest {
  readonly id: number;
  readonly texts: readonly string[];
  readonly purpose: EmbeddingPurpose;
}

/** Asks the worker to finish what it is running, release the model and exit. */
export interface CloseRequest {
  readonly close: true;
}

/** An error as it crosses the thread boundary: the typed error's tag and its message. */
export interface WorkerError {
  readonly tag: string;
  readonly message: string;
}

/** The vectors of one request, row after row in one transferred buffer, or why it failed. */
export type EmbedReply = { readonly id: number; readonly vectors: Float32Array } | { readonly id: number; readonly error: WorkerError };

/** The worker's first message: the model loaded (its identity), or why it could not. */
export type WorkerReady = { readonly ready: true; readonly modelId: string; readonly dimensions: number } | { readonly ready: false; readonly error: WorkerError };
