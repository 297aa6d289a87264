import type { DecisionKind } from "./decisionRules.js";
import type { DecisionStep } from "./decisionEvents.js";

export interface DecisionOutcome {
  readonly decision: DecisionKind;
  readonly newMemoryId: string;
  readonly targetIds: readonly string[];
  /** MERGE only: the unit that holds the combined text. */
  readonly successorId?: string;
  readonly contradicts: readonly string[];
  readonly validUntil?: string;
}

/**
 * The commands that carry out a decision, in the order they run:
 * - ADD: nothing (both stay), apart from closing contradicted facts.
 * - NOOP: the new unit goes `merged` into the existing one.
 * - UPDATE: the existing unit takes the new text as its next version, then the new unit merges into it.
 * - MERGE: the successor is activated, then the new unit and every target merge into it.
 * A contradicted unit that the decision also merges is not closed: its merge already ends it.
 */
export function planDecision(outcome: DecisionOutcome): readonly DecisionStep[] {
  const steps: DecisionStep[] = [];
  const [target] = outcome.targetIds;
  switch (outcome.decision) {
    case "ADD":
      break;
    case "NOOP":
      if (target !== undefined) steps.push({ op: "merge", memoryId: outcome.newMemoryId, successorId: target });
      break;
    case "UPDATE":
      if (target !== undefined) {
        steps.push({ op: "takeText", memoryId: target, fromMemoryId: outcome.newMemoryId });
        steps.push({ op: "merge", memoryId: outcome.newMemoryId, successorId: target });
      }
      break;
    case "MERGE": {
      const successorId = outcome.successorId;
      if (successorId !== undefined) {
        steps.push({ op: "activate", memoryId: successorId });
        for (const id of [outcome.newMemoryId, ...outcome.targetIds]) steps.push({ op: "merge", memoryId: id, successorId });
      }
      break;
    }
  }
  const merged = new Set(steps.filter((s) => s.op === "merge").map((s) => s.memoryId));
  if (outcome.validUntil !== undefined) {
    for (const id of outcome.contradicts) if (!merged.has(id) && id !== outcome.newMemoryId) steps.push({ op: "closeValidity", memoryId: id, validUntil: outcome.validUntil });
  }
  return steps;
}

/** Every unit a plan changes, once, in the order first changed. */
export function unitsChanged(steps: readonly DecisionStep[]): readonly string[] {
  return [...new Set(steps.map((s) => s.memoryId))];
}
