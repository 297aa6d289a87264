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
  /** Set on events a cube import wrote (src/cubeInterchange/): the source's ids and its who/when; `actor` and `recordedAt` above are the import's. */
  readonly importedFrom?: ImportedFrom;
}

/** Where an imported event came from: the source instance's ids and provenance, kept beside the importer's. */
export interface ImportedFrom {
  readonly instanceId: string;
  readonly cubeId: string;
  readonly memoryId?: string;
  readonly eventId?: string;
  readonly revision?: number;
  readonly position?: number;
  readonly actor: string;
  readonly recordedAt: string;
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly commandId?: string;
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
  /** The model and prompt behind an automatic change (MemReader, decisions, feedback). */
  readonly automation?: AutomationProvenance;
  /** The source's provenance of an imported event. */
  readonly importedFrom?: ImportedFrom;
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
    // Which model and prompt decided: shown in history and the feed, so an automatic change can be explained.
    ...(m.automation !== undefined ? { automation: m.automation } : {}),
    ...(m.importedFrom !== undefined ? { importedFrom: m.importedFrom } : {}),
  };
}
