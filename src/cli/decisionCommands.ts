import type { Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { decisionModes, type DecisionMode } from "../../domain/memoryDecisions/decisionEvents.js";
import type { DecisionView } from "../../domain/memoryDecisions/decisionLog.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface DecisionCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "decisions">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

const decidedBy = (d: DecisionView) =>
  d.decidedBy.kind === "rule" ? `rule ${d.decidedBy.rule}` : d.decidedBy.kind === "model" ? `model ${d.decidedBy.model}, prompt ${d.decidedBy.prompt}` : `no ${d.decidedBy.why === "no-model" ? "model" : "candidates"}`;

const line = (d: DecisionView) =>
  `${d.decisionId}  ${d.decision.padEnd(6)} ${d.status.padEnd(8)} ${d.memoryId}${d.targetIds.length ? ` -> ${d.targetIds.join(", ")}` : ""}${d.successorId ? ` => ${d.successorId}` : ""}${d.contradicts.length ? ` (closes ${d.contradicts.join(", ")} at ${d.validUntil})` : ""}  [${decidedBy(d)}] ${d.reason}`;

export const formatDecisions = (decisions: readonly DecisionView[]): string => (decisions.length === 0 ? "no decisions" : decisions.map(line).join("\n"));

export const formatDecision = (d: DecisionView): string =>
  [
    line(d),
    `  decided ${d.decidedAt} by job ${d.jobId}${d.settledBy ? `; ${d.status} ${d.settledAt} by ${d.settledBy}` : ""}`,
    ...d.candidates.map((c) => `  candidate ${c.memoryId}  score ${c.score}  jaccard ${c.jaccard}${c.cosine !== undefined ? `  cosine ${c.cosine}` : ""}`),
    ...d.steps.map((s) => `  step ${s.op} ${s.memoryId}${"successorId" in s ? ` -> ${s.successorId}` : ""}${"validUntil" in s ? ` until ${s.validUntil}` : ""}`),
    ...d.changes.map((c) => `  changed ${c.memoryId} (revision before: ${c.beforeRevision < 0 ? "created by the decision" : c.beforeRevision})`),
  ].join("\n");

/** `memledger decisions list|show|revert|accept|reject|mode`. */
export function registerDecisionCommands(program: Command, host: DecisionCliHost): void {
  const decisions = program.command("decisions").description("merge and conflict decisions on ingested units: list, explain, revert, accept or reject proposals, the cube's mode");

  host
    .leaf(decisions, "list", "the cube's decisions, oldest first, with their reasons")
    .requiredOption("--cube <cubeId>", "the cube")
    .action((o: { cube: string }, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.decisions.list(o.cube), formatDecisions)));

  host
    .leaf(decisions, "show <decisionId>", "one decision with its inputs (candidates and scores, rule or model and prompt) and what it changed")
    .action((decisionId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.decisions.get(decisionId), formatDecision)));

  for (const [action, help] of [
    ["revert", "undo an applied decision: its units go back to their revisions before it"],
    ["accept", "run a proposed decision"],
    ["reject", "drop a proposed decision; nothing changes"],
  ] as const) {
    host
      .leaf(decisions, `${action} <decisionId>`, help)
      .action((decisionId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.decisions[action](decisionId, ctx), formatDecision)));
  }

  host
    .leaf(decisions, "mode <cubeId> [mode]", `show the cube's decision mode, or set it (${decisionModes.join(", ")})`)
    .action((cubeId: string, mode: string | undefined, _o: unknown, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        if (mode !== undefined && !decisionModes.includes(mode as DecisionMode)) throw new Error(`mode must be one of ${decisionModes.join(", ")}, not ${mode}`);
        const view = mode === undefined ? await ledger.decisions.mode(cubeId) : await ledger.decisions.setMode(cubeId, mode as DecisionMode, ctx);
        print(view, (v) => `cube ${v.cubeId}: decisions ${v.mode}`);
      }),
    );
}
