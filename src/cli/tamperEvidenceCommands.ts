import type { Command } from "commander";
import type { TamperEvidenceApi } from "../tamperEvidence/tamperEvidenceApi.js";
import { AuditUsageError, auditVerifyExit, formatCheckpoint, formatTamperReport, runAuditCheckpointCommand, runAuditPublicKeyCommand, runAuditVerifyCommand } from "../tamperEvidence/auditVerifyCommand.js";
import { eventStoreUrlOf, runEsdbAuditCheckpointCommand, runEsdbAuditVerifyCommand } from "../tamperEvidence/esdbAuditCommands.js";

/** What the commands need from main.ts's program. */
export interface TamperEvidenceCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  settingsOf(cmd: Command): { readonly dataDir: string; readonly json: boolean; readonly server?: string };
  /** With --server: the principal's ledger over REST (POST /audit/verify and friends). */
  withLedger(cmd: Command, work: (session: { readonly ledger: { readonly tamperEvidence: TamperEvidenceApi }; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>): Promise<void>;
  readonly io: { readonly out: (s: string) => void; readonly err: (s: string) => void };
  readonly outcome: { exitCode: number };
}

const eventStoreOptionHelp = "check an EventStoreDB/KurrentDB log instead of <data-dir>/events.db (default: EVENTSTORE_URL when MEMLEDGER_EVENT_STORE=eventstoredb); keys and checkpoints stay under --data-dir";
const keyOptionHelp = "the ed25519 signing key (PKCS#8 PEM, mode 0600; default <data-dir>/keys/checkpoint-signing.key): keep it off the machine that holds the log if you can";

/** `memledger audit verify | checkpoint | public-key`: tamper evidence of the embedded log (docs/compliance.md). */
export function registerTamperEvidenceCommands(audit: Command, host: TamperEvidenceCliHost): void {
  const io = { ...host.io, interactive: process.stderr.isTTY === true };
  const guarded = async (cmd: Command, work: () => Promise<number> | number) => {
    try {
      host.outcome.exitCode = await work();
    } catch (error) {
      if (!(error instanceof AuditUsageError)) throw error;
      cmd.error(`error: ${error.message}`, { exitCode: auditVerifyExit.usage, code: "memledger.audit" });
    }
  };
  const paths = (o: { signingKey?: string; checkpoints?: string }) => ({ ...(o.signingKey ? { signingKeyFile: o.signingKey } : {}), ...(o.checkpoints ? { file: o.checkpoints } : {}) });

  host
    .leaf(audit, "verify", "walk the event log (--data-dir, or --server: POST /audit/verify): checksums, each stream's hash chain, the global chain, signed checkpoints; names the first event changed, removed, reordered or inserted")
    .option("--public-key <file>", "check the checkpoints with this published public key (PEM) instead of the local signing key's")
    .option("--signing-key <file>", keyOptionHelp)
    .option("--checkpoints <file>", "the signed checkpoints (default <data-dir>/tamper/checkpoints.jsonl; with EventStoreDB <data-dir>/tamper/eventstoredb-checkpoints.jsonl)")
    .option("--eventstore-url <url>", eventStoreOptionHelp)
    .addHelpText("after", "\nReads the log only (safe while a server runs on it).\nExit status:\n  0  intact: every chain follows and every checkpoint verifies\n  1  tampered or damaged: the report names the first problem (stream, revision, position, what is wrong)\n  2  bad arguments, or no event log in that directory")
    .action((o: { publicKey?: string; signingKey?: string; checkpoints?: string; eventstoreUrl?: string }, cmd: Command) =>
      guarded(cmd, async () => {
        const settings = host.settingsOf(cmd);
        if (settings.server !== undefined) {
          let ok = false;
          await host.withLedger(cmd, async ({ ledger, print }) => {
            const report = await ledger.tamperEvidence.verify();
            ok = report.ok;
            print(report, formatTamperReport);
          });
          return ok ? auditVerifyExit.intact : auditVerifyExit.tampered;
        }
        const url = eventStoreUrlOf(o.eventstoreUrl, process.env);
        if (url !== undefined) return runEsdbAuditVerifyCommand({ url, dataDir: settings.dataDir, json: settings.json, paths: paths(o), ...(o.publicKey ? { publicKeyFile: o.publicKey } : {}) }, io);
        return runAuditVerifyCommand({ dataDir: settings.dataDir, json: settings.json, paths: paths(o), ...(o.publicKey ? { publicKeyFile: o.publicKey } : {}) }, io);
      }),
    );

  host
    .leaf(audit, "checkpoint", "sign the log's current head (position and chain hash) now, append it to the checkpoints and print it for publication")
    .option("--signing-key <file>", keyOptionHelp)
    .option("--checkpoints <file>", "where signed checkpoints are appended (default <data-dir>/tamper/checkpoints.jsonl; with EventStoreDB <data-dir>/tamper/eventstoredb-checkpoints.jsonl)")
    .option("--eventstore-url <url>", `${eventStoreOptionHelp}; reads all of $all to compute the hash it signs`)
    .action((o: { signingKey?: string; checkpoints?: string; eventstoreUrl?: string }, cmd: Command) =>
      guarded(cmd, async () => {
        const settings = host.settingsOf(cmd);
        if (settings.server !== undefined) {
          await host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.tamperEvidence.checkpoint(), formatCheckpoint));
          return 0;
        }
        const url = eventStoreUrlOf(o.eventstoreUrl, process.env);
        if (url !== undefined) return runEsdbAuditCheckpointCommand({ url, dataDir: settings.dataDir, json: settings.json, paths: paths(o) }, io);
        return runAuditCheckpointCommand({ dataDir: settings.dataDir, json: settings.json, paths: paths(o) }, io);
      }),
    );

  host
    .leaf(audit, "public-key", "print the public key that checks the signed checkpoints (PEM); publish it with the checkpoints")
    .option("--signing-key <file>", keyOptionHelp)
    .action((o: { signingKey?: string }, cmd: Command) =>
      guarded(cmd, async () => {
        if (host.settingsOf(cmd).server !== undefined) {
          await host.withLedger(cmd, async ({ ledger }) => host.io.out((await ledger.tamperEvidence.publicKey()).publicKey));
          return 0;
        }
        return runAuditPublicKeyCommand({ dataDir: host.settingsOf(cmd).dataDir, paths: paths(o) }, io);
      }),
    );
}
