import type { ErasureDeferred, HoldEvent, HoldPlaced, HoldReleased } from "./holdEvents.js";

export type Hold = HoldPlaced["data"] & { readonly released?: HoldReleased["data"] };
export type PendingErasure = ErasureDeferred["data"];

/** A tenant's holds (active and released, by id) and the erasures still waiting for a release. */
export interface HoldState {
  readonly holds: ReadonlyMap<string, Hold>;
  readonly pending: ReadonlyMap<string, PendingErasure>;
}

export const initialHoldState: HoldState = { holds: new Map(), pending: new Map() };

export function evolveHolds(state: HoldState, event: HoldEvent): HoldState {
  switch (event.type) {
    case "HoldPlaced":
      return { ...state, holds: new Map(state.holds).set(event.data.holdId, { ...event.data }) };
    case "HoldReleased": {
      const hold = state.holds.get(event.data.holdId);
      if (hold === undefined) return state;
      return { ...state, holds: new Map(state.holds).set(event.data.holdId, { ...hold, released: event.data }) };
    }
    case "ErasureDeferred":
      return { ...state, pending: new Map(state.pending).set(event.data.erasureId, event.data) };
    case "DeferredErasureCompleted": {
      const pending = new Map(state.pending);
      pending.delete(event.data.erasureId);
      return { ...state, pending };
    }
  }
}

export const foldHolds = (events: readonly HoldEvent[], from: HoldState = initialHoldState): HoldState => events.reduce(evolveHolds, from);

export const activeHolds = (state: HoldState): readonly Hold[] => [...state.holds.values()].filter((h) => h.released === undefined);

/** Where a unit sits, as far as holds care. */
export interface HeldUnit {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly subjectId?: string;
}

/** The active holds that bind a unit: on itself, on its cube, or on its data subject. */
export function holdsCovering(state: HoldState, unit: HeldUnit): readonly Hold[] {
  return activeHolds(state).filter(
    (h) =>
      (h.scope.kind === "memory" && h.scope.id === unit.memoryId) ||
      (h.scope.kind === "cube" && h.scope.id === unit.cubeId) ||
      (h.scope.kind === "subject" && unit.subjectId !== undefined && h.scope.id === unit.subjectId),
  );
}

/** The erasure already waiting for this unit, so a second refused request adds no second one. */
export const pendingErasureOf = (state: HoldState, memoryId: string): PendingErasure | undefined =>
  [...state.pending.values()].find((p) => p.memoryId === memoryId);
