import { Option, type Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { keepOriginalModes, redactionKinds, type KeepOriginal, type RedactionCounts, type RedactionKind } from "../../domain/redaction/redactionSettings.js";
import type { CubeRedactionView, RedactionRecordView, UnredactedRecordView } from "../redaction/redactionService.js";
import type { RedactionSettingsInput } from "../redaction/redactionLedgerApi.js";
import { commaList } from "./parse.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface RedactionCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "redaction">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

export function formatRedactionSettings(view: CubeRedactionView): string {
  if (!view.enabled) return `cube ${view.cubeId}: redaction off${view.configuredAt ? ` (set ${view.configuredAt} by ${view.configuredBy})` : ""}`;
  return [
    `cube ${view.cubeId}: redaction on`,
    `  kinds:          ${view.kinds.join(", ") || "(none)"}`,
    `  originals:      ${view.keepOriginal === "sealed" ? "kept sealed (memory.readUnredacted)" : "dropped"}`,
    `  metadata:       ${view.metadata ? "masked too" : "as given"}`,
    ...(view.configuredAt ? [`  set:            ${view.configuredAt} by ${view.configuredBy}`] : []),
  ].join("\n");
}

const counts = (kinds: RedactionCounts) =>
  Object.entries(kinds)
    .map(([kind, n]) => `${kind} ×${n}`)
    .join(", ");

export function formatRedactionRecords(memoryId: string, records: readonly (RedactionRecordView | UnredactedRecordView)[]): string {
  if (records.length === 0) return `memory ${memoryId}: nothing was masked`;
  return [
    `memory ${memoryId}:`,
    ...records.flatMap((r) => [
      `  r${r.revision} ${r.operation} ${r.recordedAt} by ${r.actor}: ${counts(r.kinds)} in ${r.fields.join(", ")} (original ${"originalState" in r ? r.originalState : r.keepOriginal === "sealed" ? "sealed" : "dropped"})`,
      ...("original" in r && r.original ? [`    original: ${JSON.stringify(r.original)}`] : []),
    ]),
  ].join("\n");
}

interface SetOptions {
  enable?: boolean;
  disable?: boolean;
  keepOriginal?: KeepOriginal;
  kinds?: string[];
  metadata?: boolean;
}

/** `memledger cube redaction set|show|explain|originals`. */
export function registerRedactionCommands(cube: Command, host: RedactionCliHost): void {
  const redaction = cube.command("redaction").description("mask personal data (e-mail, phone, card, IBAN, IP, names) in a cube's memories at ingest");

  host
    .leaf(redaction, "set <cubeId>", "set the cube's redaction (cube admin); applies to writes from now on")
    .addOption(new Option("--enable", "turn redaction on").conflicts("disable"))
    .addOption(new Option("--disable", "turn redaction off"))
    .addOption(new Option("--keep-original <mode>", "drop the clear original, or keep it sealed for data protection officers").choices(keepOriginalModes).default("drop"))
    .option("--kinds <kinds>", `what to mask, comma-separated (default: all of ${redactionKinds.join(",")})`, commaList)
    .option("--metadata", "also mask string values of the units' metadata")
    .action((cubeId: string, o: SetOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        if (!o.enable && !o.disable) throw new Error("say --enable or --disable");
        const settings: RedactionSettingsInput = {
          enabled: o.enable === true,
          ...(o.keepOriginal ? { keepOriginal: o.keepOriginal } : {}),
          ...(o.kinds ? { kinds: o.kinds as RedactionKind[] } : {}),
          metadata: o.metadata === true,
        };
        print(await ledger.redaction.configure(cubeId, settings, ctx), formatRedactionSettings);
      }),
    );

  host
    .leaf(redaction, "show <cubeId>", "show the cube's redaction setting")
    .action((cubeId: string, _o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.redaction.settings(cubeId), formatRedactionSettings)));

  host
    .leaf(redaction, "explain <memoryId>", "what was masked in a memory: kinds and counts per write, never the values")
    .action((memoryId: string, _o: unknown, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.redaction.explain(memoryId), (records) => formatRedactionRecords(memoryId, records))),
    );

  host
    .leaf(redaction, "originals <memoryId>", "the sealed clear originals of a memory (data protection officer, tenant admin); audited")
    .action((memoryId: string, _o: unknown, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.redaction.originals(memoryId), (records) => formatRedactionRecords(memoryId, records))),
    );
}
