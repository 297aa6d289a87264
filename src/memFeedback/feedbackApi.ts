import type { Resource } from "../../domain/governance/authorize.js";
import type { Action } from "../../domain/governance/permissions.js";
import { cubeNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { feedbackPlanNotFound } from "./feedbackErrors.js";
import type { FeedbackPlanView } from "./feedbackEvents.js";
import type { ApplyOptions, FeedbackOps, FeedbackRequest } from "./feedbackOps.js";

/** MemFeedback on the ledger (docs/feedback-and-preferences.md): corrections in plain words, planned, applied, undone. */
export interface FeedbackApi<Ctx> {
  /** Plans the correction over the caller's units of the cube(s); `dryRun: false` applies it at once. Needs `memory.write` on every cube. */
  correct(cubeId: string, request: FeedbackRequest, ctx?: Ctx): Promise<FeedbackPlanView>;
  get(planId: string): Promise<FeedbackPlanView>;
  /** Runs a planned correction's steps as audited commands; a plan that erases needs `confirmErase: true`. */
  apply(planId: string, options?: ApplyOptions, ctx?: Ctx): Promise<FeedbackPlanView>;
  /** Reverts each unit the plan changed to its revision before it; an erased unit cannot come back, and the answer says so. */
  undo(planId: string, ctx?: Ctx): Promise<FeedbackPlanView>;
}

/** Who calls: the policy gate for a principal, nothing for trusted code. */
export interface FeedbackCaller<Ctx> {
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
  tenantOfCube(cubeId: string): Promise<string | undefined>;
}

/** Written once for the root ledger and a principal's: only the caller differs. */
export function feedbackFacade<Ctx>(ops: FeedbackOps, caller: FeedbackCaller<Ctx>): FeedbackApi<Ctx> {
  const onCube = async (cubeId: string, action: Action, notFound: () => Error) => {
    const owner = await caller.tenantOfCube(cubeId);
    if (owner === undefined) throw notFound();
    await caller.check(action, { tenantId: owner, cubeId }, notFound);
  };
  /** A plan is the caller's to see and run when they may write every cube it looks in; otherwise it is a 404, like one that does not exist. */
  const planFor = async (planId: string) => {
    const plan = await ops.get(planId);
    const hidden = () => feedbackPlanNotFound(planId);
    for (const cubeId of plan.cubeIds) {
      await onCube(cubeId, "memory.write", hidden).catch((error: unknown) => {
        throw (error as { _tag?: string })._tag === "CubeNotFound" ? hidden() : error;
      });
    }
    return plan;
  };
  return {
    correct: async (cubeId, request, options) => {
      for (const id of [...new Set([cubeId, ...(request.cubeIds ?? [])])]) await onCube(id, "memory.write", () => cubeNotFound(id));
      return ops.plan(cubeId, request, caller.ctxOf(options));
    },
    get: planFor,
    apply: async (planId, applyOptions, options) => {
      await planFor(planId);
      return ops.apply(planId, applyOptions ?? {}, caller.ctxOf(options));
    },
    undo: async (planId, options) => {
      await planFor(planId);
      return ops.undo(planId, caller.ctxOf(options));
    },
  };
}
