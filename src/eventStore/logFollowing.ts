import { Effect } from "effect";
import type { EventStorePort } from "./eventStorePort.js";

/**
 * Shared pieces of every loop that follows the log from a checkpoint (the
 * Kafka relay, the projection runner): wait for new events, stop on request,
 * back off after failures.
 */

/** A one-way flag that can also be awaited: a stop requested before anyone waits is still seen. */
export interface Latch {
  readonly promise: Promise<void>;
  isSet(): boolean;
  set(): void;
}

export function latch(): Latch {
  let isSet = false;
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return {
    promise,
    isSet: () => isSet,
    set: () => {
      isSet = true;
      release();
    },
  };
}

/**
 * Resolves once an event after `position` exists, or when `stopRequest` is set.
 * A catch-up subscription from the caught-up position is the store's own wake-up:
 * immediate for appends through the same store, polled for other writers.
 */
export async function waitForNewEvents(store: EventStorePort, position: number, stopRequest: Latch): Promise<void> {
  const subscription = await Effect.runPromise(store.subscribeToAll({ after: position }));
  try {
    await Promise.race([subscription[Symbol.asyncIterator]().next(), stopRequest.promise]);
  } finally {
    await subscription.close();
  }
}

export async function sleepUnless(stopRequest: Latch, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), stopRequest.promise]);
  clearTimeout(timer);
}

/** Exponential with jitter, capped: retries of a failing batch neither hammer nor stall. */
export function backoffMs(attempt: number, maxMs = 10_000): number {
  const exponential = Math.min(maxMs, 250 * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}
