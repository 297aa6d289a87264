import { readFileSync } from "node:fs";
import { AuditUsageError, auditProgress, auditVerifyExit, formatCheckpoint, formatTamperReport, type AuditVerifyIo } from "./auditVerifyCommand.js";
import { redactUrl } from "../redactUrl.js";
import type { EsdbTamperEvidenceSettings } from "./esdbTamperEvidence.js";

/** Loaded on first use: other CLI commands never load the gRPC client. */
const load = () => import("./esdbTamperEvidence.js");

/** The CLI side of EventStoreDB tamper evidence: `memledger audit verify | checkpoint --eventstore-url <url>`. */

/** The server to check: `--eventstore-url`, else EVENTSTORE_URL when MEMLEDGER_EVENT_STORE=eventstoredb (how the server is configured). */
export function eventStoreUrlOf(given: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (given !== undefined && given !== "") return given;
  return env["MEMLEDGER_EVENT_STORE"] === "eventstoredb" && env["EVENTSTORE_URL"] ? env["EVENTSTORE_URL"] : undefined;
}

export async function runEsdbAuditVerifyCommand(options: EsdbTamperEvidenceSettings & { readonly json: boolean; readonly publicKeyFile?: string }, io: AuditVerifyIo): Promise<number> {
  let publicKeyPem: string | undefined;
  if (options.publicKeyFile !== undefined) {
    try {
      publicKeyPem = readFileSync(options.publicKeyFile, "utf8");
    } catch (error) {
      throw new AuditUsageError(`cannot read the public key file ${options.publicKeyFile} (${error instanceof Error ? error.message : String(error)}); give the PEM printed by \`memledger audit public-key\``);
    }
  }
  const { esdbCheckpointPathsOf, verifyEsdbTamperEvidence } = await load();
  io.err(`verifying $all of EventStoreDB at ${redactUrl(options.url)}: each stream's hash chain, the running hash over $all, and the signed checkpoints in ${esdbCheckpointPathsOf(options).file}\n`);
  // `$all` positions are byte offsets, not event counts: the line says how far through the log the walk is.
  const progress = auditProgress(io, (position, head) => `$all position ${position.toLocaleString("en")} of ${head.toLocaleString("en")}`);
  const report = await verifyEsdbTamperEvidence(options, { ...(publicKeyPem ? { publicKeyPem } : {}), onProgress: progress.update });
  progress.done();
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTamperReport(report)}\n`);
  return report.ok ? auditVerifyExit.intact : auditVerifyExit.tampered;
}

export async function runEsdbAuditCheckpointCommand(options: EsdbTamperEvidenceSettings & { readonly json: boolean }, io: AuditVerifyIo): Promise<number> {
  io.err(`reading $all of EventStoreDB at ${redactUrl(options.url)} to compute the running hash to sign\n`);
  const checkpoint = await (await load()).esdbCheckpointNow(options);
  io.out(options.json ? `${JSON.stringify(checkpoint)}\n` : `${formatCheckpoint(checkpoint)}\n`);
  return 0;
}

