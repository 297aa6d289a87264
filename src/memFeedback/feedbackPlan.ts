import type { JsonSchemaObject } from "../chatModel/chatModelPort.js";

export const feedbackActions = ["edit", "merge", "archive", "erase"] as const;
export type FeedbackAction = (typeof feedbackActions)[number];

/** One step as the model proposes it (the prompt prompts/memfeedback.plan.md asks for this shape). */
export interface ProposedStep {
  readonly action: FeedbackAction;
  readonly memoryId: string;
  readonly newText?: string | null;
  readonly successorId?: string | null;
  readonly reason: string;
}

export interface ProposedPlan {
  readonly steps: readonly ProposedStep[];
}

/** A checked step: what apply will run. Erasure is the one step apply cannot take back. */
export interface FeedbackStep {
  readonly action: FeedbackAction;
  readonly memoryId: string;
  readonly cubeId: string;
  readonly newText?: string;
  readonly successorId?: string;
  readonly reason: string;
  readonly irreversible: boolean;
}

export const proposedPlanSchema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  required: ["steps"],
  properties: {
    steps: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["action", "memoryId", "newText", "successorId", "reason"],
        properties: {
          action: { type: "string", enum: [...feedbackActions] },
          memoryId: { type: "string" },
          newText: { type: ["string", "null"] },
          successorId: { type: ["string", "null"] },
          reason: { type: "string" },
        },
      },
    },
  },
};

/** What a step's check needs to know of a unit. */
export interface UnitFacts {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly status: string;
  readonly userId?: string;
}

export interface StepProblem {
  readonly step: number;
  readonly memoryId: string;
  readonly problem: string;
}

export type CheckedPlan = { readonly ok: true; readonly steps: readonly FeedbackStep[] } | { readonly ok: false; readonly problems: readonly StepProblem[] };

const maxReason = 500;
const changeable = new Set(["activated", "generated", "archived"]);

/**
 * Every step of the model's plan, checked before anything is shown or run: it
 * names a unit that exists, in one of the cubes asked, of the user asked (when
 * one is), that can still change; an edit brings text, a merge a successor
 * that passes the same checks. One bad step rejects the whole plan: a partial
 * correction is not what the user asked for.
 */
export function checkPlan(plan: ProposedPlan, units: ReadonlyMap<string, UnitFacts>, cubeIds: readonly string[], userId: string | undefined): CheckedPlan {
  const problems: StepProblem[] = [];
  const steps: FeedbackStep[] = [];
  const unitProblem = (id: string): string | undefined => {
    const unit = units.get(id);
    if (unit === undefined) return `no memory ${id} exists`;
    if (!cubeIds.includes(unit.cubeId)) return `memory ${id} is in cube ${unit.cubeId}, not in the cube(s) asked (${cubeIds.join(", ")})`;
    if (userId !== undefined && unit.userId !== userId) return `memory ${id} is not user ${userId}'s`;
    if (!changeable.has(unit.status)) return `memory ${id} is ${unit.status} and cannot change`;
    return undefined;
  };
  const seen = new Set<string>();
  plan.steps.forEach((step, i) => {
    const fail = (problem: string) => problems.push({ step: i, memoryId: step.memoryId, problem });
    const own = unitProblem(step.memoryId);
    if (own !== undefined) return fail(own);
    if (seen.has(step.memoryId)) return fail(`memory ${step.memoryId} has more than one step`);
    seen.add(step.memoryId);
    const newText = typeof step.newText === "string" ? step.newText.trim() : "";
    if (step.action === "edit" && newText === "") return fail("an edit needs the corrected text (newText)");
    const successorId = typeof step.successorId === "string" && step.successorId !== "" ? step.successorId : undefined;
    if (step.action === "merge") {
      if (successorId === undefined) return fail("a merge needs the unit to keep (successorId)");
      if (successorId === step.memoryId) return fail("a unit cannot be merged into itself");
      const other = unitProblem(successorId);
      if (other !== undefined) return fail(`successor: ${other}`);
    }
    steps.push({
      action: step.action,
      memoryId: step.memoryId,
      cubeId: units.get(step.memoryId)!.cubeId,
      ...(step.action === "edit" ? { newText } : {}),
      ...(step.action === "merge" && successorId !== undefined ? { successorId } : {}),
      reason: step.reason.slice(0, maxReason),
      irreversible: step.action === "erase",
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, steps };
}
