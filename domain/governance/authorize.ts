import type { Visibility } from "../memory/memoryContent.js";
import type { AccessState, PrincipalState } from "./accessState.js";
import {
  cubeActions,
  cubePermissionOfRole,
  includesPermission,
  isCubeAction,
  keyScopes,
  scopeOf,
  tenantActions,
  type Action,
  type CubePermission,
  type KeyScope,
  type TenantRole,
} from "./permissions.js";

/** What is being touched. A memory carries what visibility needs to know. */
export interface Resource {
  readonly tenantId: string;
  readonly cubeId?: string;
  readonly memory?: { readonly visibility: Visibility; readonly authorId?: string; readonly userId?: string; readonly sessionId?: string };
}

export interface AuthorizationRequest {
  /** Undefined when the credential did not resolve to anyone. */
  readonly principal: PrincipalState | undefined;
  /** The scopes of the credential used; absent for in-process (library) callers. */
  readonly scopes?: readonly KeyScope[];
  readonly action: Action;
  readonly resource: Resource;
  /** The principal's tenant, folded (as of now, or as of the moment asked about). */
  readonly access: AccessState;
  /** The session the request states (`X-Session-Id`): `session` units of that session are visible to it. */
  readonly sessionId?: string;
  /** The user an agent says it acts for: that user's own private and session units count as the agent's, under a live delegation only. */
  readonly onBehalfOf?: string;
}

/**
 * `not_found` hides that a resource exists from someone who may not know it
 * (another tenant, a private unit); `forbidden` names what is missing.
 */
export type AccessDecision =
  | { readonly effect: "allow"; readonly reason: string }
  | { readonly effect: "deny"; readonly code: "unauthenticated" | "not_found" | "forbidden"; readonly reason: string };

const allow = (reason: string): AccessDecision => ({ effect: "allow", reason });
const deny = (code: "unauthenticated" | "not_found" | "forbidden", reason: string): AccessDecision => ({ effect: "deny", code, reason });

/** `admin` principals hold every tenant role. */
export function effectiveRoles(principal: PrincipalState): readonly TenantRole[] {
  return principal.kind === "admin" ? ["tenant_admin", "writer", "reader", "auditor", "data_protection_officer"] : principal.roles;
}

/** The strongest permission a principal holds on a cube, from its roles, its own grants and its groups' grants. */
export function cubePermissionOf(principal: PrincipalState, cubeId: string, access: AccessState): CubePermission | undefined {
  let best: CubePermission | undefined;
  const consider = (permission: CubePermission | undefined) => {
    if (permission !== undefined && (best === undefined || includesPermission(permission, best))) best = permission;
  };
  for (const role of effectiveRoles(principal)) consider(cubePermissionOfRole[role]);
  for (const grant of access.cubeGrants[cubeId] ?? []) {
    const mine = grant.grantee.kind === "principal" ? grant.grantee.id === principal.principalId : principal.groups.includes(grant.grantee.id);
    if (mine) consider(grant.permission);
  }
  return best;
}

const scopeAllows = (scopes: readonly KeyScope[], needed: KeyScope): boolean =>
  scopes.some((scope) => keyScopes.indexOf(scope) >= keyScopes.indexOf(needed));

/**
 * The one policy decision point: pure, deny-overrides, every reason in words.
 * Every entry point (REST, CLI, library, MCP, UI) asks it before acting.
 */
export function authorize(request: AuthorizationRequest): AccessDecision {
  const { principal, action, resource, access } = request;
  if (principal === undefined) return deny("unauthenticated", "no valid credential was given");
  if (principal.disabled) return deny("unauthenticated", `principal ${principal.principalId} is disabled`);
  if (principal.tenantId !== access.tenantId) return deny("unauthenticated", `principal ${principal.principalId} is not known in tenant ${access.tenantId}`);
  // Another tenant's resources do not exist for this principal.
  if (resource.tenantId !== principal.tenantId) return deny("not_found", `no such resource in tenant ${principal.tenantId}`);
  if (request.scopes !== undefined && !scopeAllows(request.scopes, scopeOf(action))) {
    return deny("forbidden", `${action} needs a credential with the ${scopeOf(action)} scope; this one has [${request.scopes.join(", ")}]`);
  }
  if (!isCubeAction(action)) {
    const allowed: readonly TenantRole[] = tenantActions[action];
    const held = effectiveRoles(principal).find((role) => allowed.includes(role));
    return held !== undefined ? allow(`role ${held} allows ${action}`) : deny("forbidden", `${action} needs one of the roles ${allowed.join(", ")}`);
  }
  if (resource.cubeId === undefined) return deny("forbidden", `${action} needs a cube`);
  const needed = cubeActions[action];
  const held = cubePermissionOf(principal, resource.cubeId, access);
  // A unit the caller may not see does not exist for it, whatever it asks to do with it (a 403 on a write would tell it the unit is there).
  if (resource.memory !== undefined && !seesUnit(request, resource.memory, held)) return deny("not_found", "no such memory");
  if (held === undefined) return deny("forbidden", `${action} needs the ${needed} permission on cube ${resource.cubeId}; principal ${principal.principalId} has none`);
  if (!includesPermission(held, needed)) return deny("forbidden", `${action} needs the ${needed} permission on cube ${resource.cubeId}; principal ${principal.principalId} has ${held}`);
  return allow(`${held} on cube ${resource.cubeId} allows ${action}`);
}

/** Visibilities that hide a unit from the cube's readers who are not among its people. */
export const personalVisibilities: readonly Visibility[] = ["private", "session"];

/**
 * Whether a unit exists for the caller (its cube permission is checked apart).
 * `private`: its author, its subject (`userId`) and the cube's admins; `session`:
 * those, and a request stating the unit's session. An agent acting for a user
 * under a live delegation is the user here, as author or subject only: the
 * delegation lends the user's name, never the user's grants. `cube`, `tenant`
 * and `public` units are every cube reader's (docs/governance.md, "Visibility").
 */
export function seesUnit(request: Pick<AuthorizationRequest, "principal" | "access" | "sessionId" | "onBehalfOf">, memory: NonNullable<Resource["memory"]>, held: CubePermission | undefined): boolean {
  if (!personalVisibilities.includes(memory.visibility)) return true;
  if (held === "admin") return true;
  const principal = request.principal;
  if (principal === undefined) return false;
  const people = [principal.principalId];
  if (request.onBehalfOf !== undefined && request.onBehalfOf !== principal.principalId && authorizeDelegation(principal, request.onBehalfOf, request.access).effect === "allow") {
    people.push(request.onBehalfOf);
  }
  if ((memory.authorId !== undefined && people.includes(memory.authorId)) || (memory.userId !== undefined && people.includes(memory.userId))) return true;
  return memory.visibility === "session" && memory.sessionId !== undefined && request.sessionId !== undefined && memory.sessionId === request.sessionId;
}

/** An agent may name a user it acts for only with that user's delegation; both are then recorded. */
export function authorizeDelegation(agent: PrincipalState, userId: string, access: AccessState): AccessDecision {
  if (agent.principalId === userId) return allow("a principal acts for itself");
  return (access.delegations[agent.principalId] ?? []).includes(userId)
    ? allow(`user ${userId} delegated to ${agent.principalId}`)
    : deny("forbidden", `principal ${agent.principalId} has no delegation from user ${userId}`);
}
