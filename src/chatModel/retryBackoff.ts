/**
 * When to try a chat-model call again. Only what may pass by itself is
 * retried: 429, 5xx, timeouts and network errors. Any other 4xx (bad request,
 * auth, unknown model) would fail the same way again.
 */
export interface RetrySettings {
  /** Retries after the first call; 0: one call only. */
  readonly maxRetries: number;
  /** The first wait; each retry doubles it. */
  readonly baseDelayMs: number;
  /** No wait is longer, Retry-After included (a server asking for an hour gets an error, not a hung job). */
  readonly maxDelayMs: number;
}

export const defaultRetrySettings: RetrySettings = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

export function isRetriableStatus(status: number | undefined): boolean {
  return status === undefined || status === 429 || status === 408 || status >= 500;
}

/**
 * The wait before retry number `retry` (1-based): the server's Retry-After
 * when it gave one, else exponential backoff with full jitter (so many
 * workers hitting one endpoint do not retry in step).
 */
export function retryDelayMs(retry: number, settings: RetrySettings, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), settings.maxDelayMs);
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After as seconds or an HTTP date, or retry-after-ms (OpenAI's), in milliseconds. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
