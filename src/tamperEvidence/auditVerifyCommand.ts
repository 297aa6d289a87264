import { existsSync, readFileSync } from "node:fs";
import type { EsdbSignedCheckpoint } from "./esdbCheckpoints.js";
import type { SignedCheckpoint } from "./signedCheckpoints.js";
import { checkpointNow, checkpointPathsOf, checkpointPublicKey, logFileOf, verifyTamperEvidence, type TamperEvidenceSettings } from "./tamperEvidence.js";
import type { TamperReport } from "./walkHashChain.js";

/** The CLI side of tamper evidence: `memledger audit verify | checkpoint | public-key` on an embedded data directory. */

export interface AuditVerifyIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** Whether stderr is a terminal: the progress line then redraws in place. */
  readonly interactive?: boolean;
}

/** Exit codes, also in the command's help. */
export const auditVerifyExit = { intact: 0, tampered: 1, usage: 2 } as const;

const shownProblems = 20;

export class AuditUsageError extends Error {
  readonly _tag = "AuditUsageError";
}

function requireLog(dataDir: string): void {
  if (!existsSync(logFileOf(dataDir))) throw new AuditUsageError(`no event log at ${logFileOf(dataDir)}: is ${dataDir} a memledger data directory? (audit verify checks an embedded log)`);
}

export async function runAuditVerifyCommand(options: TamperEvidenceSettings & { readonly json: boolean; readonly publicKeyFile?: string }, io: AuditVerifyIo): Promise<number> {
  requireLog(options.dataDir);
  let publicKeyPem: string | undefined;
  if (options.publicKeyFile !== undefined) {
    try {
      publicKeyPem = readFileSync(options.publicKeyFile, "utf8");
    } catch (error) {
      throw new AuditUsageError(`cannot read the public key file ${options.publicKeyFile} (${error instanceof Error ? error.message : String(error)}); give the PEM printed by \`memledger audit public-key\``);
    }
  }
  io.err(`verifying ${logFileOf(options.dataDir)}: every checksum, both hash chains, and the signed checkpoints in ${checkpointPathsOf(options).file}\n`);
  const progress = auditProgress(io, (events, head) => `${events.toLocaleString("en")} of ${head.toLocaleString("en")} events checked`);
  const report = await verifyTamperEvidence(options, { ...(publicKeyPem ? { publicKeyPem } : {}), onProgress: progress.update });
  progress.done();
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTamperReport(report)}\n`);
  return report.ok ? auditVerifyExit.intact : auditVerifyExit.tampered;
}

export function runAuditCheckpointCommand(options: TamperEvidenceSettings & { readonly json: boolean }, io: AuditVerifyIo): number {
  requireLog(options.dataDir);
  const checkpoint = checkpointNow(options);
  io.out(options.json ? `${JSON.stringify(checkpoint)}\n` : `${formatCheckpoint(checkpoint)}\n`);
  return 0;
}

export function runAuditPublicKeyCommand(options: TamperEvidenceSettings, io: AuditVerifyIo): number {
  io.out(checkpointPublicKey(options));
  return 0;
}

/** One progress line: redrawn in place on a terminal, else a line a second. */

export function formatCheckpoint(c: SignedCheckpoint | EsdbSignedCheckpoint): string {
  return [
    `signed checkpoint: ${c.format === 2 ? `$all position ${c.position}/${c.prepare}` : `log position ${c.position}`}, chain hash ${c.chainHash}, signed ${c.signedAt}`,
    `publish this line (and the public key from \`memledger audit public-key\`); \`memledger audit verify --public-key <file>\` checks the log against it later:`,
    JSON.stringify(c),
  ].join("\n");
}

export function formatTamperReport(r: TamperReport): string {
  const cp = r.checkpoints;
  const checkpoints =
    cp.found === 0
      ? "no signed checkpoints yet"
      : cp.skipped
        ? `${cp.found} checkpoints not checked: ${cp.skipped}`
        : `${cp.verified} of ${cp.found} signed checkpoints verified${cp.latestVerified ? ` (history up to position ${cp.latestVerified.position}, signed ${cp.latestVerified.signedAt}, is as signed)` : ""}`;
  const counted = `${r.events} events in ${r.streams} streams${r.unchained > 0 ? ` (${r.unchained} stored before hash chains, not chained yet: start the server once to chain them)` : ""}; ${checkpoints}`;
  if (r.ok) return `intact: ${r.file}: ${counted}; head at position ${r.head.position}, chain hash ${r.head.chainHash} (${r.seconds.toFixed(1)} s)`;
  const total = r.problems.length + r.problemsOmitted;
  return [
    `TAMPERED OR DAMAGED: ${r.file}: ${total} problem${total === 1 ? "" : "s"} (${counted}; ${r.seconds.toFixed(1)} s)`,
    ...(r.firstBad ? [`first: [${r.firstBad.kind}] ${r.firstBad.message}`] : []),
    ...r.problems.slice(0, shownProblems).map((p) => `  - [${p.kind}] ${p.message}`),
    ...(total > shownProblems ? [`  … and ${total - shownProblems} more (--json lists up to 100)`] : []),
    "what to do: keep this data directory as evidence (copy it before anything else); restore events.db from a backup whose `audit verify` passes,",
    "  and compare the two from the first problem on (docs/compliance.md, \"Tamper evidence\").",
  ].join("\n");
}

/**
 * The progress line of a long verify walk: redrawn in place on a terminal, a line a second otherwise, and the
 * last one (everything walked) always shown. `last` starts below any time: performance.now() counts from the
 * process's start, so a short-lived CLI would otherwise drop its first lines.
 */
export function auditProgress(io: AuditVerifyIo, describe: (done: number, total: number) => string) {
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: (done: number, total: number) => {
      const now = performance.now();
      if (done < total && now - last < (io.interactive ? 100 : 1_000)) return;
      last = now;
      const text = `  ${describe(done, total)} (${total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100}%)`;
      if (io.interactive) {
        io.err(`\r${text}`);
        drawn = true;
      } else io.err(`${text}\n`);
    },
    done: () => {
      if (drawn) io.err("\n");
    },
  };
}
