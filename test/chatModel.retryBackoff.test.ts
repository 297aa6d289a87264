import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRetriableStatus, parseRetryAfter, retryDelayMs, type RetrySettings } from "../src/chatModel/retryBackoff.js";

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

describe("chat model retry backoff", () => {
  it("waits between half and all of base * 2^(retry-1), never more than the cap (full jitter)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, baseDelayMs, maxDelayMs, random) => {
        const settings: RetrySettings = { maxRetries: 3, baseDelayMs, maxDelayMs };
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
        const delay = retryDelayMs(retry, settings, undefined, () => random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
      }),
    );
  });

  it("waits what Retry-After asks, capped at maxDelayMs", () => {
    const settings: RetrySettings = { maxRetries: 3, baseDelayMs: 10, maxDelayMs: 30_000 };
    expect(retryDelayMs(1, settings, 2_000)).toBe(2_000);
    expect(retryDelayMs(1, settings, 3_600_000)).toBe(30_000);
  });

  it("reads Retry-After as seconds or an HTTP date, and OpenAI's retry-after-ms", () => {
    expect(parseRetryAfter(headers({ "retry-after": "3" }))).toBe(3_000);
    expect(parseRetryAfter(headers({ "retry-after-ms": "250", "retry-after": "3" }))).toBe(250);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5_000);
    expect(parseRetryAfter(headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
  });

  it("retries 429, 408, 5xx and network errors (no status), never other 4xx", () => {
    for (const status of [undefined, 408, 429, 500, 502, 503]) expect(isRetriableStatus(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 422]) expect(isRetriableStatus(status)).toBe(false);
  });
});
