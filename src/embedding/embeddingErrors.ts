/** The embedder cannot serve at all (model files missing, server unreachable or refusing us); fix the setup, then retry. */
export class EmbedderUnavailable extends Error {
  readonly _tag = "EmbedderUnavailable";
  override readonly name = "EmbedderUnavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The embedder is there but could not embed this input (rejected request, malformed or wrong-sized output). */
export class EmbeddingFailed extends Error {
  readonly _tag = "EmbeddingFailed";
  override readonly name = "EmbeddingFailed";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type EmbeddingError = EmbedderUnavailable | EmbeddingFailed;

/** The innermost error's message: "connect ECONNREFUSED 127.0.0.1:9" says more than the "fetch failed" wrapped around it. */
export function describeCause(cause: unknown): string {
  let innermost = cause;
  while (innermost instanceof Error && innermost.cause !== undefined) innermost = innermost.cause;
  return innermost instanceof Error ? innermost.message : String(innermost);
}
