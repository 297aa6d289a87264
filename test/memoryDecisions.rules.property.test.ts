import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideByRule, defaultThresholds, type Candidate } from "../domain/memoryDecisions/decisionRules.js";
import { contentTokens, jaccard, normalizeText } from "../domain/memoryDecisions/textSimilarity.js";
import { foldDecisionLog } from "../domain/memoryDecisions/decisionLog.js";
import { planDecision } from "../domain/memoryDecisions/planDecision.js";
import { rankStillValidFirst } from "../domain/memoryDecisions/factValidity.js";

const word = fc.stringMatching(/^[a-z]{3,8}$/);
const sentence = fc.array(word, { minLength: 1, maxLength: 12 }).map((ws) => ws.join(" "));
/** The same words with other case, punctuation and spacing. */
const restyled = (text: string, seed: number) =>
  text
    .split(" ")
    .map((w, i) => ((seed >> i) & 1 ? w.toUpperCase() : w))
    .join(seed % 2 ? "  " : " ") + (seed % 3 === 0 ? "!" : ".");
const candidate = (memoryId: string, text: string, score = 1): Candidate => ({ memoryId, text, score });

describe("merge decision rules (properties)", () => {
  it("the same words in another case, punctuation or spacing are an exact duplicate of the candidate: NOOP into it", () => {
    fc.assert(
      fc.property(sentence, fc.nat(1 << 12), fc.array(sentence, { maxLength: 4 }), (text, seed, others) => {
        const candidates = [...others.filter((o) => normalizeText(o) !== normalizeText(text)).map((o, i) => candidate(`other-${i}`, o)), candidate("same", restyled(text, seed))];
        const verdict = decideByRule(text, candidates);
        expect(verdict?.decision).toBe("NOOP");
        expect(verdict?.targetId).toBe("same");
      }),
    );
  });

  it("with no candidate no rule fires; a fired rule always names a candidate it was given", () => {
    fc.assert(
      fc.property(sentence, fc.array(sentence, { maxLength: 5 }), (text, others) => {
        expect(decideByRule(text, [])).toBeUndefined();
        const candidates = others.map((o, i) => candidate(`c${i}`, o));
        const verdict = decideByRule(text, candidates);
        if (verdict !== undefined) expect(candidates.map((c) => c.memoryId)).toContain(verdict.targetId);
      }),
    );
  });

  it("a number only one side has blocks every rule: room 4 is not room 5", () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 3, maxLength: 10 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), (words, a, b) => {
        fc.pre(a !== b);
        const old = `${words.join(" ")} ${a}`;
        const next = `${words.join(" ")} ${b}`;
        expect(decideByRule(next, [candidate("old", old)])).toBeUndefined();
        expect(decideByRule(`${next} extra words here`, [candidate("old", old)])).toBeUndefined();
      }),
    );
  });

  it("a text that only adds words to an existing one (≥ 3 content words, overlap ≥ 0.5) updates it; one whose words are all in the existing one adds nothing", () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 4, maxLength: 10 }), fc.uniqueArray(word, { minLength: 1, maxLength: 3 }), (base, extra) => {
        const baseTokens = contentTokens(base.join(" "));
        const added = extra.filter((w) => !baseTokens.has(w) && contentTokens(w).size === 1);
        fc.pre(baseTokens.size >= 3 && added.length > 0 && added.length <= baseTokens.size);
        const longer = [...base, ...added].join(" ");
        expect(decideByRule(longer, [candidate("old", base.join(" "))])?.decision).toBe("UPDATE");
        expect(decideByRule(base.join(" "), [candidate("old", longer)])).toMatchObject({ decision: "NOOP", rule: "contained-in-existing" });
      }),
    );
  });

  it("Jaccard is symmetric, between 0 and 1, and 1 exactly for equal token sets", () => {
    fc.assert(
      fc.property(sentence, sentence, (a, b) => {
        const [ta, tb] = [contentTokens(a), contentTokens(b)];
        expect(jaccard(ta, tb)).toBe(jaccard(tb, ta));
        expect(jaccard(ta, tb)).toBeGreaterThanOrEqual(0);
        expect(jaccard(ta, tb)).toBeLessThanOrEqual(1);
        expect(jaccard(ta, ta)).toBe(1);
      }),
    );
  });

  it("below the near-duplicate threshold and with words on both sides, two different facts are left to the model", () => {
    // "Alice lives in Paris" / "Alice lives in Lyon": Jaccard 0.5, neither contains the other.
    expect(decideByRule("Alice lives in Lyon", [candidate("paris", "Alice lives in Paris")])).toBeUndefined();
    expect(jaccard(contentTokens("Alice lives in Lyon"), contentTokens("Alice lives in Paris"))).toBeLessThan(defaultThresholds.nearDuplicateJaccard);
  });

  it("a plan merges the new unit for NOOP and UPDATE, merges every part for MERGE, and never closes a unit it merges", () => {
    fc.assert(
      fc.property(fc.constantFrom("ADD", "UPDATE", "MERGE", "NOOP" as const), fc.uniqueArray(fc.stringMatching(/^t[0-9]$/), { minLength: 1, maxLength: 3 }), (decision, targets) => {
        const steps = planDecision({ decision, newMemoryId: "new", targetIds: decision === "MERGE" ? targets : targets.slice(0, 1), successorId: "succ", contradicts: targets, validUntil: "2026-01-01T00:00:00Z" });
        const merged = steps.filter((s) => s.op === "merge").map((s) => s.memoryId);
        const closed = steps.filter((s) => s.op === "closeValidity").map((s) => s.memoryId);
        expect(closed.filter((id) => merged.includes(id))).toEqual([]);
        if (decision === "ADD") expect(merged).toEqual([]);
        else expect(merged).toContain("new");
        if (decision === "MERGE") expect(new Set(merged)).toEqual(new Set(["new", ...targets]));
      }),
    );
  });

  it("ranking keeps every item, still-valid ones first, each group in its order", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 1, max: 28 }), { nil: undefined })), (days) => {
        const items = days.map((d, i) => ({ i, metadata: d === undefined ? {} : { validUntil: `2026-02-${String(d).padStart(2, "0")}T00:00:00Z` } }));
        const ranked = rankStillValidFirst(items, (x) => x.metadata, "2026-02-15T00:00:00Z");
        expect(ranked.map((x) => x.i).sort((a, b) => a - b)).toEqual(items.map((x) => x.i));
        const firstExpired = ranked.findIndex((x) => "validUntil" in x.metadata && Date.parse(x.metadata.validUntil!) <= Date.parse("2026-02-15T00:00:00Z"));
        if (firstExpired >= 0) expect(ranked.slice(firstExpired).every((x) => "validUntil" in x.metadata && Date.parse(x.metadata.validUntil!) <= Date.parse("2026-02-15T00:00:00Z"))).toBe(true);
      }),
    );
  });

  it("the log folds to the last mode and each decision's latest status", () => {
    const record = { decisionId: "d1", cubeId: "c", memoryId: "m", decision: "NOOP" as const, targetIds: ["t"], contradicts: [], reason: "r", decidedBy: { kind: "rule" as const, rule: "exact-duplicate" as const }, candidates: [], jobId: "j", steps: [] };
    const log = foldDecisionLog([
      { event: { type: "DecisionModeSet", data: { cubeId: "c", mode: "propose" } }, recordedAt: "t0", actor: "a" },
      { event: { type: "MemoryDecisionProposed", data: record }, recordedAt: "t1", actor: "system:dedupe" },
      { event: { type: "MemoryDecisionAccepted", data: { decisionId: "d1", changes: [{ memoryId: "m", beforeRevision: 1 }] } }, recordedAt: "t2", actor: "principal:bob" },
    ]);
    expect(log.mode).toBe("propose");
    expect(log.decisions[0]).toMatchObject({ status: "applied", changes: [{ memoryId: "m", beforeRevision: 1 }], settledBy: "principal:bob", decidedAt: "t1" });
  });
});
