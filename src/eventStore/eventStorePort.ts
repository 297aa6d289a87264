import { Context, type Effect } from "effect";
import type { EnvelopeMetadata } from "../../projections/envelope.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict, StreamNotFound } from "./eventStoreErrors.js";

/** What the writer believes about the stream before appending. */
export type ExpectedRevision = "no_stream" | "any" | "stream_exists" | number;

/**
 * The envelope every stored event carries beside its data (see docs/event-catalog.md).
 * Declared once, in projections/, because read models consume exactly this shape.
 */
export type EventMetadata = EnvelopeMetadata;

export interface NewEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  /** 0-based position of the event within its stream. */
  readonly revision: number;
  /** Position in the global log; strictly increasing in commit order. */
  readonly position: number;
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  readonly nextExpectedRevision: number;
  /** Global position of the last appended event. */
  readonly position: number;
  /** True when every event id was already stored: a retried append, nothing written. */
  readonly alreadyApplied: boolean;
}

export interface ReadStreamOptions {
  readonly direction?: "forward" | "backward";
  /** Inclusive; defaults to the start (forward) or the end (backward). */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this global position. */
  readonly after?: number;
  readonly maxCount?: number;
}

/** A catch-up subscription: stored events after the checkpoint, then live ones. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStorePort {
  readonly engine: string;
  append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Effect.Effect<AppendResult, ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable>;
  readStream(streamId: string, options?: ReadStreamOptions): Effect.Effect<readonly RecordedEvent[], StreamNotFound | EventStoreUnavailable>;
  /** Current revision of a stream, or undefined if it has no events. */
  streamRevision(streamId: string): Effect.Effect<number | undefined, EventStoreUnavailable>;
  readAll(options?: ReadAllOptions): Effect.Effect<readonly RecordedEvent[], EventStoreUnavailable>;
  /** Global position of the newest event, or 0 for an empty log. */
  headPosition(): Effect.Effect<number, EventStoreUnavailable>;
  subscribeToAll(options?: { readonly after?: number }): Effect.Effect<Subscription, EventStoreUnavailable>;
  /** For readiness: succeeds with what the engine reported (`head at position N`); fails when the log cannot take writes (down, damaged). */
  health(): Effect.Effect<string, EventStoreUnavailable>;
  close(): Effect.Effect<void>;
}

export class EventStore extends Context.Tag("memledger/EventStore")<EventStore, EventStorePort>() {}
