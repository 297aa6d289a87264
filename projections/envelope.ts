import type { MemoryEvent } from "../domain/memory/memoryEvents.js";

/**
 * The part of a stored event that projections read. Structurally the same as
 * the event store's RecordedEvent, restated here so projections stay free of I/O code.
 */
export interface EnvelopeMetadata {
  readonly tenantId: string;
  readonly cubeId?: string;
  readonly actor: string;
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly subjectId?: string;
  readonly keyId?: string;
  readonly recordedAt: string;
  readonly commandId?: string;
}

export interface Envelope {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly metadata: EnvelopeMetadata;
}

/** A memory event, decrypted where its key still exists, with its envelope. */
export interface DecodedMemoryEvent {
  readonly envelope: Envelope;
  readonly event: MemoryEvent;
}
