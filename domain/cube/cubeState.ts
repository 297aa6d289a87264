import type { CubeEvent, CubeOwner } from "./cubeEvents.js";

export interface CubeState {
  readonly cubeId: string;
  readonly name: string;
  readonly owner: CubeOwner;
  readonly description?: string;
  readonly branchedFrom?: { readonly cubeId: string; readonly asOf: string };
  /** Units in registration order. */
  readonly memoryIds: readonly string[];
  readonly rollbacks: number;
  readonly branches: readonly string[];
}

export function evolveCube(state: CubeState | undefined, event: CubeEvent): CubeState | undefined {
  if (event.type === "CubeCreated") {
    const { cubeId, name, owner, description, branchedFrom } = event.data;
    return { cubeId, name, owner, ...(description ? { description } : {}), ...(branchedFrom ? { branchedFrom } : {}), memoryIds: [], rollbacks: 0, branches: [] };
  }
  if (!state) return state;
  switch (event.type) {
    case "CubeMemoryRegistered":
      return state.memoryIds.includes(event.data.memoryId) ? state : { ...state, memoryIds: [...state.memoryIds, event.data.memoryId] };
    case "CubeRolledBack":
      return { ...state, rollbacks: state.rollbacks + 1 };
    case "CubeBranched":
      return { ...state, branches: [...state.branches, event.data.branchCubeId] };
  }
}

export function foldCube(events: Iterable<CubeEvent>): CubeState | undefined {
  let state: CubeState | undefined;
  for (const event of events) state = evolveCube(state, event);
  return state;
}
