import type { MemoryEvent } from "../domain/memory/memoryEvents.js";

/**
 * Who, when, why and where of an event. The event store's port uses this as its
 * `EventMetadata`, so the project has one envelope shape.
 */
export interface EnvelopeMetadata {
  readonly tenantId: string;
  readonly cubeId?: string;
  /** Who caused it: a user, an agent, a service, `system:<process>`. */
  readonly actor: string;
  /** The user an agent acted for, under that user's delegation (the actor is the agent). */
  readonly onBehalfOf?: string;
  /** Why, in the caller's words. */
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  /** Data subject whose key seals the personal fields of this event. */
  readonly subjectId?: string;
  readonly keyId?: string;
  /** ISO-8601, from the injected clock (never the engine's own clock). */
  readonly recordedAt: string;
  /** Idempotency key of the command that produced the event. */
  readonly commandId?: string;
  /** Set when a model decided the command (MemReader, merge decisions, feedback): which model, which prompt. */
  readonly automation?: AutomationProvenance;
}

/** The model and prompt version behind an automatic decision, recorded on every event it causes. */
export interface AutomationProvenance {
  /** What decided: `memreader.fast`, `memreader.fine`, `dedupe`, `feedback`, `preferences`… */
  readonly component: string;
  /** The chat model as its endpoint names it; absent for rule-based decisions (no LLM). */
  readonly model?: string;
  /** `<prompt id>@<version>` from prompts/; absent for rule-based decisions. */
  readonly prompt?: string;
  /** The job that ran it, when it ran as a job. */
  readonly jobId?: string;
}

/** The part of a stored event that projections read (the store's RecordedEvent without its data). */
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

/** The who/when/why an event shows to readers (history, the public feed); ids of keys and subjects stay inside. */
export interface Provenance {
  readonly recordedAt: string;
  readonly actor: string;
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly commandId?: string;
}

export function provenanceOf(m: EnvelopeMetadata): Provenance {
  return {
    recordedAt: m.recordedAt,
    actor: m.actor,
    ...(m.onBehalfOf !== undefined ? { onBehalfOf: m.onBehalfOf } : {}),
    ...(m.reason !== undefined ? { reason: m.reason } : {}),
    correlationId: m.correlationId,
    ...(m.causationId !== undefined ? { causationId: m.causationId } : {}),
    ...(m.commandId !== undefined ? { commandId: m.commandId } : {}),
  };
}
