import { evolve } from "../domain/memory/evolve.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "../domain/memory/memoryState.js";
import type { MemoryStatus } from "../domain/memory/memoryEvents.js";
import type { DecodedMemoryEvent } from "./envelope.js";

/** One line of a unit's history: what happened, who did it, when, why. */
export interface HistoryEntry {
  readonly revision: number;
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly commandId?: string;
  readonly statusAfter: MemoryStatus;
  readonly versionAfter: number;
  /** Fields an edit changed; for reverts, the revision restored. */
  readonly changedFields?: readonly string[];
  readonly revertedTo?: number;
  readonly successorId?: string;
}

export function memoryHistory(events: readonly DecodedMemoryEvent[]): HistoryEntry[] {
  let state: MemoryState = initialMemoryState;
  return events.map(({ envelope, event }) => {
    state = evolve(state, event);
    const unit = state as ExistingMemory;
    const m = envelope.metadata;
    return {
      revision: envelope.revision,
      position: envelope.position,
      eventId: envelope.eventId,
      type: event.type,
      recordedAt: m.recordedAt,
      actor: m.actor,
      ...(m.reason !== undefined ? { reason: m.reason } : {}),
      correlationId: m.correlationId,
      ...(m.causationId !== undefined ? { causationId: m.causationId } : {}),
      ...(m.commandId !== undefined ? { commandId: m.commandId } : {}),
      statusAfter: unit.status,
      versionAfter: unit.version,
      ...(event.type === "MemoryEdited" ? { changedFields: event.data.changedFields } : {}),
      ...(event.type === "MemoryReverted" ? { revertedTo: event.data.toRevision } : {}),
      ...(event.type === "MemoryMerged" ? { successorId: event.data.successorId } : {}),
    };
  });
}
