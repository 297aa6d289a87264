import type { TamperReport } from "../tamperEvidence/walkHashChain.js";
import type { BackupManifest } from "./backupManifest.js";

/** What `memledger backup verify` found: each file's check, the log's tamper walk, the problems in words. */
export interface BackupFileCheck {
  readonly path: string;
  readonly ok: boolean;
  readonly problem?: string;
}

export interface BackupVerifyReport {
  readonly ok: boolean;
  readonly backup: string;
  readonly manifest: Pick<BackupManifest, "createdAt" | "memledgerVersion" | "log" | "readModels">;
  readonly files: readonly BackupFileCheck[];
  /** The log's tamper-evidence walk (absent when the log file itself failed its checks). */
  readonly tamper?: Pick<TamperReport, "ok" | "events" | "head" | "unchained" | "firstBad" | "checkpoints">;
  readonly problems: readonly string[];
}
