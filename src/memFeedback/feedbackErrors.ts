import { Data } from "effect";
import type { StepProblem } from "./feedbackPlan.js";

/** 404: no plan with this id in the caller's tenant (or in a cube the caller cannot see). */
export class FeedbackPlanNotFound extends Data.TaggedError("FeedbackPlanNotFound")<{ readonly planId: string; readonly message: string }> {}
export const feedbackPlanNotFound = (planId: string) =>
  new FeedbackPlanNotFound({ planId, message: `feedback plan ${planId} does not exist; POST /cubes/{cubeId}/feedback with dryRun: true makes one and answers its planId` });

/** 422: the model's plan named units it may not change; nothing was recorded or written. */
export class FeedbackPlanRejected extends Data.TaggedError("FeedbackPlanRejected")<{ readonly problems: readonly StepProblem[]; readonly message: string }> {}
export const feedbackPlanRejected = (problems: readonly StepProblem[]) =>
  new FeedbackPlanRejected({
    problems,
    message: `the plan for this correction was rejected, nothing was written: ${problems.map((p) => `step ${p.step} (${p.memoryId}): ${p.problem}`).join("; ")}; rephrase the correction or change the units by hand`,
  });

/** 409: the plan is not in a state that allows this (apply twice, undo before apply, erase without confirmation). */
export class FeedbackPlanConflict extends Data.TaggedError("FeedbackPlanConflict")<{ readonly planId: string; readonly status: string; readonly message: string }> {}
export const feedbackPlanConflict = (planId: string, status: string, message: string) => new FeedbackPlanConflict({ planId, status, message });
