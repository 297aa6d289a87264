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
  /** Set while the cube is removed (hot-plug); a reinstatement clears it. */
  readonly removed?: true;
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
    case "CubeUpdated": {
      const { name, description } = event.data;
      const { description: _old, ...rest } = state;
      const nextDescription = description === undefined ? state.description : description === null ? undefined : description;
      return { ...rest, ...(name !== undefined ? { name } : {}), ...(nextDescription !== undefined ? { description: nextDescription } : {}) };
    }
    case "CubeRemoved":
      return { ...state, removed: true };
    case "CubeReinstated": {
      const { removed: _removed, ...live } = state;
      return live;
    }
  }
}

export function foldCube(events: Iterable<CubeEvent>): CubeState | undefined {
  let state: CubeState | undefined;
  for (const event of events) state = evolveCube(state, event);
  return state;
}
