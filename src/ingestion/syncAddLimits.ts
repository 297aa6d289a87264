import { Context, Data } from "effect";

/**
 * How much one synchronous add may carry. A sync add holds its HTTP request open
 * until every unit is embedded and activated; larger batches belong in an async
 * add (202 with a job), which the job worker processes in the background.
 */
export interface SyncAddLimits {
  readonly maxMemories: number;
  /** UTF-8 bytes of the memories' texts. */
  readonly maxTextBytes: number;
}

export const defaultSyncAddLimits: SyncAddLimits = { maxMemories: 200, maxTextBytes: 512 * 1024 };

/** Optional: without it the defaults apply. */
export class SyncAddLimitsConfig extends Context.Tag("memledger/SyncAddLimits")<SyncAddLimitsConfig, SyncAddLimits>() {}

/** A sync add above the limits (HTTP 413): send it with mode "async", or split it. */
export class SyncAddTooLarge extends Data.TaggedError("SyncAddTooLarge")<{
  readonly message: string;
  readonly limit: "maxMemories" | "maxTextBytes";
  readonly maximum: number;
  readonly actual: number;
}> {}

/** The limit a sync add exceeds, or undefined if it fits. */
export function checkSyncAdd(items: readonly { readonly text?: unknown }[], limits: SyncAddLimits): SyncAddTooLarge | undefined {
  const advice = `send it with "mode": "async" (202 with a job to wait on) or split it into smaller adds`;
  if (items.length > limits.maxMemories) {
    return new SyncAddTooLarge({ limit: "maxMemories", maximum: limits.maxMemories, actual: items.length, message: `a sync add takes at most ${limits.maxMemories} memories, this one has ${items.length}: ${advice}` });
  }
  const bytes = items.reduce((sum, item) => sum + Buffer.byteLength(typeof item.text === "string" ? item.text : ""), 0);
  if (bytes > limits.maxTextBytes) {
    return new SyncAddTooLarge({ limit: "maxTextBytes", maximum: limits.maxTextBytes, actual: bytes, message: `a sync add takes at most ${limits.maxTextBytes} bytes of text, this one has ${bytes}: ${advice}` });
  }
  return undefined;
}
