import { Context, Effect, Layer } from "effect";
import { memoryStreamId, type MemoryEvent } from "../../domain/memory/memoryEvents.js";
import { happenedBy, type AsOf } from "../../projections/asOf.js";
import type { DecodedMemoryEvent } from "../../projections/envelope.js";
import { emptyProjection, projectMemory, type ProjectedMemory } from "../../projections/memoryView.js";
import { KeyRing } from "../crypto/keyRing.js";
import { EventStore, type AppendResult, type EventMetadata, type ExpectedRevision, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { decodeMemoryEvent, encodeMemoryEvent, lastContentEventIndex } from "./memoryEventCodec.js";

/** A unit rehydrated for a command: its projection plus the key and subject of its stream. */
export interface LoadedMemory {
  readonly projection: ProjectedMemory;
  readonly keyId?: string;
  readonly subjectId?: string;
}

export type LoadError = EventStoreUnavailable | KeyStoreUnavailable;
export type AppendError = ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable;

export interface MemoryRepositoryApi {
  /** Current projection: from the cache plus any events appended since (by anyone). */
  load(memoryId: string): Effect.Effect<LoadedMemory, LoadError>;
  /** Every event of the unit, decoded; empty when the unit does not exist. */
  loadEvents(memoryId: string): Effect.Effect<readonly DecodedMemoryEvent[], LoadError>;
  /**
   * The events up to `asOf`, for a fold: only the last content-bearing event is
   * unsealed (each one carries the whole content, so earlier ones cannot reach
   * the folded state), and reading stops at the bound.
   */
  loadPrefix(memoryId: string, asOf?: AsOf): Effect.Effect<readonly DecodedMemoryEvent[], LoadError>;
  /** Every event with its envelope but no content unsealed: for history and audit. */
  loadEnvelopes(memoryId: string): Effect.Effect<readonly DecodedMemoryEvent[], LoadError>;
  append(
    memoryId: string,
    events: readonly MemoryEvent[],
    expected: ExpectedRevision,
    metadata: EventMetadata,
    key: { keyId: string; material: Buffer },
  ): Effect.Effect<AppendResult, AppendError>;
  /** Drops cached plaintext (erasure). */
  forget(memoryId: string): void;
}

export class MemoryRepository extends Context.Tag("memledger/MemoryRepository")<MemoryRepository, MemoryRepositoryApi>() {}

const cacheLimit = 10_000;
const prefixPage = 256;

/**
 * Virtual actors: a unit is rehydrated when a command or read needs it and
 * dropped afterwards. The bounded cache only saves re-reading a stream's
 * prefix; it is always topped up from the store, so other writers are seen.
 */
export const layerMemoryRepository = Layer.effect(
  MemoryRepository,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const keyRing: KeyRing = yield* KeyRingService;
    const ids = yield* IdGenerator;
    const cache = new Map<string, LoadedMemory>();

    const remember = (memoryId: string, loaded: LoadedMemory) => {
      cache.delete(memoryId);
      cache.set(memoryId, loaded);
      if (cache.size > cacheLimit) cache.delete(cache.keys().next().value!);
    };

    const decodeAll = (recorded: readonly RecordedEvent[]): Effect.Effect<DecodedMemoryEvent[], KeyStoreUnavailable> =>
      Effect.forEach(recorded, (event) =>
        event.metadata.keyId ? Effect.map(keyRing.material(event.metadata.keyId), (m) => decodeMemoryEvent(event, m)) : Effect.succeed(decodeMemoryEvent(event, null)),
      );

    const readFrom = (memoryId: string, fromRevision: number, maxCount?: number) =>
      store
        .readStream(memoryStreamId(memoryId), { fromRevision, ...(maxCount !== undefined ? { maxCount } : {}) })
        .pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));

    /** Unseals only the last event that carries content; the others keep `content: null`. */
    const decodeForFold = (recorded: readonly RecordedEvent[]): Effect.Effect<DecodedMemoryEvent[], KeyStoreUnavailable> =>
      Effect.gen(function* () {
        const last = lastContentEventIndex(recorded);
        const keyId = last >= 0 ? recorded[last]!.metadata.keyId : undefined;
        const material = keyId ? yield* keyRing.material(keyId) : null;
        return recorded.map((event, i) => decodeMemoryEvent(event, i === last ? material : null));
      });

    /** Reads forward page by page and stops at the first event past the bound. */
    const readUntil = (memoryId: string, asOf: AsOf | undefined) =>
      Effect.gen(function* () {
        if (asOf === undefined) return yield* readFrom(memoryId, 0);
        if ("revision" in asOf) return yield* readFrom(memoryId, 0, asOf.revision + 1);
        const out: RecordedEvent[] = [];
        for (let from = 0; ; ) {
          const page = yield* readFrom(memoryId, from, prefixPage);
          for (const event of page) {
            if (!happenedBy(event, asOf)) return out;
            out.push(event);
          }
          if (page.length < prefixPage) return out;
          from = page[page.length - 1]!.revision + 1;
        }
      });

    const load = (memoryId: string): Effect.Effect<LoadedMemory, LoadError> =>
      Effect.gen(function* () {
        const cached = cache.get(memoryId);
        const from = cached ? cached.projection.state.revision + 1 : 0;
        const fresh = yield* readFrom(memoryId, from);
        if (fresh.length === 0 && cached) return cached;
        const decoded = yield* decodeForFold(fresh);
        const first = cached ? undefined : fresh[0]?.metadata;
        const loaded: LoadedMemory = {
          projection: projectMemory(decoded, cached?.projection ?? emptyProjection),
          ...(cached?.keyId ? { keyId: cached.keyId } : first?.keyId ? { keyId: first.keyId } : {}),
          ...(cached?.subjectId ? { subjectId: cached.subjectId } : first?.subjectId ? { subjectId: first.subjectId } : {}),
        };
        if (decoded.length > 0) remember(memoryId, loaded);
        return loaded;
      });

    return {
      load,
      loadEvents: (memoryId) => Effect.flatMap(readFrom(memoryId, 0), decodeAll),
      loadPrefix: (memoryId, asOf) => Effect.flatMap(readUntil(memoryId, asOf), decodeForFold),
      loadEnvelopes: (memoryId) => Effect.map(readFrom(memoryId, 0), (events) => events.map((e) => decodeMemoryEvent(e, null))),
      append: (memoryId, events, expected, metadata, key) =>
        Effect.gen(function* () {
          const encoded = events.map((event) => encodeMemoryEvent(event, ids.newId(), metadata, key));
          const result = yield* store.append(memoryStreamId(memoryId), encoded, expected);
          if (result.alreadyApplied) cache.delete(memoryId);
          return result;
        }),
      forget: (memoryId) => {
        cache.delete(memoryId);
      },
    };
  }),
);
