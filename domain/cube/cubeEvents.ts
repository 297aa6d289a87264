/**
 * Cube-level facts (stream `cube-<id>`) and the tenant's cube registry
 * (stream `cube-registry-<tenant>`). A cube groups memory units for a user,
 * an agent, a session or a project.
 */
export type CubeOwnerKind = "user" | "agent" | "session" | "project";

export interface CubeOwner {
  readonly kind: CubeOwnerKind;
  readonly id: string;
}

export type CubeCreated = {
  readonly type: "CubeCreated";
  readonly data: {
    readonly cubeId: string;
    readonly name: string;
    readonly owner: CubeOwner;
    readonly description?: string;
    /** Set when this cube is a what-if branch of another cube. */
    readonly branchedFrom?: { readonly cubeId: string; readonly asOf: string };
  };
};

/** Written before the unit's own stream so a cube can always list its units. */
export type CubeMemoryRegistered = {
  readonly type: "CubeMemoryRegistered";
  readonly data: { readonly cubeId: string; readonly memoryId: string };
};

export interface RollbackOutcome {
  readonly memoryId: string;
  readonly action: "reverted" | "archived" | "unchanged" | "skipped";
  readonly toRevision?: number;
  readonly why?: string;
}

export type CubeRolledBack = {
  readonly type: "CubeRolledBack";
  readonly data: { readonly cubeId: string; readonly toTime: string; readonly outcomes: readonly RollbackOutcome[] };
};

export type CubeBranched = {
  readonly type: "CubeBranched";
  readonly data: { readonly cubeId: string; readonly branchCubeId: string; readonly asOf: string; readonly memoryMap: Readonly<Record<string, string>> };
};

/** Hot-plug: a new name or description; only the fields given change (`description: null` clears it). */
export type CubeUpdated = {
  readonly type: "CubeUpdated";
  readonly data: { readonly cubeId: string; readonly name?: string; readonly description?: string | null };
};

/**
 * Hot-plug: the cube is unplugged. Soft and reversible: nothing is deleted, its
 * units stay in the log and the read models, but lists, reads, searches and
 * writes refuse it until a CubeReinstated. Erasure is separate and still works.
 */
export type CubeRemoved = { readonly type: "CubeRemoved"; readonly data: { readonly cubeId: string } };

/** Hot-plug: a removed cube is plugged back in, every unit as it was. */
export type CubeReinstated = { readonly type: "CubeReinstated"; readonly data: { readonly cubeId: string } };

export type CubeEvent = CubeCreated | CubeMemoryRegistered | CubeRolledBack | CubeBranched | CubeUpdated | CubeRemoved | CubeReinstated;

export type CubeRegistered = {
  readonly type: "CubeRegistered";
  readonly data: { readonly cubeId: string };
};

export const cubeEventCatalog = {
  CubeCreated: { schemaVersion: 1 },
  CubeMemoryRegistered: { schemaVersion: 1 },
  CubeRolledBack: { schemaVersion: 1 },
  CubeBranched: { schemaVersion: 1 },
  CubeRegistered: { schemaVersion: 1 },
  CubeUpdated: { schemaVersion: 1 },
  CubeRemoved: { schemaVersion: 1 },
  CubeReinstated: { schemaVersion: 1 },
} as const;

export const cubeStreamId = (cubeId: string): string => `cube-${cubeId}`;
export const cubeRegistryStreamId = (tenantId: string): string => `cube-registry-${tenantId}`;

/** Cube ids starting with this would name a tenant's registry stream (`cube-registry-<tenant>`), not a cube's. */
export const reservedCubeIdPrefix = "registry-";

/** Why a caller-chosen cube id cannot be used, or undefined when it can. */
export function cubeIdProblem(cubeId: string): string | undefined {
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(cubeId)) return "must be 1-128 printable letters, digits or _ . : -";
  if (cubeId.startsWith(reservedCubeIdPrefix)) {
    return `must not start with "${reservedCubeIdPrefix}": cube ${cubeId} would share the stream of tenant ${cubeId.slice(reservedCubeIdPrefix.length)}'s cube registry; pick another id or omit it to get a fresh one`;
  }
  return undefined;
}
