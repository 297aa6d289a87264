import type { MemoryEvent } from "./memoryEvents.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "./memoryState.js";

/**
 * The fold: state + event -> state. Plain and total so replays are fast (no
 * actor per event) and any prefix of a stream gives the state at that revision.
 * It never judges; `decide` (through the machine) already did.
 */
export function evolve(state: MemoryState, event: MemoryEvent): MemoryState {
  const revision = state.revision + 1;
  if (event.type === "MemoryCreated") {
    const { memoryId, cubeId, content, attributes, branchedFrom, copiedFrom } = event.data;
    return {
      status: "generated",
      memoryId,
      cubeId,
      revision,
      version: 1,
      content,
      attributes,
      ...(branchedFrom ? { branchedFrom } : {}),
      ...(copiedFrom ? { copiedFrom } : {}),
    };
  }
  if (state.status === "absent") {
    // A stream must start with MemoryCreated; anything else is corrupt input.
    throw new Error(`cannot fold ${event.type} into a unit that was never created`);
  }
  const unit: ExistingMemory = { ...state, revision };
  switch (event.type) {
    case "MemoryActivated":
      return { ...withoutOptional(unit, "processingFailure"), status: "activated" };
    case "MemoryProcessingFailed": {
      const { jobId, attempt, error, willRetry } = event.data;
      return { ...unit, processingFailure: { jobId, attempt, error, willRetry } };
    }
    case "MemoryEdited":
      return { ...unit, version: event.data.version, content: event.data.content, attributes: event.data.attributes };
    case "MemoryMerged":
      return { ...unit, status: "merged", successorId: event.data.successorId };
    case "MemoryArchived":
      // A move's link stays after a restore: the copy it made still exists.
      return { ...unit, status: "archived", ...(event.data.movedTo ? { movedTo: event.data.movedTo } : {}) };
    case "MemoryRestored":
      return { ...unit, status: "activated" };
    case "MemoryFrozen":
      return {
        ...unit,
        status: "frozen",
        frozen: { reason: event.data.reason, ...(event.data.note !== undefined ? { note: event.data.note } : {}) },
      };
    case "MemoryErased":
      return { ...withoutOptional(unit, "frozen"), status: "erased", content: null };
    case "MemoryReverted": {
      const { status, version, content, attributes, successorId } = event.data;
      const base = withoutOptional(withoutOptional(unit, "successorId"), "processingFailure");
      return { ...base, status, version, content, attributes, ...(successorId ? { successorId } : {}) };
    }
  }
}

function withoutOptional<K extends "successorId" | "frozen" | "processingFailure">(unit: ExistingMemory, key: K): ExistingMemory {
  const { [key]: _dropped, ...rest } = unit;
  return rest as ExistingMemory;
}

export function fold(events: Iterable<MemoryEvent>, from: MemoryState = initialMemoryState): MemoryState {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}
