import { evolve } from "../domain/memory/evolve.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "../domain/memory/memoryState.js";
import type { MemoryStatus } from "../domain/memory/memoryEvents.js";
import { provenanceOf, type DecodedMemoryEvent, type Provenance } from "./envelope.js";

/** One line of a unit's history: what happened, who did it, when, why. */
export interface HistoryEntry extends Provenance {
  readonly revision: number;
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
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
      ...provenanceOf(m),
      statusAfter: unit.status,
      versionAfter: unit.version,
      ...(event.type === "MemoryEdited" ? { changedFields: event.data.changedFields } : {}),
      ...(event.type === "MemoryReverted" ? { revertedTo: event.data.toRevision } : {}),
      ...(event.type === "MemoryMerged" ? { successorId: event.data.successorId } : {}),
    };
  });
}
