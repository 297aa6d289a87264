import { InvalidJob } from "./jobBusErrors.js";
import type { JobRequest, RetryPolicy } from "./jobBusPort.js";

export interface NormalizedJobRequest {
  readonly kind: string;
  readonly key: string;
  readonly payload: JobRequest["payload"];
  readonly priority: number;
  readonly notBeforeMs: number;
  readonly idempotencyKey?: string;
  readonly cubeId?: string;
  readonly maxAttempts: number;
}

// The largest time a JavaScript Date can hold.
const maxTimeMs = 8.64e15;

const invalid = (field: string, message: string) => new InvalidJob({ field, message });

/** Every adapter applies the same rules, so a job valid on one bus is valid on all. */
export function normalizeJobRequest(request: JobRequest, policy: RetryPolicy, nowMs: number): NormalizedJobRequest | InvalidJob {
  if (typeof request.kind !== "string" || !/^[a-z][a-z0-9._-]{0,63}$/.test(request.kind))
    return invalid("kind", `job kind "${String(request.kind)}" must be 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter`);
  if (typeof request.key !== "string" || request.key.length === 0 || request.key.length > 200)
    return invalid("key", "the ordering key must be a non-empty string of at most 200 characters");
  const priority = request.priority ?? 5;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) return invalid("priority", `priority ${String(priority)} must be an integer from 0 to 9`);
  let notBeforeMs = nowMs;
  if (request.notBefore !== undefined) {
    notBeforeMs = Date.parse(request.notBefore);
    if (Number.isNaN(notBeforeMs)) return invalid("notBefore", `notBefore "${request.notBefore}" is not an ISO-8601 time`);
    if (Math.abs(notBeforeMs) > maxTimeMs) return invalid("notBefore", `notBefore "${request.notBefore}" is out of range; use a time before the year 275760`);
  }
  const maxAttempts = request.maxAttempts ?? policy.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) return invalid("maxAttempts", `maxAttempts ${String(maxAttempts)} must be an integer from 1 to 100`);
  if (request.idempotencyKey !== undefined && (request.idempotencyKey.length === 0 || request.idempotencyKey.length > 200))
    return invalid("idempotencyKey", "the idempotency key must be 1-200 characters");
  return {
    kind: request.kind,
    key: request.key,
    payload: request.payload ?? null,
    priority,
    notBeforeMs,
    maxAttempts,
    ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    ...(request.cubeId !== undefined ? { cubeId: request.cubeId } : {}),
  };
}

/** Exponential backoff with ±20% jitter, so jobs that failed together do not retry in lockstep. */
export function retryDelayMs(policy: RetryPolicy, attemptsSoFar: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptsSoFar - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/**
 * Errors are stored for people to read and are returned by the API: name and message only,
 * bounded. Stack traces would expose server file paths to API clients.
 */
export function describeJobError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 4_000 ? `${text.slice(0, 4_000)}…` : text;
}
