import type { Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { FeedbackPlanView } from "../memFeedback/feedbackEvents.js";
import type { ProfileEntry, UserProfile } from "../preferences/userProfile.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface FeedbackCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "feedback" | "preferences">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

export const formatFeedbackPlan = (p: FeedbackPlanView): string =>
  [
    `plan ${p.planId}  ${p.status}  cubes ${p.cubeIds.join(", ")}${p.userId ? `  user ${p.userId}` : ""}  [model ${p.model}, prompt ${p.prompt}]`,
    `  correction: ${p.text}`,
    ...(p.steps.length === 0 ? ["  no step: the model found nothing this correction changes"] : []),
    ...p.steps.map((s) => `  ${s.action.padEnd(7)} ${s.memoryId}${s.newText !== undefined ? ` -> "${s.newText}"` : ""}${s.successorId !== undefined ? ` into ${s.successorId}` : ""}${s.irreversible ? "  (IRREVERSIBLE)" : ""}  ${s.reason}`),
    ...(p.changes ?? []).map((c) => `  changed ${c.memoryId}: revision ${c.beforeRevision} -> ${c.afterRevision}`),
    ...(p.undone ? [`  undone ${p.undone.at}: reverted ${p.undone.reverted.join(", ") || "nothing"}`, ...p.undone.notUndoable.map((n) => `  not undone ${n.memoryId}: ${n.why}`)] : []),
    ...(p.status === "planned" ? [`  apply: memledger feedback apply ${p.planId}${p.hasIrreversibleSteps ? " --confirm-erase" : ""}`] : []),
  ].join("\n");

const entryLine = (e: ProfileEntry) => `  ${e.text}  (confidence ${e.confidence}${e.key ? `, key ${e.key}` : ""}; ${e.memoryId}; evidence ${e.evidenceIds.join(", ") || "none"})`;

export const formatProfile = (p: UserProfile): string =>
  [
    `profile of ${p.userId} in cube ${p.cubeId}`,
    "explicit preferences:",
    ...(p.preferences.explicit.length ? p.preferences.explicit.map(entryLine) : ["  none"]),
    "implicit preferences:",
    ...(p.preferences.implicit.length ? p.preferences.implicit.map(entryLine) : ["  none"]),
    "persona:",
    ...(p.persona.length ? p.persona.map(entryLine) : ["  none"]),
  ].join("\n");

/** `memledger feedback "<text>" --cube <id> [--apply]`, `feedback show|apply|undo`, `memledger profile --cube --user`, `memledger preferences infer`. */
export function registerFeedbackCommands(program: Command, host: FeedbackCliHost): void {
  const feedback = host
    .leaf(program, "feedback [text]", "a correction in plain words (\"I moved to Lyon, not Paris\") becomes a plan of changes to memories: a dry run unless --apply; show, apply and undo plans")
    .option("--cube <cubeId>", "the cube the correction is about")
    .option("--user <userId>", "only this user's memories")
    .option("--apply", "apply the plan at once instead of showing it")
    .option("--confirm-erase", "with --apply: allow the plan's erasures (they cannot be undone)");
  feedback.action((text: string | undefined, o: { cube?: string; user?: string; apply?: boolean; confirmErase?: boolean }, cmd: Command) =>
    host.withLedger(cmd, async ({ ledger, ctx, print }) => {
      if (text === undefined || o.cube === undefined) throw new Error('give the correction and the cube: memledger feedback --cube <cubeId> "<text>"');
      const plan = await ledger.feedback.correct(o.cube, { text, ...(o.user !== undefined ? { userId: o.user } : {}), dryRun: o.apply !== true, ...(o.confirmErase ? { confirmErase: true } : {}) }, ctx);
      print(plan, formatFeedbackPlan);
    }),
  );
  host
    .leaf(feedback, "show <planId>", "a plan, whether it was applied or undone, what it changed")
    .action((planId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.feedback.get(planId), formatFeedbackPlan)));
  host
    .leaf(feedback, "apply <planId>", "apply a planned correction")
    .option("--confirm-erase", "allow the plan's erasures (they cannot be undone)")
    .action((planId: string, o: { confirmErase?: boolean }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.feedback.apply(planId, { confirmErase: o.confirmErase === true }, ctx), formatFeedbackPlan)),
    );
  host
    .leaf(feedback, "undo <planId>", "undo an applied correction (erasures cannot be undone)")
    .action((planId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.feedback.undo(planId, ctx), formatFeedbackPlan)));

  host
    .leaf(program, "profile", "a user's explicit and implicit preferences and persona, with confidence and evidence")
    .requiredOption("--cube <cubeId>", "the cube")
    .requiredOption("--user <userId>", "the user")
    .action((o: { cube: string; user: string }, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.preferences.profile(o.cube, o.user), formatProfile)));

  const preferences = program.command("preferences").description("preference memory: infer a user's implicit preferences");
  host
    .leaf(preferences, "infer", "enqueue a preferences.infer job for the user (a chat model must be configured)")
    .requiredOption("--cube <cubeId>", "the cube")
    .requiredOption("--user <userId>", "the user")
    .action((o: { cube: string; user: string }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.preferences.infer(o.cube, o.user, ctx), (job) => `job ${job.jobId} (${job.kind}) ${job.status}`)),
    );
}
