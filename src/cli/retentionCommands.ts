import type { Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { PlannedAction, SkippedUnit } from "../../domain/retention/planRetention.js";
import type { RetentionPolicy, RetentionRule } from "../../domain/retention/retentionPolicy.js";
import type { MemoryType } from "../../domain/memory/memoryContent.js";
import type { RetentionDryRun, RetentionPolicyView, RetentionRunReport } from "../retention/retentionApi.js";
import { repeatable } from "./parse.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface RetentionCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "retention">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

const stepNames = { archive: "archiveAfterDays", freeze: "freezeAfterDays", erase: "eraseAfterDays" } as const;

/** `raw_source:erase=30` or `long_term:archive=90,freeze=365` → a rule. */
export function parseRule(text: string): RetentionRule {
  // The steps follow the last colon (a custom type has one of its own: custom:chat:erase=30).
  const at = text.lastIndexOf(":");
  const [memoryType, steps] = at > 0 && text.slice(at + 1).includes("=") ? [text.slice(0, at), text.slice(at + 1)] : [text, ""];
  const rule: Record<string, unknown> = { memoryType: memoryType as MemoryType | "*" };
  for (const step of steps.split(",").filter((s) => s !== "")) {
    const [name, days] = step.split("=");
    const field = stepNames[name as keyof typeof stepNames];
    if (field === undefined || days === undefined || !/^\d+(\.\d+)?$/.test(days)) throw new Error(`--rule ${text}: each step is archive=<days>, freeze=<days> or erase=<days>`);
    rule[field] = Number(days);
  }
  return rule as unknown as RetentionRule;
}

const describeRule = (r: RetentionRule) =>
  `${r.memoryType}: ${[r.archiveAfterDays !== undefined ? `archive after ${r.archiveAfterDays} d` : "", r.freezeAfterDays !== undefined ? `freeze after ${r.freezeAfterDays} d` : "", r.eraseAfterDays !== undefined ? `erase after ${r.eraseAfterDays} d` : ""].filter(Boolean).join(", ")}`;

export const formatPolicy = (view: RetentionPolicyView): string =>
  [`cube ${view.cubeId}: retention policy (revision ${view.revision}, set ${view.setAt} by ${view.setBy}), swept every ${view.policy.sweepEveryHours ?? 24} h`, ...view.policy.rules.map((r) => `  ${describeRule(r)}`)].join("\n");

const formatSteps = (actions: readonly PlannedAction[], skipped: readonly SkippedUnit[]) => [
  ...actions.map((a) => `  ${a.action.padEnd(7)} ${a.memoryId}  ${a.why}`),
  ...skipped.map((s) => `  skip    ${s.memoryId}  (${s.action}) ${s.why}`),
];

export const formatDryRun = (plan: RetentionDryRun): string =>
  [`cube ${plan.cubeId}: a sweep at ${plan.at} would ${plan.actions.length === 0 ? "do nothing" : `change ${plan.actions.length} unit(s)`}${plan.skipped.length ? `, skip ${plan.skipped.length}` : ""} (dry run: nothing written)`, ...formatSteps(plan.actions, plan.skipped)].join("\n");

export const formatRuns = (runs: readonly RetentionRunReport[]): string =>
  runs.length === 0
    ? "no sweep has run"
    : runs
        .flatMap((r) => [
          `sweep ${r.jobId} at ${r.at} (policy revision ${r.policyRevision}): ${r.actions.length} changed, ${r.skipped.length} skipped, ${r.failed.length} failed; next ${r.nextRunAt ?? "none"}`,
          ...formatSteps(r.actions, r.skipped),
          ...r.failed.map((f) => `  failed  ${f.memoryId}  (${f.action}) ${f.error}`),
        ])
        .join("\n");

interface PolicyOptions {
  rule: string[];
  everyHours?: string;
}

const policyOf = (o: PolicyOptions): RetentionPolicy => ({
  rules: o.rule.map(parseRule),
  ...(o.everyHours !== undefined ? { sweepEveryHours: Number(o.everyHours) } : {}),
});

/** `memledger retention set|show|remove|dry-run|runs`. */
export function registerRetentionCommands(program: Command, host: RetentionCliHost): void {
  const retention = program.command("retention").description("retention policies: archive, freeze or erase units of a memory type after N days unchanged");
  const ruleHelp = "a rule, repeatable: <memoryType|*>:archive=<days>,freeze=<days>,erase=<days> (e.g. raw_source:erase=30)";

  host
    .leaf(retention, "set <cubeId>", "set or replace the cube's policy (tenant_admin, data_protection_officer); sweeps start at once")
    .requiredOption("--rule <rule>", ruleHelp, repeatable)
    .option("--every-hours <hours>", "hours between sweeps (default 24)")
    .action((cubeId: string, o: PolicyOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.retention.setPolicy(cubeId, policyOf(o), ctx), formatPolicy)),
    );

  host
    .leaf(retention, "show <cubeId>", "the cube's retention policy")
    .action((cubeId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.retention.getPolicy(cubeId), formatPolicy)));

  host
    .leaf(retention, "remove <cubeId>", "remove the cube's policy; its sweeps stop")
    .action((cubeId: string, _o: unknown, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.retention.removePolicy(cubeId, ctx), (r) => `cube ${r.cubeId}: retention policy removed`)),
    );

  host
    .leaf(retention, "dry-run <cubeId>", "what a sweep would do now, under the stored policy or the --rule(s) given; writes nothing")
    .option("--rule <rule>", ruleHelp, repeatable)
    .option("--every-hours <hours>", "hours between sweeps")
    .action((cubeId: string, o: Partial<PolicyOptions>, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) =>
        print(await ledger.retention.dryRun(cubeId, o.rule !== undefined ? policyOf({ rule: o.rule, ...(o.everyHours !== undefined ? { everyHours: o.everyHours } : {}) }) : undefined), formatDryRun),
      ),
    );

  host
    .leaf(retention, "runs <cubeId>", "the reports of the cube's sweeps")
    .action((cubeId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.retention.runs(cubeId), formatRuns)));
}
