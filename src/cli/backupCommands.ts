import type { Command } from "commander";
import type { BackupProgress } from "../backup/backupProgress.js";
import type { BackupManifest } from "../backup/backupManifest.js";
import type { RestoreReport } from "../backup/restoreBackup.js";
import type { BackupVerifyReport } from "../backup/verifyBackup.js";
import { startProgress } from "./progress.js";

/**
 * `memledger backup <dir>`, `memledger backup verify <backup>`,
 * `memledger restore <backup> --data-dir <new>` (src/backup/, docs/operations.md "Backups").
 * They work on the files of an embedded data directory, not through the ledger:
 * a backup runs beside a live server, a restore writes a directory no server uses yet.
 */

export interface BackupCliHost {
  readonly leaf: (parent: Command, nameAndArgs: string, description: string) => Command;
  readonly settingsOf: (cmd: Command) => { readonly dataDir: string; readonly json: boolean };
  readonly io: { readonly out: (s: string) => void; readonly err: (s: string) => void };
  readonly outcome: { exitCode: number };
}

/** Exit codes, also in the commands' help. */
export const backupExit = { ok: 0, failed: 1, usage: 2 } as const;

export function registerBackupCommands(program: Command, host: BackupCliHost): void {
  const { io } = host;
  const progressOf = (title: string): { onProgress: BackupProgress; stop: (summary?: string) => void } => {
    const progress = startProgress(title, { err: io.err, unit: "" });
    return {
      onProgress: ({ file, done, total, unit }) => progress.update(done, total, file, unit),
      stop: (summary) => progress.stop(summary),
    };
  };

  const backup = host
    .leaf(program, "backup <dir>", "back up the embedded data directory (--data-dir) into a new directory while it is in use: log, keys, job queue, read audit, tamper evidence; a manifest with SHA-256s")
    .option("--include-read-models", "also copy the read models and the embedding cache (they rebuild from the log otherwise)")
    .addHelpText(
      "after",
      "\nThe backup holds the data keys: treat it as personal data and keep it short-lived. admin.key is not copied (a credential; the manifest says why).\nCheck a backup with `memledger backup verify <dir>`; restore it with `memledger restore <dir> --data-dir <new dir> --replay-erasures-from <live data dir>`.\nExit status:\n  0  backed up\n  2  refused: no embedded log there, or the target is not empty",
    )
    .action(async (dir: string, o: { includeReadModels?: boolean }, cmd: Command) => {
      const settings = host.settingsOf(cmd);
      const { backupDataDir } = await import("../backup/backupDataDir.js");
      const progress = progressOf("backup");
      const manifest = await backupDataDir({ dataDir: settings.dataDir, target: dir, ...(o.includeReadModels === true ? { includeReadModels: true } : {}), onProgress: progress.onProgress });
      progress.stop();
      io.out(settings.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${formatManifest(dir, manifest)}\n`);
    });

  host
    .leaf(backup, "verify <backup>", "check a backup: every file's size and SHA-256, SQLite's integrity_check, the log's hash chains and signed checkpoints")
    .addHelpText("after", "\nExit status:\n  0  intact\n  1  something differs (each problem is listed)\n  2  not a backup directory")
    .action(async (dir: string, _o: unknown, cmd: Command) => {
      const settings = host.settingsOf(cmd);
      const { verifyBackup } = await import("../backup/verifyBackup.js");
      const progress = progressOf("verify");
      const report = await verifyBackup(dir, { onProgress: progress.onProgress });
      progress.stop();
      io.out(settings.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerify(report)}\n`);
      host.outcome.exitCode = report.ok ? backupExit.ok : backupExit.failed;
    });

  host
    .leaf(program, "restore <backup>", "restore a verified backup into a new data directory (--data-dir, required), replaying the erasures the live directory recorded after the backup")
    .option("--replay-erasures-from <liveDataDir>", "the data directory the backup was taken from: keys its erasures destroyed after the backup stay destroyed, and those erasures are finished in the restored log")
    .addHelpText(
      "after",
      "\nWithout --replay-erasures-from the restore warns: keys destroyed by erasures after the backup come back, until those subjects are erased again. What was done is written to restored-from.json in the new directory.\nExit status:\n  0  restored (warnings, if any, on stderr)\n  1  restored, but an erasure could not be finished\n  2  refused: the backup fails verification, the target is not empty, or the live log is not the backup's origin",
    )
    .action(async (dir: string, o: { replayErasuresFrom?: string }, cmd: Command) => {
      if (!dataDirGiven(cmd)) cmd.error("error: restore needs --data-dir <new dir>: the directory to restore into (new or empty)", { exitCode: backupExit.usage, code: "memledger.restoreTarget" });
      const settings = host.settingsOf(cmd);
      const { restoreBackup } = await import("../backup/restoreBackup.js");
      const progress = progressOf("restore");
      const report = await restoreBackup({ backup: dir, target: settings.dataDir, ...(o.replayErasuresFrom !== undefined ? { replayErasuresFrom: o.replayErasuresFrom } : {}), onProgress: progress.onProgress });
      progress.stop();
      for (const warning of report.warnings) io.err(`WARNING: ${warning}\n`);
      io.out(settings.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatRestore(report)}\n`);
      host.outcome.exitCode = (report.erasures?.failures.length ?? 0) > 0 ? backupExit.failed : backupExit.ok;
    });
}

/** Whether --data-dir (or MEMLEDGER_DATA_DIR) was given, on the command or before it, rather than defaulted. */
function dataDirGiven(cmd: Command): boolean {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const source = c.getOptionValueSource("dataDir");
    if (source === "cli" || source === "env") return true;
  }
  return false;
}

export function formatManifest(dir: string, m: BackupManifest): string {
  const bytes = m.files.reduce((sum, f) => sum + f.bytes, 0);
  return [
    `backed up to ${dir}: ${m.files.length} files, ${bytes.toLocaleString("en")} bytes; log at position ${m.log.position} (${m.log.events.toLocaleString("en")} events)`,
    ...m.files.map((f) => `  ${f.path}  ${f.bytes.toLocaleString("en")} bytes  sha256 ${f.sha256.slice(0, 16)}…`),
    ...(m.leftOut.length > 0 ? ["left out:", ...m.leftOut.map((l) => `  ${l.path}: ${l.why}`)] : []),
    `check it: memledger backup verify ${dir}`,
  ].join("\n");
}

export function formatVerify(r: BackupVerifyReport): string {
  const head = r.ok ? `backup ${r.backup} is intact` : `backup ${r.backup} FAILS verification`;
  return [
    `${head}: ${r.files.length} files checked; log of ${r.manifest.log.events.toLocaleString("en")} events to position ${r.manifest.log.position}, taken ${r.manifest.createdAt} by memledger ${r.manifest.memledgerVersion}`,
    ...(r.tamper ? [`  hash chains: ${r.tamper.ok ? "intact" : "BROKEN"}; signed checkpoints: ${JSON.stringify(r.tamper.checkpoints)}`] : []),
    ...r.problems.map((p) => `  problem: ${p}`),
  ].join("\n");
}

export function formatRestore(r: RestoreReport): string {
  const lines = [`restored ${r.backup} into ${r.target}: ${r.files} files, log of ${r.log.events.toLocaleString("en")} events to position ${r.log.position}`];
  if (r.erasures) {
    const e = r.erasures;
    lines.push(
      `erasures after the backup, from ${e.from}: ${e.keysDestroyed.length} keys destroyed again, ${e.subjectsErased.length} subject erasures and ${e.memoriesErased.length} unit erasures finished` +
        (e.notInBackup.length > 0 ? `, ${e.notInBackup.length} erased units not in the backup` : ""),
    );
    for (const f of e.failures) lines.push(`  not finished: ${f}`);
  } else lines.push("erasures after the backup were NOT replayed (see the warning above)");
  lines.push("read models rebuild from the log on the first start on this directory");
  return lines.join("\n");
}
