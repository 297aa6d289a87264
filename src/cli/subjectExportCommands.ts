import { Option, type Command } from "commander";
import { writeFileSync } from "node:fs";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { exportAllPages } from "../subjectExport/exportAllPages.js";
import { renderExportSummary } from "../subjectExport/exportSummary.js";
import { maxExportPageSize, type SubjectExportDocument } from "../subjectExport/subjectExportDocument.js";
import { formatJson } from "./format.js";
import { positiveIntegerUpTo } from "./parse.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface SubjectExportCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "subjects">; readonly settings: { readonly json: boolean }; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

interface ExportOptions {
  format?: "json" | "summary";
  out?: string;
  after?: string;
  limit?: number;
}

/** A file name the subject id cannot steer outside the working directory. */
const defaultFileOf = (subjectId: string) => `subject-export-${subjectId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;

/** `memledger subject export <subjectId>`: GDPR art. 15 / 20 access export, written as JSON and summarized. */
export function registerSubjectExportCommands(subject: Command, host: SubjectExportCliHost): void {
  host
    .leaf(subject, "export <subjectId>", "export a data subject's memories, every version, who read and who changed them (data protection officer)")
    .addOption(new Option("--format <format>", "json: print the JSON document; summary: print the summary only (default: write the JSON file and print the summary)").choices(["json", "summary"]))
    .option("--out <file>", "where to write the JSON document (default: ./subject-export-<subjectId>.json); written with mode 0600, it holds personal data")
    .option("--after <memoryId>", "one page only: the units after this cursor (a page's nextCursor)")
    .option("--limit <n>", `one page only: at most this many units (1-${maxExportPageSize})`, positiveIntegerUpTo(maxExportPageSize))
    .addHelpText("after", "\nWithout --after/--limit every page is fetched and joined into one document; each page is recorded in the read audit as an `export` read.")
    .action((subjectId: string, o: ExportOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, settings, print }) => {
        const paged = o.after !== undefined || o.limit !== undefined;
        const document: SubjectExportDocument = paged
          ? await ledger.subjects.export(subjectId, { ...(o.after !== undefined ? { after: o.after } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}) })
          : await exportAllPages((id, paging) => ledger.subjects.export(id, paging), subjectId);
        const format = settings.json ? "json" : o.format;
        const file = o.out ?? (format === undefined ? defaultFileOf(subjectId) : undefined);
        if (file !== undefined) writeFileSync(file, `${formatJson(document)}\n`, { mode: 0o600 });
        if (format === "json") return print(document, formatJson);
        const summary = renderExportSummary(document);
        print(summary, (text) => (file !== undefined ? `${text}\nwritten to ${file}` : text));
      }),
    );
}
