import type { IHeaders, KafkaMessage, Message } from "kafkajs";
import { createHash } from "node:crypto";
import type { JobRecord, JobStatus } from "./jobBusPort.js";

/** One value of the status topic: the job as it is now, plus where it sorts in `list`. */
export interface StatusEntry {
  readonly job: JobRecord;
  /** Microsecond-scale enqueue clock: newest first in `list`, even for jobs enqueued in the same millisecond. */
  readonly enqueueOrder: number;
}

export const headerNames = {
  jobId: "job-id",
  kind: "kind",
  status: "status",
  notBefore: "not-before",
  enqueueOrder: "enqueue-order",
  /** When the delay forwarder last moved a not-yet-due message to the tail of the delayed topic. */
  cycledAt: "cycled-at",
} as const;

export function statusMessage(entry: StatusEntry): Message {
  return {
    key: entry.job.jobId,
    value: JSON.stringify(entry),
    headers: { [headerNames.jobId]: entry.job.jobId, [headerNames.kind]: entry.job.kind, [headerNames.status]: entry.job.status },
  };
}

/** A job message for its kind's topic or the delayed topic; keyed by ordering key so one key stays on one partition. */
export function jobMessage(entry: StatusEntry): Message {
  const { job, enqueueOrder } = entry;
  return {
    key: job.key,
    value: JSON.stringify(job),
    headers: {
      [headerNames.jobId]: job.jobId,
      [headerNames.kind]: job.kind,
      [headerNames.notBefore]: String(Date.parse(job.notBefore)),
      [headerNames.enqueueOrder]: String(enqueueOrder),
    },
  };
}

/** A dead job for the dead-letter topic, keyed by job id; its record carries the last error. */
export function deadLetterMessage(job: JobRecord): Message {
  return { key: job.jobId, value: JSON.stringify(job), headers: { [headerNames.jobId]: job.jobId, [headerNames.kind]: job.kind } };
}

/** The status entry in a status-topic value; null for a tombstone, undefined when the value is not ours. */
export function readStatusEntry(value: Buffer | null): StatusEntry | null | undefined {
  if (value === null) return null;
  const parsed = parseJson(value);
  if (!isObject(parsed) || typeof parsed.enqueueOrder !== "number" || !isJobRecord(parsed.job)) return undefined;
  return { job: parsed.job, enqueueOrder: parsed.enqueueOrder };
}

/** The job in a kind-topic or delayed-topic message, or undefined when the message is not ours. */
export function readJobMessage(message: KafkaMessage): StatusEntry | undefined {
  if (message.value === null) return undefined;
  const job = parseJson(message.value);
  if (!isJobRecord(job)) return undefined;
  const order = Number(headerValue(message.headers, headerNames.enqueueOrder));
  return { job, enqueueOrder: Number.isFinite(order) ? order : Date.parse(job.enqueuedAt) * 1_000 };
}

export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const statuses: readonly JobStatus[] = ["waiting", "running", "failed", "done", "dead"];

function isJobRecord(value: unknown): value is JobRecord {
  return (
    isObject(value) &&
    typeof value.jobId === "string" &&
    typeof value.kind === "string" &&
    typeof value.key === "string" &&
    typeof value.status === "string" &&
    statuses.some((status) => status === value.status) &&
    typeof value.attempts === "number" &&
    typeof value.maxAttempts === "number" &&
    typeof value.notBefore === "string" &&
    typeof value.enqueuedAt === "string"
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString("utf8"));
  } catch {
    return undefined;
  }
}

// RFC 9562 name-based (v5) ids under a namespace of our own: the same idempotency key gives the same job id on every instance.
const idempotencyNamespace = Buffer.from("5b0f4c1e9a7d4e2b8c3f6a1d2e9b7c40", "hex");

export function jobIdForIdempotencyKey(idempotencyKey: string): string {
  const bytes = createHash("sha1").update(idempotencyNamespace).update(idempotencyKey, "utf8").digest().subarray(0, 16);
  bytes[6] = 0x50 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Wall-clock microseconds, nudged forward so that one process never hands out the same value twice. */
export class EnqueueClock {
  private last = 0;

  next(nowMs: number): number {
    this.last = Math.max(nowMs * 1_000, this.last + 1);
    return this.last;
  }
}
