/**
 * How alike two memory texts are, without a model: normalised text equality
 * and token-set overlap. Pure, so the rules that use it can be tested with
 * properties and replayed exactly.
 */

/** Words so common they say nothing about which fact a sentence states. */
const stopWords = new Set([
  "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "to", "of", "in", "on", "at", "and", "or", "it", "its",
  "that", "this", "for", "with", "as", "by", "very", "really", "much", "so", "also", "just", "does", "do", "did", "has", "have", "had",
]);

/** Unicode-compatible, case-folded, punctuation dropped, whitespace collapsed: "Alice  likes TEA!" and "alice likes tea" are equal. */
export function normalizeText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The distinct words of a text that carry meaning (stop words left out). */
export function contentTokens(text: string): ReadonlySet<string> {
  return new Set(normalizeText(text).split(" ").filter((token) => token !== "" && !stopWords.has(token)));
}

/** |A ∩ B| / |A ∪ B|; two empty sets are equal (1). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const token of a) if (b.has(token)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Every token of `inner` is in `outer`. */
export function isSubset(inner: ReadonlySet<string>, outer: ReadonlySet<string>): boolean {
  for (const token of inner) if (!outer.has(token)) return false;
  return true;
}

/** Tokens with a digit that only one side has: "room 4" vs "room 5" state different facts however alike the rest is. */
export function differingNumbers(a: ReadonlySet<string>, b: ReadonlySet<string>): readonly string[] {
  const hasDigit = (token: string) => /\p{N}/u.test(token);
  return [...[...a].filter((t) => hasDigit(t) && !b.has(t)), ...[...b].filter((t) => hasDigit(t) && !a.has(t))];
}
