import { Data } from "effect";

/** The stream is not at the revision the writer expected; re-read and retry. */
export class ConcurrencyConflict extends Data.TaggedError("ConcurrencyConflict")<{
  readonly streamId: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}> {}

export const concurrencyConflict = (streamId: string, expected: unknown, actual: unknown): ConcurrencyConflict =>
  new ConcurrencyConflict({
    streamId,
    expected: String(expected),
    actual: String(actual),
    message: `stream ${streamId} was expected at revision ${String(expected)} but is at ${String(actual)}; re-read it and retry`,
  });

export class StreamNotFound extends Data.TaggedError("StreamNotFound")<{ readonly streamId: string; readonly message: string }> {}

export const streamNotFound = (streamId: string): StreamNotFound =>
  new StreamNotFound({ streamId, message: `stream ${streamId} does not exist` });

/** Some, not all, of a batch's event ids are already stored: not a clean retry. */
export class IdempotencyConflict extends Data.TaggedError("IdempotencyConflict")<{
  readonly streamId: string;
  readonly eventId: string;
  readonly message: string;
}> {}

export const idempotencyConflict = (streamId: string, eventId: string, why: string): IdempotencyConflict =>
  new IdempotencyConflict({ streamId, eventId, message: `append to ${streamId} reuses event id ${eventId} but ${why}; use fresh event ids for new events` });

/** The storage engine failed (disk full, I/O error, lock timeout, network). Not the caller's fault; safe to retry later. */
export class EventStoreEngineFailure extends Data.TaggedError("EventStoreUnavailable")<{
  readonly message: string;
  /** The engine's error code when it gave one (`SQLITE_IOERR_SHORT_READ`, `SQLITE_FULL`, …). */
  readonly code?: string;
  readonly cause?: unknown;
}> {}

/**
 * The log's storage is damaged: pages that do not parse, or an event whose bytes no longer match the checksum
 * stored with it. Not transient: the store refuses every write until the file is restored.
 */
export class EventLogDamaged extends Data.TaggedError("EventLogDamaged")<{
  readonly message: string;
  /** The damaged file. */
  readonly file: string;
  /** What was found, in the engine's words or ours. */
  readonly finding: string;
  /** The first damaged event when it is known. */
  readonly streamId?: string;
  readonly revision?: number;
  readonly position?: number;
  readonly cause?: unknown;
}> {}

/**
 * Everything the log can fail with that is not the caller's doing. One name for the services' signatures, so
 * damage travels the same error channel as an outage (both are 503s) without every service spelling out both.
 */
export type EventStoreUnavailable = EventStoreEngineFailure | EventLogDamaged;
export const EventStoreUnavailable = EventStoreEngineFailure;

/** Where the damage is and what to do about it, for the one message an operator reads. */
export function eventLogDamaged(found: { readonly file: string; readonly finding: string; readonly streamId?: string; readonly revision?: number; readonly position?: number; readonly cause?: unknown }): EventLogDamaged {
  const where =
    found.streamId !== undefined
      ? ` at stream ${found.streamId}${found.revision !== undefined ? ` revision ${found.revision}` : ""}${found.position !== undefined ? ` (log position ${found.position})` : ""}`
      : found.position !== undefined
        ? ` at log position ${found.position}`
        : "";
  return new EventLogDamaged({
    ...found,
    message:
      `the event log ${found.file} is damaged${where}: ${found.finding}. Writes are refused so the damage cannot spread; ` +
      `stop the server, run \`memledger log verify --data-dir <its data directory>\` to find the first damaged event, and restore ${found.file} from a backup (see docs/operations.md, "A damaged event log")`,
  });
}
