/**
 * A reranker that could not score the candidates (its server down, slow,
 * refusing, or answering something unusable). Search never fails on it: the
 * fused order stands and the response lists the reranker under `degraded`.
 */
export class RerankerUnavailable extends Error {
  readonly _tag = "RerankerUnavailable";
  constructor(
    readonly reranker: string,
    message: string,
    readonly details: { readonly status?: number; readonly calls?: number } = {},
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = "RerankerUnavailable";
  }
}
