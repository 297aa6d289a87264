/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): pick, one at a
 * time, the candidate that best balances its relevance against its similarity
 * to what was already picked. lambda = 1 is plain relevance order; lower
 * values push near-duplicates (the same fact remembered twice) down.
 * Candidates without a vector keep their relevance and never count as
 * duplicates of anything.
 */
export interface MmrCandidate<Id> {
  readonly id: Id;
  /** Relevance, any scale; normalised to [0, 1] here. */
  readonly relevance: number;
  readonly vector?: Float32Array;
}

export function maximalMarginalRelevance<Id>(candidates: readonly MmrCandidate<Id>[], take: number, lambda: number): Id[] {
  if (candidates.length === 0 || take <= 0) return [];
  const top = Math.max(...candidates.map((c) => c.relevance));
  const bottom = Math.min(...candidates.map((c) => c.relevance));
  const span = top - bottom || 1;
  const remaining = candidates.map((c) => ({ ...c, normalised: (c.relevance - bottom) / span, maxSimilarity: 0 }));
  const picked: Id[] = [];
  while (picked.length < take && remaining.length > 0) {
    let best = 0;
    let bestScore = -Infinity;
    remaining.forEach((c, i) => {
      const score = lambda * c.normalised - (1 - lambda) * c.maxSimilarity;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    const [chosen] = remaining.splice(best, 1);
    picked.push(chosen!.id);
    if (chosen!.vector) {
      for (const c of remaining) if (c.vector) c.maxSimilarity = Math.max(c.maxSimilarity, dot(c.vector, chosen!.vector));
    }
  }
  return picked;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += a[i]! * b[i]!;
  return sum;
}
