import { Context, Effect, Layer } from "effect";
import { holdEventCatalog, holdStreamId, type HoldEvent } from "../../domain/legalHold/holdEvents.js";
import { foldHolds, initialHoldState, type HoldState } from "../../domain/legalHold/holdState.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";

/** A tenant's hold state and the stream revision it was folded up to (-1: no stream yet). */
export interface HoldSnapshot {
  readonly state: HoldState;
  readonly revision: number;
}

export interface HoldRegistryApi {
  /** The tenant's holds as they stand now: the cached fold plus whatever was appended since, by anyone. */
  current(tenantId: string): Effect.Effect<HoldSnapshot, EventStoreUnavailable>;
  /** The tenant's holds as they stood at `time` (recorded times of the hold stream). */
  asOf(tenantId: string, time: string): Effect.Effect<HoldState, EventStoreUnavailable>;
  /** Appends at the snapshot's revision; a ConcurrencyConflict means someone else wrote first: read again and decide again. */
  append(tenantId: string, events: readonly HoldEvent[], expectedRevision: number, ctx: CommandContext, eventIds?: readonly string[]): Effect.Effect<void, ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable>;
}

/** The legal-hold streams (`hold-<tenant>`), read by every command that a hold may bind. */
export class HoldRegistry extends Context.Tag("memledger/HoldRegistry")<HoldRegistry, HoldRegistryApi>() {}

const decode = (e: RecordedEvent): HoldEvent => ({ type: e.type, data: e.data }) as HoldEvent;

export const layerHoldRegistry = Layer.effect(
  HoldRegistry,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const cache = new Map<string, HoldSnapshot>();

    const readFrom = (tenantId: string, fromRevision: number) =>
      store.readStream(holdStreamId(tenantId), { fromRevision }).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));

    const api: HoldRegistryApi = {
      current: (tenantId) =>
        Effect.gen(function* () {
          const known = cache.get(tenantId) ?? { state: initialHoldState, revision: -1 };
          const newer = yield* readFrom(tenantId, known.revision + 1);
          if (newer.length === 0) return known;
          const next = { state: foldHolds(newer.map(decode), known.state), revision: newer[newer.length - 1]!.revision };
          // Another fiber may have cached a later fold meanwhile; keep whichever saw more.
          if ((cache.get(tenantId)?.revision ?? -1) < next.revision) cache.set(tenantId, next);
          return next;
        }),
      asOf: (tenantId, time) =>
        Effect.map(readFrom(tenantId, 0), (events) => foldHolds(events.filter((e) => Date.parse(e.metadata.recordedAt) <= Date.parse(time)).map(decode))),
      append: (tenantId, events, expectedRevision, ctx, eventIds) =>
        Effect.asVoid(
          store.append(
            holdStreamId(tenantId),
            events.map((event, i) => ({
              eventId: eventIds?.[i] ?? ids.newId(),
              type: event.type,
              schemaVersion: holdEventCatalog[event.type].schemaVersion,
              data: event.data,
              metadata: eventMetadata({ ...ctx, tenantId }, clock, ids),
            })),
            expectedRevision < 0 ? "no_stream" : expectedRevision,
          ),
        ),
    };
    return api;
  }),
);
