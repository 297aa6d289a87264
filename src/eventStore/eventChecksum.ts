import { hash } from "node:crypto";

/**
 * The checksum stored with every event of the embedded log (column `checksum`, docs/event-catalog.md):
 * one format byte, then the 32-byte SHA-256 of the event's stored fields, each written as
 * `<UTF-8 byte length>:<UTF-8 bytes>` in this order: position, stream id, revision, event id, type,
 * schema version, data (the stored JSON text), metadata (the stored JSON text).
 *
 * The digest covers one event only; a later hash chain is built over these digests in log order,
 * so it can be added to an existing log without re-reading event bodies.
 */
export const checksumFormatV1 = 0x01;
const checksumLength = 33;

export interface StoredEventFields {
  readonly position: number;
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: string;
  readonly metadata: string;
}

export function eventChecksum(event: StoredEventFields): Buffer {
  let input = "";
  for (const field of [String(event.position), event.streamId, String(event.revision), event.eventId, event.type, String(event.schemaVersion), event.data, event.metadata]) {
    input += `${Buffer.byteLength(field, "utf8")}:${field}`;
  }
  const checksum = Buffer.allocUnsafe(checksumLength);
  checksum[0] = checksumFormatV1;
  // One-shot hash of one string: about half the cost of feeding a Hash object sixteen pieces.
  hash("sha256", input, "buffer").copy(checksum, 1);
  return checksum;
}

export type ChecksumVerdict = "ok" | "missing" | "unknown_format" | "mismatch";

/** Compares a stored checksum with the one the stored fields give now. */
export function checkEvent(event: StoredEventFields, stored: unknown): ChecksumVerdict {
  if (stored === null || stored === undefined) return "missing";
  if (!Buffer.isBuffer(stored) || stored.length !== checksumLength || stored[0] !== checksumFormatV1) return "unknown_format";
  return eventChecksum(event).equals(stored) ? "ok" : "mismatch";
}

export const describeVerdict: Readonly<Record<Exclude<ChecksumVerdict, "ok">, string>> = {
  missing: "the event has no checksum although the log's checksums were all written",
  unknown_format: "the event's stored checksum is not in a format this version writes (damaged, or written by a newer memledger)",
  mismatch: "the event's bytes no longer match the checksum stored with it",
};
