import { contentTokens, differingNumbers, isSubset, jaccard, normalizeText } from "./textSimilarity.js";

/** What a decision does with a new unit and its neighbours (mem0's ADD/UPDATE/DELETE/NOOP, with MERGE for both-into-one). */
export const decisionKinds = ["ADD", "UPDATE", "MERGE", "NOOP"] as const;
export type DecisionKind = (typeof decisionKinds)[number];

/** A neighbour found by search, with what the search said about it. */
export interface Candidate {
  readonly memoryId: string;
  readonly text: string;
  /** The search's score (fused, BM25 or similarity: whichever mode ran). */
  readonly score: number;
  /** Cosine similarity of the two embeddings, when vector search ran. */
  readonly cosine?: number;
}

/**
 * The thresholds of the rules (docs/decisions.md says why these values).
 * Jaccard 0.8 on content words: one changed word in a sentence of ten
 * content words still counts; a changed subject or object does not.
 */
export interface RuleThresholds {
  readonly nearDuplicateJaccard: number;
  readonly nearDuplicateCosine: number;
  /** A text contained in another counts only from this many content words: "Alice" is in every sentence about Alice. */
  readonly minTokensForContainment: number;
  /** An old text contained in the new one is an update only if they overlap at least this much (else the new one is a new, longer fact). */
  readonly extendsJaccard: number;
}

export const defaultThresholds: RuleThresholds = { nearDuplicateJaccard: 0.8, nearDuplicateCosine: 0.95, minTokensForContainment: 3, extendsJaccard: 0.5 };

export const ruleNames = ["exact-duplicate", "near-duplicate", "contained-in-existing", "extends-existing"] as const;
export type RuleName = (typeof ruleNames)[number];

/** A rule that fired: what to do, with which existing unit, and the figures that made it fire. */
export interface RuleVerdict {
  readonly decision: Extract<DecisionKind, "NOOP" | "UPDATE">;
  readonly targetId: string;
  readonly rule: RuleName;
  readonly jaccard: number;
  readonly cosine?: number;
  readonly reason: string;
}

/** The figures the rules use for one candidate, kept on the decision as its inputs. */
export interface CandidateFigures {
  readonly memoryId: string;
  readonly score: number;
  readonly jaccard: number;
  readonly cosine?: number;
}

export function figuresOf(newText: string, candidates: readonly Candidate[]): readonly CandidateFigures[] {
  const mine = contentTokens(newText);
  return candidates.map((c) => ({ memoryId: c.memoryId, score: c.score, jaccard: round(jaccard(mine, contentTokens(c.text))), ...(c.cosine !== undefined ? { cosine: round(c.cosine) } : {}) }));
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * The rules, in order, over every candidate; the first candidate (in search
 * order) that a rule fires for wins. Undefined: no rule applies, and the model
 * (or, without one, ADD) decides. A number only one side has blocks NOOP (it would be lost); an UPDATE keeps every old word, numbers too.
 *  1. exact-duplicate: normalised texts are equal → NOOP.
 *  2. extends-existing: every content word (numbers too) of the old text is in the new one,
 *     which adds some (old ≥ minTokens words, Jaccard ≥ extendsJaccard) →
 *     UPDATE: the new text is a fuller version of the same fact. Before the
 *     near-duplicate rule, so one added word is kept, not dropped.
 *  3. contained-in-existing: every content word of the new text is in the old
 *     one (≥ minTokens words) → NOOP: it adds nothing.
 *  4. near-duplicate: content-word Jaccard ≥ threshold, or cosine ≥ threshold
 *     → NOOP: a rewording; the existing unit stays as it is.
 */
export function decideByRule(newText: string, candidates: readonly Candidate[], thresholds: RuleThresholds = defaultThresholds): RuleVerdict | undefined {
  const normalized = normalizeText(newText);
  const mine = contentTokens(newText);
  const scored = candidates.map((c) => {
    const theirs = contentTokens(c.text);
    return { c, theirs, jaccard: round(jaccard(mine, theirs)), numbers: differingNumbers(mine, theirs) };
  });
  const exact = scored.find((s) => normalizeText(s.c.text) === normalized);
  if (exact) return verdict("NOOP", exact, "exact-duplicate", "the normalised text is equal to the existing unit's");
  const extended = scored.find(
    (s) => s.theirs.size >= thresholds.minTokensForContainment && s.jaccard >= thresholds.extendsJaccard && s.jaccard < 1 && isSubset(s.theirs, mine),
  );
  if (extended) return verdict("UPDATE", extended, "extends-existing", `the new text contains every content word of the existing unit and adds to it (Jaccard ${extended.jaccard})`);
  const contained = scored.find((s) => s.numbers.length === 0 && mine.size >= thresholds.minTokensForContainment && isSubset(mine, s.theirs));
  if (contained) return verdict("NOOP", contained, "contained-in-existing", "every content word of the new text is already in the existing unit");
  const near = scored.find(
    (s) => s.numbers.length === 0 && (s.jaccard >= thresholds.nearDuplicateJaccard || (s.c.cosine !== undefined && s.c.cosine >= thresholds.nearDuplicateCosine)),
  );
  if (near) {
    const why = near.jaccard >= thresholds.nearDuplicateJaccard ? `content-word Jaccard ${near.jaccard} ≥ ${thresholds.nearDuplicateJaccard}` : `cosine ${round(near.c.cosine!)} ≥ ${thresholds.nearDuplicateCosine}`;
    return verdict("NOOP", near, "near-duplicate", `${why} and no number differs`);
  }
  return undefined;
}

function verdict(decision: RuleVerdict["decision"], s: { c: Candidate; jaccard: number }, rule: RuleName, reason: string): RuleVerdict {
  return { decision, targetId: s.c.memoryId, rule, jaccard: s.jaccard, ...(s.c.cosine !== undefined ? { cosine: round(s.c.cosine) } : {}), reason };
}
