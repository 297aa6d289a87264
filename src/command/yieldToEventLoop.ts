import { Effect } from "effect";

/**
 * Lets timers and I/O run before going on. Effect.yieldNow only yields to other
 * fibers (a microtask), so a long loop of synchronous work (SQLite appends, searches)
 * would hold the event loop (health checks, other requests) for its whole length.
 */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void));
  return Effect.sync(() => clearImmediate(handle));
});
