import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";

export interface WhenRequest {
  /** ISO-8601 time. */
  readonly at?: string;
  /** Seconds from now. */
  readonly afterSeconds?: number;
}

const maxAheadMs = 100 * 365 * 86_400_000;
// The earliest time a Date can hold; below it there is no ISO string to store.
const maxDateMs = 8.64e15;

/**
 * When a delayed job runs, in wall-clock milliseconds: the job bus runs on wall-clock
 * time (leases, backoff, delays), so "from now" is wall-clock too, not the injected
 * event clock. Without either field it is now, unless a time is required.
 */
export function dueTime(request: WhenRequest, options: { readonly required: boolean }): number | InvalidRequest {
  if (request.at !== undefined && request.afterSeconds !== undefined) return invalidRequest("at", "or afterSeconds may be given, not both");
  if (options.required && request.at === undefined && request.afterSeconds === undefined) return invalidRequest("at", "or afterSeconds must be given");
  const dueMs = request.at !== undefined ? Date.parse(request.at) : Date.now() + (request.afterSeconds ?? 0) * 1_000;
  if (Number.isNaN(dueMs)) return invalidRequest("at", `must be an ISO-8601 time (got "${request.at}")`);
  if (dueMs - Date.now() > maxAheadMs || dueMs < -maxDateMs) return invalidRequest(request.at !== undefined ? "at" : "afterSeconds", "is too far in the future; schedule at most 100 years ahead");
  return dueMs;
}
