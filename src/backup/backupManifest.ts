import { createHash } from "node:crypto";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The manifest of a backup (`manifest.json` in the backup directory): what was
 * copied, how to check it, and where the log stood, so that a restore can tell
 * which erasures in a live log came after it.
 */

export const backupFormat = "memledger-backup/1";
export const manifestFileName = "manifest.json";

export interface BackupFileEntry {
  /** Path inside the backup (and inside the data directory), with forward slashes. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** A SQLite database copied with the online backup API (checked with integrity_check on verify). */
  readonly sqlite: boolean;
}

export interface BackupManifest {
  readonly format: typeof backupFormat;
  readonly createdAt: string;
  readonly memledgerVersion: string;
  /** The data directory the backup was taken from (for the record). */
  readonly sourceDataDir: string;
  /** The last event in the backed-up log: its global position and id (absent for an empty log). */
  readonly log: { readonly position: number; readonly eventId?: string; readonly events: number };
  /** Whether the read models were copied too (they rebuild from the log otherwise). */
  readonly readModels: boolean;
  readonly files: readonly BackupFileEntry[];
  /** Data directory files deliberately left out, each with why. */
  readonly leftOut: readonly { readonly path: string; readonly why: string }[];
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function writeManifest(backupDir: string, manifest: BackupManifest): void {
  writeFileSync(join(backupDir, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

export class BackupManifestError extends Error {
  readonly _tag = "BackupManifestError";
}

export function readManifest(backupDir: string): BackupManifest {
  const path = join(backupDir, manifestFileName);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new BackupManifestError(`cannot read ${path} (${error instanceof Error ? error.message : String(error)}): is ${backupDir} a directory written by \`memledger backup\`?`);
  }
  const manifest = parsed as Partial<BackupManifest>;
  if (manifest.format !== backupFormat || !Array.isArray(manifest.files) || typeof manifest.log?.position !== "number") {
    throw new BackupManifestError(`${path} is not a ${backupFormat} manifest (format: ${JSON.stringify(manifest.format)}); this version reads ${backupFormat} only`);
  }
  return manifest as BackupManifest;
}

/** The package version, read from package.json beside dist/ (or the checkout). */
export function memledgerVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "memledger" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not at this level: try the next one up
    }
  }
  return "unknown";
}
