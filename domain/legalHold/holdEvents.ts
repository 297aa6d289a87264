/**
 * Legal holds of one tenant (stream `hold-<tenant>`): holds placed and released,
 * and erasures that a hold made wait (GDPR art. 17(3)(e)). Ids and reasons only,
 * never personal content, so the stream outlives every erasure it defers.
 */

export const holdScopeKinds = ["memory", "cube", "subject"] as const;
export type HoldScopeKind = (typeof holdScopeKinds)[number];

/** What a hold covers: one unit, every unit of a cube, or every unit of a data subject. */
export interface HoldScope {
  readonly kind: HoldScopeKind;
  readonly id: string;
}

export type HoldPlaced = {
  readonly type: "HoldPlaced";
  readonly data: { readonly holdId: string; readonly scope: HoldScope; readonly reason: string; readonly placedBy: string; readonly placedAt: string };
};

export type HoldReleased = {
  readonly type: "HoldReleased";
  readonly data: { readonly holdId: string; readonly reason: string; readonly releasedBy: string; readonly releasedAt: string };
};

/** An erasure refused because holds covered the unit; it runs when the last of them is released. */
export type ErasureDeferred = {
  readonly type: "ErasureDeferred";
  readonly data: {
    readonly erasureId: string;
    readonly memoryId: string;
    /** `subject` when a subject erasure asked for it: the unit is then erased as part of that subject. */
    readonly scope: "memory" | "subject";
    readonly subjectId?: string;
    readonly requestedBy: string;
    readonly requestedAt: string;
    readonly reason: string;
    readonly holdIds: readonly string[];
  };
};

/** The deferred erasure ran (or found the unit already erased). */
export type DeferredErasureCompleted = {
  readonly type: "DeferredErasureCompleted";
  readonly data: { readonly erasureId: string; readonly memoryId: string; readonly completedAt: string };
};

export type HoldEvent = HoldPlaced | HoldReleased | ErasureDeferred | DeferredErasureCompleted;

export const holdEventCatalog = {
  HoldPlaced: { schemaVersion: 1 },
  HoldReleased: { schemaVersion: 1 },
  ErasureDeferred: { schemaVersion: 1 },
  DeferredErasureCompleted: { schemaVersion: 1 },
} as const satisfies Record<HoldEvent["type"], { schemaVersion: number }>;

export const holdStreamId = (tenantId: string): string => `hold-${tenantId}`;
