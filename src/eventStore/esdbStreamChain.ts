import { hash } from "node:crypto";
import { genesisHash, nextStreamHash } from "./eventHashChain.js";

/**
 * The per-stream hash chain of an EventStoreDB/KurrentDB log, carried in each event's metadata as
 * `$chain: { v: 1, streamHash }` (docs/compliance.md, "Tamper evidence"):
 *   streamHash = SHA-256(the stream's previous event's streamHash ‖ eventDigest(this event)),
 * starting from 32 zero bytes, the same step as the embedded log's stream hash (eventHashChain.ts).
 * The server gives no checksum over an event and the client hands JSON bodies back parsed, so the digest
 * covers a canonical encoding of what a reader sees: the JSON of data and of metadata (without `$chain`),
 * re-encoded as stored (key order kept), plus stream id, revision, ESDB event id and type.
 */

export const chainField = "$chain";
export const chainVersion = 1;

export interface ChainedEventContent {
  readonly streamId: string;
  readonly revision: bigint;
  /** The ESDB event id (a UUID). */
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  /** The metadata object as stored, with or without `$chain` (it is left out of the digest). */
  readonly metadata: unknown;
}

/** JSON as the client writes it; undefined (no body) is stored as null by the adapter. */
const canonicalJson = (value: unknown): string => JSON.stringify(value === undefined ? null : value);

export function metadataWithoutChain(metadata: unknown): unknown {
  if (!isPlainObject(metadata) || !(chainField in metadata)) return metadata;
  const { [chainField]: _chain, ...rest } = metadata;
  return rest;
}

/**
 * SHA-256 over three lines: a JSON array of the format tag, stream id, revision, event id and type; the data's
 * JSON; the metadata's JSON without `$chain`. JSON.stringify never writes a raw newline, so the lines cannot
 * run into each other: no two different events encode alike. One string and a one-shot hash keep it cheap.
 */
export function eventDigest(event: ChainedEventContent): Buffer {
  const header = JSON.stringify(["memledger-esdb-event/1", event.streamId, event.revision.toString(), event.eventId, event.type]);
  return hash("sha256", `${header}\n${canonicalJson(event.data)}\n${canonicalJson(metadataWithoutChain(event.metadata))}`, "buffer");
}

export function nextEsdbStreamHash(previous: Buffer, event: ChainedEventContent): Buffer {
  return nextStreamHash(previous, eventDigest(event));
}

/** The stream hash an event's metadata carries; undefined when it has none, or one that does not read. */
export function storedStreamHash(metadata: unknown): Buffer | undefined {
  if (!isPlainObject(metadata)) return undefined;
  const chain = metadata[chainField];
  if (!isPlainObject(chain) || chain["v"] !== chainVersion || typeof chain["streamHash"] !== "string" || !/^[0-9a-f]{64}$/.test(chain["streamHash"])) return undefined;
  return Buffer.from(chain["streamHash"], "hex");
}

export const hasChainField = (metadata: unknown): boolean => isPlainObject(metadata) && chainField in metadata;

/** The metadata to store: the caller's, with the chain entry last (so removing it restores the key order hashed). */
export function withChain(metadata: Record<string, unknown>, streamHash: Buffer): Record<string, unknown> {
  return { ...metadata, [chainField]: { v: chainVersion, streamHash: streamHash.toString("hex") } };
}

/**
 * Chains one batch after the stream's head (undefined: the stream is new). Events of a batch follow each
 * other, so each one's predecessor is the one before it in the batch.
 */
export function chainBatch<E extends { readonly id: string; readonly type: string; readonly data: unknown; readonly metadata: Record<string, unknown> }>(
  streamId: string,
  head: { readonly revision: bigint; readonly streamHash: Buffer } | undefined,
  events: readonly E[],
): E[] {
  let previous = head?.streamHash ?? genesisHash;
  let revision = head ? head.revision + 1n : 0n;
  return events.map((event) => {
    const streamHash = nextEsdbStreamHash(previous, { streamId, revision, eventId: event.id, type: event.type, data: event.data, metadata: event.metadata });
    previous = streamHash;
    revision += 1n;
    return { ...event, metadata: withChain(event.metadata, streamHash) };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
