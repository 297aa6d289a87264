import { isMemoryEventType, memoryEventCatalog } from "../../domain/memory/memoryEvents.js";
import { provenanceOf, type DecodedMemoryEvent, type Provenance } from "../../projections/envelope.js";
import type { RecordedEvent } from "../eventStore/eventStorePort.js";

/**
 * The shape in which memory events leave memledger (Kafka topic, SSE feed).
 * Stable and documented in docs/event-catalog.md ("Public feed").
 *
 * Personal content is left out unless the feed was asked for it: a Kafka topic
 * or a consumer's store is a copy that crypto-shredding cannot reach, so the
 * default feed carries ids, lifecycle and clear attributes only, and consumers
 * fetch content through the (audited) API. `MemoryErased` tells consumers that
 * kept content to purge it.
 */
export interface PublicMemoryEvent extends Provenance {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly memoryId: string;
  readonly cubeId?: string;
  readonly tenantId: string;
  /** Revision within the unit's stream (0-based). */
  readonly revision: number;
  /** Global log position: strictly increasing; resume a feed after it. */
  readonly position: number;
  /** The event's data; `content` is present only in content-bearing feeds (null once erased). */
  readonly data: Record<string, unknown>;
  /** True when the stored event carries sealed content that this message leaves out. */
  readonly contentWithheld: boolean;
}

const memoryStreamPrefix = "memory-";

/** Memory events only: cube, registry and subject streams are internal bookkeeping. */
export function isPublicMemoryEvent(recorded: RecordedEvent): boolean {
  return recorded.streamId.startsWith(memoryStreamPrefix) && isMemoryEventType(recorded.type);
}

function envelopeFields(recorded: Pick<RecordedEvent, "eventId" | "type" | "schemaVersion" | "streamId" | "revision" | "position" | "metadata">) {
  const m = recorded.metadata;
  return {
    eventId: recorded.eventId,
    type: recorded.type,
    schemaVersion: recorded.schemaVersion,
    memoryId: recorded.streamId.slice(memoryStreamPrefix.length),
    ...(m.cubeId !== undefined ? { cubeId: m.cubeId } : {}),
    tenantId: m.tenantId,
    revision: recorded.revision,
    position: recorded.position,
    ...provenanceOf(m),
  };
}

/** Without content: the default for every feed. */
export function publicEventWithoutContent(recorded: RecordedEvent): PublicMemoryEvent {
  const { content: _sealed, ...rest } = recorded.data as Record<string, unknown>;
  const carries = isMemoryEventType(recorded.type) && memoryEventCatalog[recorded.type].carriesContent && "content" in (recorded.data as object);
  return { ...envelopeFields(recorded), data: rest, contentWithheld: carries };
}

/** With content opened by the unit's key (null when the key was destroyed). */
export function publicEventWithContent(decoded: DecodedMemoryEvent): PublicMemoryEvent {
  return { ...envelopeFields(decoded.envelope), data: decoded.event.data as unknown as Record<string, unknown>, contentWithheld: false };
}
