import { Cause, Context, Effect, Exit, Layer, Option, Runtime } from "effect";
import { KeyRingService } from "../crypto/keyRingService.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";
import { EventStore, type RecordedEvent, type Subscription } from "../eventStore/eventStorePort.js";
import { decodeMemoryEvent } from "../memory/memoryEventCodec.js";
import { isPublicMemoryEvent, publicEventWithContent, publicEventWithoutContent, type PublicMemoryEvent } from "./publicMemoryEvent.js";

export interface FeedOptions {
  /** Exclusive global position to start after; 0 (the default) replays the whole log. */
  readonly after?: number;
  /** Only events whose envelope names this cube. */
  readonly cubeId?: string;
  /** Open sealed content with the unit's key (null once erased); withheld otherwise. */
  readonly includeContent?: boolean;
}

/** Memory events in log order: the stored ones after `after`, then live ones, until closed. */
export type FeedSubscription = AsyncIterable<PublicMemoryEvent> & { close(): Promise<void> };

export interface MemoryEventFeedPort {
  subscribe(options?: FeedOptions): Effect.Effect<FeedSubscription, EventStoreUnavailable>;
}

/** The public memory event feed (SSE today): catch-up then live, filtered by cube, content only on request. */
export class MemoryEventFeed extends Context.Tag("memledger/MemoryEventFeed")<MemoryEventFeed, MemoryEventFeedPort>() {}

export const layerMemoryEventFeed = Layer.effect(
  MemoryEventFeed,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const keyRing = yield* KeyRingService;
    // Keys are looked up inside an async iterator, so run those lookups on the runtime the layer was built in.
    const runPromiseExit = Runtime.runPromiseExit(yield* Effect.runtime<never>());
    const withContent = async (recorded: RecordedEvent): Promise<PublicMemoryEvent> => {
      const keyId = recorded.metadata.keyId;
      const material = keyId === undefined ? null : await rethrowFailure(runPromiseExit(keyRing.material(keyId)));
      return publicEventWithContent(decodeMemoryEvent(recorded, material));
    };
    return MemoryEventFeed.of({
      subscribe: (options = {}) =>
        Effect.map(store.subscribeToAll({ after: options.after ?? 0 }), (source) =>
          filteredFeed(source, options.cubeId, options.includeContent === true ? withContent : async (recorded) => publicEventWithoutContent(recorded)),
        ),
    });
  }),
);

function filteredFeed(source: Subscription, cubeId: string | undefined, toPublic: (recorded: RecordedEvent) => Promise<PublicMemoryEvent>): FeedSubscription {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const recorded of source) {
          if (!isPublicMemoryEvent(recorded)) continue;
          if (cubeId !== undefined && recorded.metadata.cubeId !== cubeId) continue;
          yield await toPublic(recorded);
        }
      } finally {
        // A consumer that breaks out of its loop must not leave the store's subscription running.
        await source.close();
      }
    },
    close: () => source.close(),
  };
}

/** The typed failure itself (so callers can switch on `_tag`), not Effect's FiberFailure wrapper. */
async function rethrowFailure<A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> {
  const result = await exit;
  if (Exit.isSuccess(result)) return result.value;
  const failure = Cause.failureOption(result.cause);
  if (Option.isSome(failure)) throw failure.value;
  throw Cause.squash(result.cause);
}

/**
 * A subscription handed out at once and opened on first iteration, for callers
 * that cannot wait for the store (the facade's synchronous `feed.subscribe`).
 */
export function deferredSubscription(open: () => Promise<FeedSubscription>): FeedSubscription {
  let opening: Promise<FeedSubscription> | undefined;
  let closed = false;
  return {
    async *[Symbol.asyncIterator]() {
      if (closed) return;
      opening ??= open();
      const subscription = await opening;
      // close() may have run while the store was opening it.
      if (closed) {
        await subscription.close();
        return;
      }
      yield* subscription;
    },
    close: async () => {
      closed = true;
      const subscription = await opening?.catch(() => undefined);
      await subscription?.close();
    },
  };
}
