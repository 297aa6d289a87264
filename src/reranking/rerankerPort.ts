/**
 * An optional second opinion on the top candidates (a cross-encoder, an LLM
 * judge, a hosted rerank API). Scores are higher-is-better; the search sorts
 * the reranked candidates by them and reports them among the score parts.
 */
export interface Reranker {
  readonly name: string;
  rerank(query: string, candidates: readonly { readonly memoryId: string; readonly text: string }[]): Promise<readonly number[]>;
}
