import Database from "better-sqlite3";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { defaultCheckpointPaths, loadOrCreateSigningKey, publicKeyPem, readCheckpoints, readPublicKey } from "../tamperEvidence/signedCheckpoints.js";
import { walkHashChain } from "../tamperEvidence/walkHashChain.js";
import { readManifest, sha256OfFile, type BackupManifest } from "./backupManifest.js";
import { logHead } from "./backupDataDir.js";
import type { BackupProgress } from "./backupProgress.js";
import type { BackupFileCheck, BackupVerifyReport } from "./backupVerifyReport.js";

export type { BackupFileCheck, BackupVerifyReport } from "./backupVerifyReport.js";

/**
 * Checks a backup three ways: every file's size and SHA-256 against the
 * manifest, SQLite's integrity_check on every database, and the log's
 * tamper evidence (checksums, hash chains, the signed checkpoints copied with it).
 */


export async function verifyBackup(backupDir: string, options: { readonly onProgress?: BackupProgress } = {}): Promise<BackupVerifyReport> {
  const manifest = readManifest(backupDir);
  const files: BackupFileCheck[] = [];
  let index = 0;
  for (const entry of manifest.files) {
    files.push(await checkFile(backupDir, entry));
    index += 1;
    options.onProgress?.({ file: entry.path, done: index, total: manifest.files.length, unit: "files" });
  }
  const problems = files.filter((f) => !f.ok).map((f) => `${f.path}: ${f.problem}`);
  const logFile = join(backupDir, "events.db");
  let tamper: BackupVerifyReport["tamper"];
  if (!manifest.files.some((f) => f.path === "events.db")) problems.push("the manifest lists no events.db: a backup without its log restores nothing");
  else if (files.find((f) => f.path === "events.db")?.ok === true) {
    const head = logHead(logFile);
    if (head.position !== manifest.log.position || head.eventId !== manifest.log.eventId) {
      problems.push(`events.db ends at position ${head.position} (${head.eventId ?? "empty"}), the manifest says ${manifest.log.position} (${manifest.log.eventId ?? "empty"})`);
    }
    const paths = defaultCheckpointPaths(backupDir);
    const publicKey = existsSync(paths.signingKeyFile) ? readPublicKey(publicKeyPem(loadOrCreateSigningKey(paths.signingKeyFile))) : undefined;
    const report = await walkHashChain(logFile, {
      checkpoints: existsSync(paths.file) ? readCheckpoints(paths.file) : [],
      ...(publicKey ? { publicKey } : {}),
      ...(options.onProgress ? { onProgress: (done: number, total: number) => options.onProgress?.({ file: "events.db (hash chains)", done, total, unit: "events" }) } : {}),
    });
    tamper = { ok: report.ok, events: report.events, head: report.head, unchained: report.unchained, checkpoints: report.checkpoints, ...(report.firstBad ? { firstBad: report.firstBad } : {}) };
    if (!report.ok) problems.push(`events.db fails its tamper-evidence check${report.firstBad ? `: ${JSON.stringify(report.firstBad)}` : ""}`);
  }
  return {
    ok: problems.length === 0,
    backup: backupDir,
    manifest: { createdAt: manifest.createdAt, memledgerVersion: manifest.memledgerVersion, log: manifest.log, readModels: manifest.readModels },
    files,
    ...(tamper ? { tamper } : {}),
    problems,
  };
}

async function checkFile(backupDir: string, entry: BackupManifest["files"][number]): Promise<BackupFileCheck> {
  const path = join(backupDir, entry.path);
  if (!existsSync(path)) return { path: entry.path, ok: false, problem: "missing" };
  const bytes = statSync(path).size;
  if (bytes !== entry.bytes) return { path: entry.path, ok: false, problem: `${bytes} bytes, the manifest says ${entry.bytes}` };
  const sha256 = await sha256OfFile(path);
  if (sha256 !== entry.sha256) return { path: entry.path, ok: false, problem: `SHA-256 ${sha256}, the manifest says ${entry.sha256}` };
  if (entry.sqlite) {
    const problem = integrityProblem(path);
    if (problem) return { path: entry.path, ok: false, problem };
  }
  return { path: entry.path, ok: true };
}

function integrityProblem(path: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    const findings = rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
    return findings.length > 0 ? `SQLite integrity_check: ${findings.slice(0, 5).join("; ")}` : undefined;
  } catch (error) {
    return `cannot open as SQLite: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    db?.close();
  }
}
