import { EventStoreEngineFailure, eventLogDamaged, type EventLogDamaged, type EventStoreUnavailable } from "./eventStoreErrors.js";

/** Which event the failing operation was about, so the error can name it. */
export interface FailureContext {
  readonly file: string;
  /** What the store was doing: "append to stream x", "read stream x", "read the log after position 5". */
  readonly operation: string;
  readonly streamId?: string;
  readonly position?: number;
}

/** SQLite's primary result codes that mean the file's bytes are wrong, not that the engine is busy or the disk is away. */
const damageCodes = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB"]);

/** What an operator should do about each transient engine failure. */
const adviceByCode: Readonly<Record<string, string>> = {
  SQLITE_FULL: "the disk holding the log is full; free space, then retry",
  SQLITE_IOERR: "the disk returned an I/O error; check the disk and the kernel log, then retry",
  SQLITE_BUSY: "another process held the log's lock longer than the busy timeout (5 s); retry, and look for a stuck memledger process on the same data directory",
  SQLITE_LOCKED: "the log is locked by another connection; retry",
  SQLITE_READONLY: "the log file or its directory is read-only; give the server write access",
  SQLITE_CANTOPEN: "the log file cannot be opened; check that the data directory exists and is writable",
  SQLITE_PERM: "the operating system denied access to the log file; check its permissions",
  SQLITE_NOMEM: "SQLite ran out of memory; retry, or give the process more memory",
  SQLITE_PROTOCOL: "the WAL lock protocol failed (a crashed writer?); retry",
};

/** `SQLITE_IOERR_SHORT_READ` -> `SQLITE_IOERR`. */
export function primaryCode(code: string): string {
  const parts = code.split("_");
  return parts.length > 2 ? `${parts[0]}_${parts[1]}` : code;
}

export function sqliteCodeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

export function isDamage(error: unknown): boolean {
  const code = sqliteCodeOf(error);
  return code !== undefined && damageCodes.has(primaryCode(code));
}

/** Every storage error of the embedded log, typed: damage (SQLITE_CORRUPT, SQLITE_NOTADB) or a transient engine failure, never an untyped defect. */
export function classifySqliteFailure(error: unknown, context: FailureContext): EventStoreUnavailable {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const tag = (error as { _tag: unknown })._tag;
    if (tag === "EventLogDamaged" || tag === "EventStoreUnavailable") return error as EventStoreUnavailable;
  }
  const code = sqliteCodeOf(error);
  const text = error instanceof Error ? error.message : String(error);
  if (code !== undefined && damageCodes.has(primaryCode(code))) {
    return damageFound(context, `${context.operation} failed with ${code} (${text})`, error);
  }
  const advice = code !== undefined ? adviceByCode[primaryCode(code)] : undefined;
  return new EventStoreEngineFailure({
    message: `the embedded event log ${context.file} failed to ${context.operation}: ${text}${code ? ` (${code})` : ""}; ${advice ?? "retry later, and check the server log if it persists"}`,
    ...(code !== undefined ? { code } : {}),
    cause: error,
  });
}

export function damageFound(context: FailureContext, finding: string, cause?: unknown): EventLogDamaged {
  return eventLogDamaged({
    file: context.file,
    finding,
    ...(context.streamId !== undefined ? { streamId: context.streamId } : {}),
    ...(context.position !== undefined ? { position: context.position } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}
