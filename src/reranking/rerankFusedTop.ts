import type { Reranker } from "./rerankerPort.js";

/** What one rerank cost: the search response reports it, the metric `memledger_reranker_duration_seconds` counts it. */
export interface RerankCost {
  readonly reranker: string;
  /** Candidates the reranker read (the fused top N). */
  readonly candidates: number;
  readonly ms: number;
}

export type RerankResult =
  | { readonly outcome: "reranked"; readonly order: readonly string[]; readonly scores: ReadonlyMap<string, number>; readonly cost: RerankCost }
  | { readonly outcome: "failed"; readonly order: readonly string[]; readonly error: unknown; readonly cost: RerankCost };

/**
 * Reorders the first `topN` of `order` by the reranker's scores; the rest keep
 * their fused order below them. A reranker that fails or answers with the
 * wrong number of scores leaves the whole order as it was: a second opinion
 * must never cost the search its first one.
 */
export async function rerankFusedTop(
  reranker: Reranker,
  query: string,
  order: readonly string[],
  textOf: (memoryId: string) => string,
  topN: number,
  now: () => number = () => performance.now(),
): Promise<RerankResult> {
  const head = order.slice(0, topN);
  const startedAt = now();
  const cost = () => ({ reranker: reranker.name, candidates: head.length, ms: Math.round((now() - startedAt) * 100) / 100 });
  try {
    const scores = await reranker.rerank(
      query,
      head.map((memoryId) => ({ memoryId, text: textOf(memoryId) })),
    );
    if (scores.length !== head.length || scores.some((s) => typeof s !== "number" || Number.isNaN(s))) {
      throw new Error(`reranker ${reranker.name} returned ${scores.length} scores for ${head.length} candidates (or a score that is not a number)`);
    }
    const byId = new Map(head.map((id, i) => [id, scores[i]!]));
    // Array.prototype.sort is stable: ties keep their fused order.
    const reranked = [...head].sort((a, b) => byId.get(b)! - byId.get(a)!);
    return { outcome: "reranked", order: [...reranked, ...order.slice(topN)], scores: byId, cost: cost() };
  } catch (error) {
    return { outcome: "failed", order, error, cost: cost() };
  }
}
