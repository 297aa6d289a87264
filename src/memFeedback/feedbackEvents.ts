import type { FeedbackStep } from "./feedbackPlan.js";

/** One stream per plan: the plan, then at most one application and one undo. */
export const feedbackStreamId = (planId: string) => `feedback-${planId}`;

/** A unit a plan changed, and the revision a revert takes it back to. */
export interface FeedbackChange {
  readonly memoryId: string;
  readonly action: FeedbackStep["action"];
  readonly beforeRevision: number;
  readonly afterRevision: number;
}

export interface FeedbackPlanned {
  readonly type: "FeedbackPlanned";
  readonly data: {
    readonly planId: string;
    readonly tenantId: string;
    readonly cubeIds: readonly string[];
    readonly userId?: string;
    /**
     * Whose personal data the correction is: the user named, else the one data subject of the units it
     * changes, else the cube. The stored event seals `text` and each step's `newText` and `reason` with a
     * key of this subject (feedbackWiring.ts), so erasing the subject shreds the plan's words with its units.
     */
    readonly subjectId: string;
    /** The correction in the user's words; "[erased]" once its subject was erased. */
    readonly text: string;
    readonly steps: readonly FeedbackStep[];
    /** The units the model was shown. */
    readonly candidateIds: readonly string[];
    readonly model: string;
    readonly prompt: string;
    /** Set when read back after the subject's key was destroyed. */
    readonly shredded?: boolean;
  };
}

/** Written before the first step runs: the revisions an undo returns to, kept if the apply is interrupted and run again. */
export interface FeedbackApplyStarted {
  readonly type: "FeedbackApplyStarted";
  readonly data: { readonly planId: string; readonly before: readonly { readonly memoryId: string; readonly revision: number }[] };
}

export interface FeedbackApplied {
  readonly type: "FeedbackApplied";
  readonly data: { readonly planId: string; readonly changes: readonly FeedbackChange[] };
}

export interface FeedbackUndone {
  readonly type: "FeedbackUndone";
  readonly data: { readonly planId: string; readonly reverted: readonly string[]; readonly notUndoable: readonly { readonly memoryId: string; readonly why: string }[] };
}

export type FeedbackEvent = FeedbackPlanned | FeedbackApplyStarted | FeedbackApplied | FeedbackUndone;

export const feedbackEventCatalog = {
  FeedbackPlanned: { schemaVersion: 1 },
  FeedbackApplyStarted: { schemaVersion: 1 },
  FeedbackApplied: { schemaVersion: 1 },
  FeedbackUndone: { schemaVersion: 1 },
} as const;

export type FeedbackStatus = "planned" | "applied" | "undone";

/** A plan as shown: its steps, whether it ran, what it changed, what an undo could not give back. */
export interface FeedbackPlanView {
  readonly planId: string;
  readonly cubeIds: readonly string[];
  readonly userId?: string;
  readonly text: string;
  /** True when the plan's subject was erased: its words are gone, its shape (actions, ids) stays. */
  readonly shredded?: boolean;
  readonly status: FeedbackStatus;
  readonly steps: readonly FeedbackStep[];
  /** True when a step erases: apply needs `confirmErase`, and undo cannot give the unit back. */
  readonly hasIrreversibleSteps: boolean;
  readonly candidateIds: readonly string[];
  readonly model: string;
  readonly prompt: string;
  readonly plannedAt: string;
  readonly plannedBy: string;
  readonly changes?: readonly FeedbackChange[];
  readonly appliedAt?: string;
  readonly undone?: FeedbackUndone["data"] & { readonly at: string };
  /** An apply that started and did not finish: the revisions before it, which its rerun keeps. */
  readonly applyStarted?: FeedbackApplyStarted["data"]["before"];
}

/** The plan's stream folded into its view; undefined when the stream holds no plan. */
export function foldFeedback(events: readonly { readonly event: FeedbackEvent; readonly recordedAt: string; readonly actor: string }[]): FeedbackPlanView | undefined {
  let view: FeedbackPlanView | undefined;
  for (const { event, recordedAt, actor } of events) {
    if (event.type === "FeedbackPlanned") {
      const d = event.data;
      view = {
        planId: d.planId,
        cubeIds: d.cubeIds,
        ...(d.userId !== undefined ? { userId: d.userId } : {}),
        text: d.text,
        ...(d.shredded === true ? { shredded: true } : {}),
        status: "planned",
        steps: d.steps,
        hasIrreversibleSteps: d.steps.some((s) => s.irreversible),
        candidateIds: d.candidateIds,
        model: d.model,
        prompt: d.prompt,
        plannedAt: recordedAt,
        plannedBy: actor,
      };
    } else if (view !== undefined && event.type === "FeedbackApplyStarted") {
      view = { ...view, applyStarted: event.data.before };
    } else if (view !== undefined && event.type === "FeedbackApplied") {
      view = { ...view, status: "applied", changes: event.data.changes, appliedAt: recordedAt };
    } else if (view !== undefined && event.type === "FeedbackUndone") {
      view = { ...view, status: "undone", undone: { ...event.data, at: recordedAt } };
    }
  }
  return view;
}
