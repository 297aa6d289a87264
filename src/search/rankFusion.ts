/**
 * Reciprocal rank fusion (Cormack et al., 2009): each retriever votes
 * 1 / (k + rank) for the items it ranked. Ranks, not raw scores, are fused,
 * because BM25, cosine similarity and graph path counts live on unrelated
 * scales; k = 60 is the constant from the paper and damps the top ranks.
 */
export const rrfK = 60;

export interface RankedList<Id> {
  readonly name: string;
  /** Best first. */
  readonly ids: readonly Id[];
  /** Weight of this retriever's votes; 1 by default. */
  readonly weight?: number;
}

export interface FusedItem<Id> {
  readonly id: Id;
  readonly score: number;
  /** 1-based rank of the item in each list that has it. */
  readonly ranks: Readonly<Record<string, number>>;
}

export function reciprocalRankFusion<Id>(lists: readonly RankedList<Id>[], k = rrfK): FusedItem<Id>[] {
  const fused = new Map<Id, { score: number; ranks: Record<string, number> }>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    list.ids.forEach((id, i) => {
      const entry = fused.get(id) ?? { score: 0, ranks: {} };
      if (entry.ranks[list.name] !== undefined) return;
      entry.ranks[list.name] = i + 1;
      entry.score += weight / (k + i + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.entries()]
    .map(([id, { score, ranks }]) => ({ id, score, ranks }))
    .sort((a, b) => b.score - a.score);
}
