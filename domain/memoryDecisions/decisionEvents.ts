import type { CandidateFigures, DecisionKind, RuleName } from "./decisionRules.js";

/** Whether decisions run by themselves (`auto`), wait for a person (`propose`), or do not run (`off`). */
export const decisionModes = ["auto", "propose", "off"] as const;
export type DecisionMode = (typeof decisionModes)[number];
export const defaultDecisionMode: DecisionMode = "auto";

/** What decided: a rule (no model), the chat model with a prompt version, or the fallback when neither could. */
export type DecidedBy =
  | { readonly kind: "rule"; readonly rule: RuleName }
  | { readonly kind: "model"; readonly model: string; readonly prompt: string }
  | { readonly kind: "fallback"; readonly why: "no-candidates" | "no-model" };

/**
 * One command a decision runs. No step carries memory text: text is personal
 * data and lives only in units (encrypted, shreddable). A MERGE's combined
 * text is written into its successor unit, created `generated` when the
 * decision is only proposed.
 */
export type DecisionStep =
  /** UPDATE: the target takes the new unit's text as its next version. */
  | { readonly op: "takeText"; readonly memoryId: string; readonly fromMemoryId: string }
  /** The unit goes `merged` with this successor (lineage). */
  | { readonly op: "merge"; readonly memoryId: string; readonly successorId: string }
  /** MERGE: the successor, already written as a generated unit, is activated. */
  | { readonly op: "activate"; readonly memoryId: string }
  /** A contradicted fact stays, with its validity closed (`metadata.validUntil`). */
  | { readonly op: "closeValidity"; readonly memoryId: string; readonly validUntil: string };

/** A unit a decision changed and the revision it had before: what a revert returns it to. */
export interface DecisionChange {
  readonly memoryId: string;
  /** -1: the decision created it (a MERGE's successor); a revert archives it. */
  readonly beforeRevision: number;
}

/** Everything that explains a decision: which unit, what was decided, from which inputs, by what. */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly cubeId: string;
  /** The new unit the decision was about. */
  readonly memoryId: string;
  readonly decision: DecisionKind;
  /** The existing units it acts on (empty for a plain ADD). */
  readonly targetIds: readonly string[];
  /** MERGE: the unit holding the combined text. */
  readonly successorId?: string;
  /** Existing facts the new one contradicts: their validity is closed, they are not deleted. */
  readonly contradicts: readonly string[];
  readonly validUntil?: string;
  readonly reason: string;
  readonly decidedBy: DecidedBy;
  /** The neighbours found, their search scores and similarity figures. */
  readonly candidates: readonly CandidateFigures[];
  readonly jobId: string;
  readonly steps: readonly DecisionStep[];
}

export type MemoryDecisionMade = { readonly type: "MemoryDecisionMade"; readonly data: DecisionRecord & { readonly changes: readonly DecisionChange[] } };
export type MemoryDecisionProposed = { readonly type: "MemoryDecisionProposed"; readonly data: DecisionRecord };
export type MemoryDecisionAccepted = { readonly type: "MemoryDecisionAccepted"; readonly data: { readonly decisionId: string; readonly changes: readonly DecisionChange[] } };
export type MemoryDecisionRejected = { readonly type: "MemoryDecisionRejected"; readonly data: { readonly decisionId: string } };
export type MemoryDecisionReverted = {
  readonly type: "MemoryDecisionReverted";
  readonly data: { readonly decisionId: string; readonly reverted: readonly { readonly memoryId: string; readonly toRevision?: number; readonly archived?: true }[] };
};
export type DecisionModeSet = { readonly type: "DecisionModeSet"; readonly data: { readonly cubeId: string; readonly mode: DecisionMode } };

export type DecisionEvent = MemoryDecisionMade | MemoryDecisionProposed | MemoryDecisionAccepted | MemoryDecisionRejected | MemoryDecisionReverted | DecisionModeSet;

export const decisionEventCatalog = {
  MemoryDecisionMade: { schemaVersion: 1 },
  MemoryDecisionProposed: { schemaVersion: 1 },
  MemoryDecisionAccepted: { schemaVersion: 1 },
  MemoryDecisionRejected: { schemaVersion: 1 },
  MemoryDecisionReverted: { schemaVersion: 1 },
  DecisionModeSet: { schemaVersion: 1 },
} as const satisfies Record<DecisionEvent["type"], { schemaVersion: number }>;

/** A cube's decisions and its decision mode, in one stream. */
export const decisionStreamId = (cubeId: string): string => `decisions-${cubeId}`;
