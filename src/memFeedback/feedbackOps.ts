import type { Hold } from "../../domain/legalHold/holdState.js";
import type { HeldUnit } from "../../domain/legalHold/holdState.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { MemoryEdit } from "../memory/memoryService.js";
import type { SearchRequest, SearchResponse } from "../search/searchRequest.js";
import type { ChatModelPort } from "../chatModel/chatModelPort.js";
import { ChatModelNotConfigured } from "../chatModel/chatModelErrors.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";
import { invalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { legalHoldActive } from "../holdCheck/legalHoldErrors.js";
import { feedbackPlanConflict, feedbackPlanNotFound, feedbackPlanRejected } from "./feedbackErrors.js";
import { foldFeedback, type FeedbackChange, type FeedbackEvent, type FeedbackPlanView } from "./feedbackEvents.js";
import { checkPlan, proposedPlanSchema, type FeedbackStep, type ProposedPlan, type UnitFacts } from "./feedbackPlan.js";

export const feedbackPromptId = "memfeedback.plan";
export const feedbackComponent = "feedback";
/** Units the model is shown: enough to find what a sentence is about, few enough for one prompt. */
const candidateCount = 12;
const maxTextChars = 2_000;

/** A correction as asked: the cube(s) it is about and, optionally, whose units. */
export interface FeedbackRequest {
  readonly text: string;
  readonly userId?: string;
  /** Further cubes to look in besides the one named. */
  readonly cubeIds?: readonly string[];
  /** Default true: only the plan, nothing written. */
  readonly dryRun?: boolean;
  /** Needed to apply a plan with an erase step (erasure cannot be undone). */
  readonly confirmErase?: boolean;
}

export interface ApplyOptions {
  readonly confirmErase?: boolean;
}

/** The part of the trusted root ledger a plan's steps run through (structural, so this folder does not import the facade above it). */
export interface FeedbackRootApi {
  readonly memories: {
    get(memoryId: string): Promise<MemoryView>;
    edit(memoryId: string, edit: MemoryEdit, ctx?: CommandContext): Promise<MemoryView>;
    merge(memoryId: string, successorId: string, ctx?: CommandContext): Promise<MemoryView>;
    archive(memoryId: string, ctx?: CommandContext): Promise<MemoryView>;
    erase(memoryId: string, ctx?: CommandContext): Promise<MemoryView>;
    revert(memoryId: string, toRevision: number, ctx?: CommandContext): Promise<MemoryView>;
  };
  search(request: SearchRequest): Promise<SearchResponse>;
}

/** What the feedback operations need from the rest of the ledger (trusted: the facade checks first). */
export interface FeedbackPorts {
  /** A function: the root ledger hands itself over while it is being built. */
  root(): FeedbackRootApi;
  chatModel(): Promise<ChatModelPort | undefined>;
  append(planId: string, cubeId: string, event: FeedbackEvent, ctx: CommandContext): Promise<void>;
  read(planId: string): Promise<readonly { readonly event: FeedbackEvent; readonly recordedAt: string; readonly actor: string }[]>;
  holdsOn(tenantId: string, unit: HeldUnit): Promise<readonly Hold[]>;
  newId(): string;
}

export interface FeedbackOps {
  plan(cubeId: string, request: FeedbackRequest, ctx: CommandContext): Promise<FeedbackPlanView>;
  get(planId: string): Promise<FeedbackPlanView>;
  apply(planId: string, options: ApplyOptions, ctx: CommandContext): Promise<FeedbackPlanView>;
  undo(planId: string, ctx: CommandContext): Promise<FeedbackPlanView>;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isMissing = (error: unknown) => ["MemoryNotFound", "CubeNotFound"].includes((error as { _tag?: string })._tag ?? "");

const factsOf = (view: MemoryView): UnitFacts => ({ memoryId: view.memoryId, cubeId: view.cubeId, status: view.status, ...(view.content?.userId !== undefined ? { userId: view.content.userId } : {}) });

/**
 * MemFeedback (docs/feedback-and-preferences.md): a correction in plain words
 * becomes a checked plan recorded as an event; applying it runs each step as
 * an ordinary audited command carrying the model, the prompt and the
 * correction; undoing it reverts each changed unit to its revision before.
 */
export function feedbackOps(ports: FeedbackPorts): FeedbackOps {
  const root = {
    get memories() {
      return ports.root().memories;
    },
    search: (request: Parameters<ReturnType<FeedbackPorts["root"]>["search"]>[0]) => ports.root().search(request),
  };

  const viewOf = async (planId: string): Promise<FeedbackPlanView> => {
    const view = foldFeedback(await ports.read(planId));
    if (view === undefined) throw feedbackPlanNotFound(planId);
    return view;
  };

  const unitsNamed = async (plan: ProposedPlan, shown: ReadonlyMap<string, MemoryView>) => {
    const ids = new Set(plan.steps.flatMap((s) => [s.memoryId, ...(typeof s.successorId === "string" && s.successorId !== "" ? [s.successorId] : [])]));
    const facts = new Map<string, UnitFacts>();
    for (const id of ids) {
      const known = shown.get(id) ?? (await root.memories.get(id).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error))));
      if (known !== undefined) facts.set(id, factsOf(known));
    }
    return facts;
  };

  /** A hold on any unit a step changes refuses the plan, naming the hold, before anything is shown as doable. */
  const refuseHeld = async (tenantId: string, steps: readonly FeedbackStep[], subjects: ReadonlyMap<string, string | undefined>) => {
    for (const step of steps) {
      const holds = await ports.holdsOn(tenantId, { memoryId: step.memoryId, cubeId: step.cubeId, ...(subjects.get(step.memoryId) !== undefined ? { subjectId: subjects.get(step.memoryId)! } : {}) });
      if (holds.length > 0) throw legalHoldActive(step.memoryId, step.action, holds);
    }
  };

  const runStep = async (step: FeedbackStep, ctx: CommandContext): Promise<MemoryView> => {
    switch (step.action) {
      case "edit":
        return root.memories.edit(step.memoryId, { content: { text: step.newText ?? "" } }, ctx);
      case "merge":
        return root.memories.merge(step.memoryId, step.successorId ?? "", ctx);
      case "archive":
        return root.memories.archive(step.memoryId, ctx);
      case "erase":
        return root.memories.erase(step.memoryId, ctx);
    }
  };

  const apply = async (planId: string, options: ApplyOptions, ctx: CommandContext): Promise<FeedbackPlanView> => {
    const plan = await viewOf(planId);
    if (plan.status !== "planned") throw feedbackPlanConflict(planId, plan.status, `feedback plan ${planId} is already ${plan.status}; a plan is applied once (make a new one for a new correction)`);
    if (plan.hasIrreversibleSteps && options.confirmErase !== true) {
      const erased = plan.steps.filter((s) => s.irreversible).map((s) => s.memoryId);
      throw feedbackPlanConflict(planId, plan.status, `feedback plan ${planId} erases ${erased.join(", ")}, which cannot be undone; apply it again with confirmErase: true if that is meant`);
    }
    // The reason names the plan, never the correction's words: event metadata is not sealed, and erasure must reach them.
    const provenance: CommandContext = { ...ctx, reason: ctx.reason ?? `feedback plan ${planId}`, automation: { component: feedbackComponent, model: plan.model, prompt: plan.prompt } };
    // The revisions before the plan are recorded first: an apply interrupted between steps and run again keeps them,
    // so its undo still returns each unit to where it was before the plan, not to where the first run left it.
    let before = plan.applyStarted;
    if (before === undefined) {
      before = await Promise.all(plan.steps.map(async (step) => ({ memoryId: step.memoryId, revision: (await root.memories.get(step.memoryId)).revision })));
      await ports.append(planId, plan.cubeIds[0]!, { type: "FeedbackApplyStarted", data: { planId, before } }, provenance);
    }
    const changes: FeedbackChange[] = [];
    for (const [i, step] of plan.steps.entries()) {
      // The command id makes a retried apply change nothing twice.
      const after = await runStep(step, { ...provenance, commandId: `feedback:${planId}:${i}` });
      const beforeRevision = before.find((b) => b.memoryId === step.memoryId)?.revision ?? after.revision - 1;
      changes.push({ memoryId: step.memoryId, action: step.action, beforeRevision, afterRevision: after.revision });
    }
    await ports.append(planId, plan.cubeIds[0]!, { type: "FeedbackApplied", data: { planId, changes } }, provenance);
    return viewOf(planId);
  };

  return {
    plan: async (cubeId, request, ctx) => {
      const text = request.text.trim();
      if (text === "") throw invalidRequest("text", "the correction is empty; say what is wrong, e.g. \"I moved to Lyon, not Paris\"");
      if (text.length > maxTextChars) throw invalidRequest("text", `the correction has ${text.length} characters; at most ${maxTextChars}`);
      const model = await ports.chatModel();
      if (model === undefined) throw new ChatModelNotConfigured("feedback (turning a correction into a plan)");
      const cubeIds = [...new Set([cubeId, ...(request.cubeIds ?? [])])];
      const found = await root.search({ query: text, cubeIds, topK: candidateCount, graphHops: 0, filters: { statuses: ["activated"], ...(request.userId !== undefined ? { userId: request.userId } : {}) } });
      const shown = new Map(found.results.filter((hit) => hit.memory.content !== null).map((hit) => [hit.memory.memoryId, hit.memory]));
      const prompt = loadPrompt(feedbackPromptId);
      const memories = [...shown.values()].map((m) => JSON.stringify({ id: m.memoryId, text: m.content?.text ?? "" })).join("\n");
      const answer = await model
        .completeStructured<ProposedPlan>({
          messages: [
            { role: "system", content: prompt.render() },
            { role: "user", content: `Correction:\n${JSON.stringify(text)}\n\nMemories (one JSON object per line):\n${memories}` },
          ],
          schemaName: "feedback_plan",
          schema: proposedPlanSchema,
          temperature: 0,
        })
        .catch((error: unknown) => {
          if ((error as { _tag?: string })._tag !== undefined) throw error;
          throw new Error(`the chat model could not plan the correction: ${describe(error)}`);
        });
      const checked = checkPlan(answer.value, await unitsNamed(answer.value, shown), cubeIds, request.userId);
      if (!checked.ok) throw feedbackPlanRejected(checked.problems);
      const subjects = new Map<string, string | undefined>();
      for (const step of checked.steps) subjects.set(step.memoryId, (shown.get(step.memoryId) ?? (await root.memories.get(step.memoryId))).subjectId);
      await refuseHeld(ctx.tenantId, checked.steps, subjects);
      const planId = ports.newId();
      const stepSubjects = [...new Set([...subjects.values()].filter((subject): subject is string => subject !== undefined))];
      const subjectId = request.userId ?? (stepSubjects.length === 1 ? stepSubjects[0]! : `cube:${cubeId}`);
      await ports.append(
        planId,
        cubeId,
        {
          type: "FeedbackPlanned",
          data: { planId, tenantId: ctx.tenantId, cubeIds, ...(request.userId !== undefined ? { userId: request.userId } : {}), subjectId, text, steps: checked.steps, candidateIds: [...shown.keys()], model: answer.model, prompt: prompt.ref },
        },
        { ...ctx, automation: { component: feedbackComponent, model: answer.model, prompt: prompt.ref } },
      );
      if (request.dryRun === false) return apply(planId, { confirmErase: request.confirmErase ?? false }, ctx);
      return viewOf(planId);
    },
    get: viewOf,
    apply,
    undo: async (planId, ctx) => {
      const plan = await viewOf(planId);
      if (plan.status !== "applied") throw feedbackPlanConflict(planId, plan.status, `feedback plan ${planId} is ${plan.status}; only an applied plan can be undone`);
      const undoCtx: CommandContext = { ...ctx, reason: ctx.reason ?? `undo of feedback plan ${planId}`, automation: { component: feedbackComponent, model: plan.model, prompt: plan.prompt } };
      const reverted: string[] = [];
      const notUndoable: { memoryId: string; why: string }[] = [];
      // A plan has one step per unit (checkPlan), so each revert returns a unit to exactly its state before the plan.
      for (const [i, change] of (plan.changes ?? []).entries()) {
        if (change.action === "erase") {
          notUndoable.push({ memoryId: change.memoryId, why: "it was erased (its content key destroyed); an erasure cannot be undone" });
          continue;
        }
        const now = await root.memories.get(change.memoryId);
        if (now.revision > change.beforeRevision) await root.memories.revert(change.memoryId, change.beforeRevision, { ...undoCtx, commandId: `feedback:${planId}:undo:${i}` });
        reverted.push(change.memoryId);
      }
      await ports.append(planId, plan.cubeIds[0]!, { type: "FeedbackUndone", data: { planId, reverted, notUndoable } }, undoCtx);
      return viewOf(planId);
    },
  };
}
