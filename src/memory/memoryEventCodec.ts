import { memoryEventCatalog, isMemoryEventType, type MemoryEvent } from "../../domain/memory/memoryEvents.js";
import type { DecodedMemoryEvent } from "../../projections/envelope.js";
import { isSealed, seal, unseal } from "../crypto/contentCipher.js";
import type { EventMetadata, NewEvent, RecordedEvent } from "../eventStore/eventStorePort.js";

/**
 * Domain event <-> stored event. The personal `content` of an event is sealed
 * with the unit's data key on the way in and opened on the way out; when the
 * key is gone it reads back as null. Upcasters turn older schema versions into
 * the current shape at read time, so stored events are never rewritten.
 */
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** `upcasters[type][v]` lifts data from schema version v to v + 1. Empty while every type is at v1. */
const upcasters: Partial<Record<MemoryEvent["type"], Record<number, Upcaster>>> = {};

export function encodeMemoryEvent(event: MemoryEvent, eventId: string, metadata: EventMetadata, key: { keyId: string; material: Buffer }): NewEvent {
  const { schemaVersion, carriesContent } = memoryEventCatalog[event.type];
  const data = carriesContent && "content" in event.data && event.data.content !== null
    ? { ...event.data, content: seal(event.data.content, key.keyId, key.material) }
    : event.data;
  return { eventId, type: event.type, schemaVersion, data, metadata };
}

export class UnknownEventType extends Error {
  constructor(readonly streamId: string, readonly type: string, readonly schemaVersion: number) {
    super(`stream ${streamId} holds an event of type ${type} v${schemaVersion} this version of memledger does not know; upgrade memledger`);
  }
}

export function decodeMemoryEvent(recorded: RecordedEvent, material: Buffer | null): DecodedMemoryEvent {
  if (!isMemoryEventType(recorded.type)) throw new UnknownEventType(recorded.streamId, recorded.type, recorded.schemaVersion);
  const current = memoryEventCatalog[recorded.type].schemaVersion;
  let data = recorded.data as Record<string, unknown>;
  for (let v = recorded.schemaVersion; v < current; v += 1) {
    const lift = upcasters[recorded.type]?.[v];
    if (!lift) throw new UnknownEventType(recorded.streamId, recorded.type, recorded.schemaVersion);
    data = lift(data);
  }
  if (recorded.schemaVersion > current) throw new UnknownEventType(recorded.streamId, recorded.type, recorded.schemaVersion);
  if ("content" in data && isSealed(data.content)) {
    data = { ...data, content: material ? unseal(data.content, material) : null };
  }
  const { eventId, type, schemaVersion, streamId, revision, position, metadata } = recorded;
  return { envelope: { eventId, type, schemaVersion, streamId, revision, position, metadata }, event: { type: recorded.type, data } as MemoryEvent };
}

/**
 * The index of the last event that carries content, or -1: a fold needs only
 * that one unsealed (earlier content is superseded), so only its key is fetched.
 */
export function lastContentEventIndex(recorded: readonly RecordedEvent[]): number {
  for (let i = recorded.length - 1; i >= 0; i -= 1) {
    if (isMemoryEventType(recorded[i]!.type) && memoryEventCatalog[recorded[i]!.type as MemoryEvent["type"]].carriesContent) return i;
  }
  return -1;
}
