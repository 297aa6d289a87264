import type { MemoryAttributes } from "./memoryContent.js";
import type { BranchOrigin, FreezeReason, MemoryStatus, MoveTarget, ShreddableContent } from "./memoryEvents.js";

/** A unit that has no events yet. */
export interface AbsentMemory {
  readonly status: "absent";
  readonly revision: -1;
}

/** The folded state of a unit; `revision` is the stream revision of the last event folded. */
export interface ExistingMemory {
  readonly status: MemoryStatus;
  readonly memoryId: string;
  readonly cubeId: string;
  readonly revision: number;
  /** Content version: 1 at creation, +1 on every edit or revert. */
  readonly version: number;
  /** null once the unit's data key is destroyed. */
  readonly content: ShreddableContent;
  readonly attributes: MemoryAttributes;
  readonly successorId?: string;
  readonly frozen?: { readonly reason: FreezeReason; readonly note?: string };
  readonly branchedFrom?: BranchOrigin;
  /** The unit a transfer copied this one from (another cube). */
  readonly copiedFrom?: BranchOrigin;
  /** Where a move took this unit: its copy in the target cube. */
  readonly movedTo?: MoveTarget;
  /** The last failed processing attempt while generated; cleared on activation. */
  readonly processingFailure?: { readonly jobId: string; readonly attempt: number; readonly error: string; readonly willRetry: boolean };
}

export type MemoryState = AbsentMemory | ExistingMemory;

export const initialMemoryState: AbsentMemory = { status: "absent", revision: -1 };

export function exists(state: MemoryState): state is ExistingMemory {
  return state.status !== "absent";
}
