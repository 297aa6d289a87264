import type { BackupVerifyReport } from "./backupVerifyReport.js";

/** A backup that cannot be taken as asked (no log there, a target that is not empty). */
export class BackupRefused extends Error {
  readonly _tag = "BackupRefused";
}

/** A restore that would lose or resurrect something: nothing was written. */
export class RestoreRefused extends Error {
  readonly _tag = "RestoreRefused";
  constructor(
    message: string,
    readonly verify?: BackupVerifyReport,
  ) {
    super(message);
  }
}
