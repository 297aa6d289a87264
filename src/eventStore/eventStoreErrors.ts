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

/** The storage engine failed (disk, network). Not the caller's fault; safe to retry later. */
export class EventStoreUnavailable extends Data.TaggedError("EventStoreUnavailable")<{ readonly message: string; readonly cause?: unknown }> {}
