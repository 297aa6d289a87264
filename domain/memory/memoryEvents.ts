import type { MemoryAttributes, MemoryContent } from "./memoryContent.js";

/**
 * Domain events of a memory unit (stream `memory-<id>`).
 * `content: null` only appears when reading back events whose data key was
 * destroyed (crypto-shredded); `decide` never emits it.
 * Every event type has a stable name and a schema version (see `memoryEventCatalog`).
 */
export type ShreddableContent = MemoryContent | null;

export type MemoryStatus = "generated" | "activated" | "merged" | "archived" | "frozen" | "erased";

export interface BranchOrigin {
  readonly cubeId: string;
  readonly memoryId: string;
  readonly revision: number;
}

export type MemoryCreated = {
  readonly type: "MemoryCreated";
  readonly data: {
    readonly memoryId: string;
    readonly cubeId: string;
    readonly content: ShreddableContent;
    readonly attributes: MemoryAttributes;
    readonly branchedFrom?: BranchOrigin;
    /** Set when this unit is a transfer's copy (copy or move) of a unit of another cube. */
    readonly copiedFrom?: BranchOrigin;
  };
};

export type MemoryActivated = { readonly type: "MemoryActivated"; readonly data: { readonly memoryId: string } };

/** Carries the whole new content so a fold never needs older events to know it. */
export type MemoryEdited = {
  readonly type: "MemoryEdited";
  readonly data: {
    readonly memoryId: string;
    readonly version: number;
    readonly content: ShreddableContent;
    readonly attributes: MemoryAttributes;
    readonly changedFields: readonly string[];
  };
};

export type MemoryMerged = {
  readonly type: "MemoryMerged";
  readonly data: { readonly memoryId: string; readonly successorId: string };
};

/** Where a moved unit went: its copy in the target cube. */
export interface MoveTarget {
  readonly cubeId: string;
  readonly memoryId: string;
}

/** `movedTo` when the archive is the source side of a move (memory transfer): the link to the copy. */
export type MemoryArchived = { readonly type: "MemoryArchived"; readonly data: { readonly memoryId: string; readonly movedTo?: MoveTarget } };

export type MemoryRestored = { readonly type: "MemoryRestored"; readonly data: { readonly memoryId: string } };

export type FreezeReason = "legal_hold" | "retention" | "other";

export type MemoryFrozen = {
  readonly type: "MemoryFrozen";
  readonly data: { readonly memoryId: string; readonly reason: FreezeReason; readonly note?: string };
};

export type ErasureScope = "memory" | "subject";

export type MemoryErased = {
  readonly type: "MemoryErased";
  readonly data: { readonly memoryId: string; readonly scope: ErasureScope; readonly keyId: string };
};

/**
 * The background work on a generated unit (ingestion: extraction, embedding,
 * indexing) failed. The unit stays generated, with its source data intact, and
 * the job retries; the error is on record instead of the unit silently vanishing.
 */
export type MemoryProcessingFailed = {
  readonly type: "MemoryProcessingFailed";
  readonly data: { readonly memoryId: string; readonly jobId: string; readonly attempt: number; readonly error: string; readonly willRetry: boolean };
};

/** Compensating event: restores the unit as it was at `toRevision`, as a new version. */
export type MemoryReverted = {
  readonly type: "MemoryReverted";
  readonly data: {
    readonly memoryId: string;
    readonly toRevision: number;
    readonly version: number;
    readonly status: Exclude<MemoryStatus, "frozen" | "erased">;
    readonly successorId?: string;
    readonly content: ShreddableContent;
    readonly attributes: MemoryAttributes;
  };
};

export type MemoryEvent =
  | MemoryCreated
  | MemoryActivated
  | MemoryEdited
  | MemoryMerged
  | MemoryArchived
  | MemoryRestored
  | MemoryFrozen
  | MemoryErased
  | MemoryReverted
  | MemoryProcessingFailed;

export type MemoryEventType = MemoryEvent["type"];

/** Stable names and current schema versions; docs/event-catalog.md describes each. */
export const memoryEventCatalog: Readonly<Record<MemoryEventType, { readonly schemaVersion: number; readonly carriesContent: boolean }>> = {
  MemoryCreated: { schemaVersion: 1, carriesContent: true },
  MemoryActivated: { schemaVersion: 1, carriesContent: false },
  MemoryEdited: { schemaVersion: 1, carriesContent: true },
  MemoryMerged: { schemaVersion: 1, carriesContent: false },
  MemoryArchived: { schemaVersion: 1, carriesContent: false },
  MemoryRestored: { schemaVersion: 1, carriesContent: false },
  MemoryFrozen: { schemaVersion: 1, carriesContent: false },
  MemoryErased: { schemaVersion: 1, carriesContent: false },
  MemoryReverted: { schemaVersion: 1, carriesContent: true },
  MemoryProcessingFailed: { schemaVersion: 1, carriesContent: false },
};

export function isMemoryEventType(type: string): type is MemoryEventType {
  return Object.prototype.hasOwnProperty.call(memoryEventCatalog, type);
}

export function memoryStreamId(memoryId: string): string {
  return `memory-${memoryId}`;
}
