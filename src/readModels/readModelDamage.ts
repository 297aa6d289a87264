/**
 * SQLite result codes that mean the file itself is damaged (not busy, not
 * full, not a passing I/O error): the read model must be rebuilt, retrying
 * cannot help. Extended codes (SQLITE_CORRUPT_VTAB from FTS5, …) count too.
 */
const damageCodes = ["SQLITE_CORRUPT", "SQLITE_NOTADB"];

/** True when `error` says a read model's file is damaged beyond what a retry can fix. */
export function isReadModelDamage(error: unknown): boolean {
  if (error instanceof ReadModelFileDamaged) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && damageCodes.some((damage) => code === damage || code.startsWith(`${damage}_`));
}

/** What an integrity check found wrong in a read model's file. */
export class ReadModelFileDamaged extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} failed its integrity check: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`);
  }
}

/** One line for logs, readiness and error bodies. */
export function describeDamage(error: unknown): string {
  if (error instanceof ReadModelFileDamaged) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${code}: ${message}` : message;
}
