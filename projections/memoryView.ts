import { evolve } from "../domain/memory/evolve.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "../domain/memory/memoryState.js";
import type { MemoryAttributes } from "../domain/memory/memoryContent.js";
import type { BranchOrigin, MemoryStatus, ShreddableContent } from "../domain/memory/memoryEvents.js";
import type { DecodedMemoryEvent } from "./envelope.js";

/** What a reader sees of a memory unit: state plus who/when from the envelopes. */
export interface MemoryView {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly status: MemoryStatus;
  readonly revision: number;
  readonly version: number;
  /** null when the unit's data key was destroyed (erased or crypto-shredded). */
  readonly content: ShreddableContent;
  readonly attributes: MemoryAttributes;
  readonly successorId?: string;
  readonly frozen?: ExistingMemory["frozen"];
  readonly branchedFrom?: BranchOrigin;
  /** Transfer lineage: the unit this one was copied from, and where a move took this one. */
  readonly copiedFrom?: BranchOrigin;
  readonly movedTo?: ExistingMemory["movedTo"];
  readonly subjectId?: string;
  /** Why the unit is still generated: its last failed processing attempt. */
  readonly processingFailure?: ExistingMemory["processingFailure"];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** Global position of the last event folded into this view. */
  readonly position: number;
}

/** Folded state, the view, and the command ids seen (for idempotent retries). */
export interface ProjectedMemory {
  readonly state: MemoryState;
  readonly view: MemoryView | undefined;
  readonly commandIds: ReadonlySet<string>;
}

export const emptyProjection: ProjectedMemory = { state: initialMemoryState, view: undefined, commandIds: new Set() };

/** Folds more events into a projection; events must continue the stream in order. */
export function projectMemory(events: readonly DecodedMemoryEvent[], from: ProjectedMemory = emptyProjection): ProjectedMemory {
  let state = from.state;
  let view = from.view;
  let commandIds: Set<string> | undefined;
  for (const { envelope, event } of events) {
    state = evolve(state, event);
    if (envelope.metadata.commandId) (commandIds ??= new Set(from.commandIds)).add(envelope.metadata.commandId);
    const unit = state as ExistingMemory;
    view = {
      memoryId: unit.memoryId,
      cubeId: unit.cubeId,
      status: unit.status,
      revision: unit.revision,
      version: unit.version,
      content: unit.content,
      attributes: unit.attributes,
      ...(unit.successorId ? { successorId: unit.successorId } : {}),
      ...(unit.frozen ? { frozen: unit.frozen } : {}),
      ...(unit.branchedFrom ? { branchedFrom: unit.branchedFrom } : {}),
      ...(unit.copiedFrom ? { copiedFrom: unit.copiedFrom } : {}),
      ...(unit.movedTo ? { movedTo: unit.movedTo } : {}),
      ...(unit.processingFailure ? { processingFailure: unit.processingFailure } : {}),
      ...(envelope.metadata.subjectId ? { subjectId: envelope.metadata.subjectId } : view?.subjectId ? { subjectId: view.subjectId } : {}),
      createdAt: view?.createdAt ?? envelope.metadata.recordedAt,
      createdBy: view?.createdBy ?? envelope.metadata.actor,
      updatedAt: envelope.metadata.recordedAt,
      updatedBy: envelope.metadata.actor,
      position: envelope.position,
    };
  }
  return { state, view, commandIds: commandIds ?? from.commandIds };
}
