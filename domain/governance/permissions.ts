/**
 * The vocabulary of authorization: who a principal is, what roles a tenant
 * gives, what a cube grant allows, and the actions every entry point asks about.
 */
export const principalKinds = ["user", "agent", "admin"] as const;
export type PrincipalKind = (typeof principalKinds)[number];

/** Tenant-wide roles. A role applies to every cube of the tenant. */
export const tenantRoles = ["tenant_admin", "writer", "reader", "auditor", "data_protection_officer"] as const;
export type TenantRole = (typeof tenantRoles)[number];

/** Per-cube grants, ordered: admin includes write, write includes read. */
export const cubePermissions = ["read", "write", "admin"] as const;
export type CubePermission = (typeof cubePermissions)[number];

export const includesPermission = (held: CubePermission, needed: CubePermission): boolean =>
  cubePermissions.indexOf(held) >= cubePermissions.indexOf(needed);

/**
 * Every question an entry point asks. Cube-scoped actions need a cube
 * permission; tenant-scoped ones need a role.
 */
export const cubeActions = {
  "memory.read": "read",
  "memory.history": "read",
  "memory.write": "write",
  "cube.read": "read",
  "cube.write": "write",
  "cube.rollback": "admin",
  "cube.branch": "admin",
  "cube.grant": "admin",
  "feed.read": "read",
  "search": "read",
  "cube.configure": "admin",
  // Hot-plug (src/cube/): rename or re-describe, remove (soft, reversible) and reinstate a cube.
  "cube.update": "admin",
  "cube.remove": "admin",
  "cube.reinstate": "admin",
  // A portable export carries every unit (private ones too) and every actor's name: the cube's admins (src/cubeInterchange/).
  "cube.export": "admin",
  // Merge decisions (src/memoryDecisions/): seeing them is reading the cube; reverting, accepting, rejecting and the mode change its units.
  "decision.read": "read",
  "decision.manage": "write",
} as const satisfies Record<string, CubePermission>;
export type CubeAction = keyof typeof cubeActions;

export const tenantActions = {
  "cube.create": ["tenant_admin", "writer"],
  "cube.list": ["tenant_admin", "writer", "reader", "auditor"],
  "principal.manage": ["tenant_admin"],
  "principal.read": ["tenant_admin", "auditor"],
  "readModel.admin": ["tenant_admin"],
  "job.read": ["tenant_admin", "writer", "auditor"],
  "job.retry": ["tenant_admin"],
  "audit.read": ["tenant_admin", "auditor", "data_protection_officer"],
  "subject.erase": ["data_protection_officer"],
  "subject.export": ["data_protection_officer"],
  "hold.place": ["tenant_admin", "data_protection_officer"],
  "hold.release": ["tenant_admin", "data_protection_officer"],
  "hold.read": ["tenant_admin", "data_protection_officer", "auditor"],
  "retention.manage": ["tenant_admin", "data_protection_officer"],
  "memory.readUnredacted": ["data_protection_officer", "tenant_admin"],
  "report.read": ["tenant_admin", "auditor", "data_protection_officer"],
  // Tamper evidence of the shared event log (src/tamperEvidence/): verifying reads it; signing a checkpoint vouches for it.
  "log.verify": ["tenant_admin", "auditor"],
  "log.checkpoint": ["tenant_admin"],
} as const satisfies Record<string, readonly TenantRole[]>;
export type TenantAction = keyof typeof tenantActions;

export type Action = CubeAction | TenantAction;

export const isCubeAction = (action: Action): action is CubeAction => Object.hasOwn(cubeActions, action);

/** Tenant roles that act as a grant on every cube of the tenant. */
export const cubePermissionOfRole: Readonly<Partial<Record<TenantRole, CubePermission>>> = {
  tenant_admin: "admin",
  writer: "write",
  reader: "read",
};

/** What an API key may be used for; a key never widens what its principal holds. */
export const keyScopes = ["read", "write", "admin"] as const;
export type KeyScope = (typeof keyScopes)[number];

/** The scope a request needs: reads need `read`, writes `write`, everything else `admin`. */
export function scopeOf(action: Action): KeyScope {
  if (isCubeAction(action)) return cubeActions[action] === "admin" ? "admin" : cubeActions[action];
  if (action === "cube.list" || action === "job.read" || action === "audit.read" || action === "principal.read" || action === "report.read") return "read";
  if (action === "cube.create") return "write";
  // Reading the holds is a read; placing, releasing and retention policy change what may be erased: admin.
  if (action === "hold.read") return "read";
  if (action === "log.verify") return "read";
  return "admin";
}
