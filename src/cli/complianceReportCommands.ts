import { Option, type Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { toCsv } from "../compliance/reportCsv.js";
import { reportColumns, type Paging, type ReportName } from "../compliance/reportsApi.js";
import { formatJson } from "./format.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface ComplianceReportCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(cmd: Command, work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "reports">; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>): Promise<void>;
}

interface Common {
  format?: "json" | "csv";
  after?: string;
  limit?: string;
  from?: string;
  to?: string;
}

const pagingOf = (o: Common): Paging => ({ ...(o.after !== undefined ? { after: o.after } : {}), ...(o.limit !== undefined ? { limit: Number(o.limit) } : {}) });
const periodOf = (o: Common) => ({ ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}) });

/** `memledger report changes | reads | lineage | knowledge | erasures | subject | grants`: compliance reports, JSON or CSV. */
export function registerComplianceReportCommands(program: Command, host: ComplianceReportCliHost): void {
  const report = program.command("report").description("compliance reports of the tenant (needs report.read): JSON or --format csv, paged with --after/--limit");
  const paged = (cmd: Command) =>
    cmd
      .addOption(new Option("--format <format>", "json or csv").choices(["json", "csv"]).default("json"))
      .option("--after <cursor>", "the `next` cursor of the previous page")
      .option("--limit <n>", "rows per page (1-1000, default 100)");
  const periodic = (cmd: Command) => paged(cmd).option("--from <time>", "ISO-8601, inclusive").option("--to <time>", "ISO-8601, inclusive");
  // CSV carries the next cursor on stderr-free stdout as a trailing comment would break parsers: it goes in a last line only in JSON.
  const emit = (name: ReportName, o: Common, cmd: Command, run: (ledger: Pick<LedgerApi<RequestOptions>, "reports">) => Promise<{ rows: readonly object[]; next?: string }>) =>
    host.withLedger(cmd, async ({ ledger, print }) => {
      const page = await run(ledger);
      if (o.format === "csv") print(page, (p) => toCsv(reportColumns[name], p.rows).trimEnd());
      else print(page, formatJson);
    });

  periodic(host.leaf(report, "changes", "change log: every event by actor, cube, memory, type, period (never content)"))
    // Not --actor: every command already has --actor (who acts, in-process); this one filters.
    .option("--by <actor>", "only events written by this actor, e.g. principal:alice or system:retention")
    .option("--cube <cubeId>")
    .option("--memory <memoryId>")
    .option("--type <eventType>")
    .action((o: Common & { by?: string; cube?: string; memory?: string; type?: string }, cmd: Command) =>
      emit("changeLog", o, cmd, (l) =>
        l.reports.changeLog({ ...periodOf(o), ...(o.by ? { actor: o.by } : {}), ...(o.cube ? { cubeId: o.cube } : {}), ...(o.memory ? { memoryId: o.memory } : {}), ...(o.type ? { type: o.type } : {}) }, pagingOf(o)),
      ),
    );
  periodic(host.leaf(report, "reads", "read log: who read a memory (--memory) or what a principal read (--principal)"))
    .option("--memory <memoryId>")
    .option("--principal <principalId>")
    .action((o: Common & { memory?: string; principal?: string }, cmd: Command) =>
      emit("readLog", o, cmd, (l) => l.reports.readLog((o.memory !== undefined ? { ...periodOf(o), memoryId: o.memory } : { ...periodOf(o), principalId: o.principal ?? "" }) as never, pagingOf(o))),
    );
  paged(host.leaf(report, "lineage <memoryId>", "sources, versions, merges, branches and derived units of a memory")).action((memoryId: string, o: Common, cmd: Command) =>
    emit("lineage", o, cmd, (l) => l.reports.lineage(memoryId, pagingOf(o))),
  );
  paged(host.leaf(report, "knowledge <cubeId> <at>", "what the agent knew at <at>: units, versions, content hashes"))
    .option("--evidence", "the whole answer as evidence JSON (request, log position, digest)")
    .action((cubeId: string, at: string, o: Common & { evidence?: boolean }, cmd: Command) =>
      o.evidence
        ? host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.reports.knowledgeEvidence(cubeId, at), formatJson))
        : emit("knowledge", o, cmd, (l) => l.reports.knowledgeAt(cubeId, at, pagingOf(o))),
    );
  periodic(host.leaf(report, "erasures", "erasure register: subject and memory erasure certificates in a period")).action((o: Common, cmd: Command) =>
    emit("erasures", o, cmd, (l) => l.reports.erasures(periodOf(o), pagingOf(o))),
  );
  paged(host.leaf(report, "subject <subjectId>", "access report: every read of the subject's units (CSV: --section reads) and every change of their data (--section changes)"))
    .addOption(new Option("--section <section>", "with --format csv").choices(["reads", "changes"]).default("reads"))
    .action((subjectId: string, o: Common & { section: "reads" | "changes" }, cmd: Command) =>
      o.format === "csv"
        ? emit(o.section === "changes" ? "changeLog" : "readLog", o, cmd, async (l) => (await l.reports.subjectAccess(subjectId, { [o.section]: pagingOf(o) }))[o.section])
        : host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.reports.subjectAccess(subjectId, { reads: pagingOf(o), changes: pagingOf(o) }), formatJson)),
    );
  paged(host.leaf(report, "grants", "principals, roles, groups and cube grants as of --at (now by default)"))
    .option("--at <time>")
    .action((o: Common & { at?: string }, cmd: Command) => emit("grants", o, cmd, (l) => l.reports.grants(o.at, pagingOf(o))));
}
