import type { AttributeChanges, ContentChanges, MemoryAttributes, MemoryContent } from "./memoryContent.js";
import type { BranchOrigin, MoveTarget, ErasureScope, FreezeReason, MemoryStatus } from "./memoryEvents.js";
import type { ExistingMemory } from "./memoryState.js";

/** Commands a memory unit accepts. Who/when/why travel beside them as metadata. */
export type CreateMemory = {
  readonly type: "create";
  readonly memoryId: string;
  readonly cubeId: string;
  readonly content: MemoryContent;
  readonly attributes: MemoryAttributes;
  /** Activate in the same append (synchronous ingestion). */
  readonly activate?: boolean;
  readonly branchedFrom?: BranchOrigin;
  readonly copiedFrom?: BranchOrigin;
};
export type ActivateMemory = { readonly type: "activate"; readonly memoryId: string };
export type EditMemory = {
  readonly type: "edit";
  readonly memoryId: string;
  readonly content?: ContentChanges;
  readonly attributes?: AttributeChanges;
};
/** The successor as it stands now, resolved by the caller so the machine can judge the merge purely. */
export type MergeSuccessor = { readonly memoryId: string; readonly cubeId: string; readonly status: MemoryStatus };
export type MergeMemory = { readonly type: "merge"; readonly memoryId: string; readonly successorId: string; readonly successor: MergeSuccessor };
export type ArchiveMemory = { readonly type: "archive"; readonly memoryId: string; readonly movedTo?: MoveTarget };
export type RestoreMemory = { readonly type: "restore"; readonly memoryId: string };
export type FreezeMemory = {
  readonly type: "freeze";
  readonly memoryId: string;
  readonly reason: FreezeReason;
  readonly note?: string;
};
export type EraseMemory = {
  readonly type: "erase";
  readonly memoryId: string;
  readonly scope: ErasureScope;
  readonly keyId: string;
};
/**
 * Revert to the unit as it was at `toRevision`. The caller folds the prefix and
 * passes it as `target`, so `decide` stays a pure function of state + command.
 */
export type RevertMemory = {
  readonly type: "revert";
  readonly memoryId: string;
  readonly toRevision: number;
  readonly target: ExistingMemory;
};

/** Records that the background processing of a generated unit failed (see MemoryProcessingFailed). */
export type RecordProcessingFailure = {
  readonly type: "recordProcessingFailure";
  readonly memoryId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly error: string;
  readonly willRetry: boolean;
};

export type MemoryCommand =
  | CreateMemory
  | ActivateMemory
  | EditMemory
  | MergeMemory
  | ArchiveMemory
  | RestoreMemory
  | FreezeMemory
  | EraseMemory
  | RevertMemory
  | RecordProcessingFailure;

export type MemoryCommandType = MemoryCommand["type"];
