import type { ApiKeyIssued, GovernanceEvent, Grantee } from "./governanceEvents.js";
import type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "./permissions.js";

export interface PrincipalState {
  readonly tenantId: string;
  readonly principalId: string;
  readonly kind: PrincipalKind;
  readonly displayName?: string;
  readonly roles: readonly TenantRole[];
  readonly groups: readonly string[];
  readonly disabled: boolean;
}

export interface ApiKeyState {
  readonly keyId: string;
  readonly principalId: string;
  readonly prefix: string;
  readonly secretHash: string;
  readonly scopes: readonly KeyScope[];
  readonly expiresAt?: string;
  readonly revoked: boolean;
}

export interface CubeGrant {
  readonly grantee: Grantee;
  readonly permission: CubePermission;
}

/** Everything the policy needs to know about one tenant, folded from its governance stream. */
export interface AccessState {
  readonly tenantId: string;
  readonly principals: Readonly<Record<string, PrincipalState>>;
  readonly keys: Readonly<Record<string, ApiKeyState>>;
  readonly cubeGrants: Readonly<Record<string, readonly CubeGrant[]>>;
  /** agentId -> the users it may act for. */
  readonly delegations: Readonly<Record<string, readonly string[]>>;
}

export const emptyAccessState = (tenantId: string): AccessState => ({ tenantId, principals: {}, keys: {}, cubeGrants: {}, delegations: {} });

const withItem = <T>(list: readonly T[], item: T): readonly T[] => (list.includes(item) ? list : [...list, item]);
const withoutItem = <T>(list: readonly T[], item: T): readonly T[] => list.filter((x) => x !== item);
const sameGrant = (a: CubeGrant, b: CubeGrant): boolean => a.permission === b.permission && a.grantee.kind === b.grantee.kind && a.grantee.id === b.grantee.id;

function updatePrincipal(state: AccessState, principalId: string, change: (p: PrincipalState) => PrincipalState): AccessState {
  const principal = state.principals[principalId];
  return principal === undefined ? state : { ...state, principals: { ...state.principals, [principalId]: change(principal) } };
}

function issuedKey(data: ApiKeyIssued["data"]): ApiKeyState {
  return { ...data, revoked: false };
}

/** Facts about unknown principals or keys change nothing: the decider refuses them before they are written. */
export function evolveAccess(state: AccessState, event: GovernanceEvent): AccessState {
  switch (event.type) {
    case "PrincipalCreated": {
      const { principalId, kind, displayName, roles, groups } = event.data;
      const principal: PrincipalState = { tenantId: state.tenantId, principalId, kind, ...(displayName !== undefined ? { displayName } : {}), roles, groups, disabled: false };
      return { ...state, principals: { ...state.principals, [principalId]: principal } };
    }
    case "PrincipalRoleGranted":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, roles: withItem(p.roles, event.data.role) }));
    case "PrincipalRoleRevoked":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, roles: withoutItem(p.roles, event.data.role) }));
    case "PrincipalJoinedGroup":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, groups: withItem(p.groups, event.data.group) }));
    case "PrincipalLeftGroup":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, groups: withoutItem(p.groups, event.data.group) }));
    case "PrincipalDisabled":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, disabled: true }));
    case "PrincipalEnabled":
      return updatePrincipal(state, event.data.principalId, (p) => ({ ...p, disabled: false }));
    case "ApiKeyIssued":
      return { ...state, keys: { ...state.keys, [event.data.keyId]: issuedKey(event.data) } };
    case "ApiKeyRevoked": {
      const key = state.keys[event.data.keyId];
      return key === undefined ? state : { ...state, keys: { ...state.keys, [key.keyId]: { ...key, revoked: true } } };
    }
    case "CubeAccessGranted": {
      const grant: CubeGrant = { grantee: event.data.grantee, permission: event.data.permission };
      const current = state.cubeGrants[event.data.cubeId] ?? [];
      return current.some((g) => sameGrant(g, grant)) ? state : { ...state, cubeGrants: { ...state.cubeGrants, [event.data.cubeId]: [...current, grant] } };
    }
    case "CubeAccessRevoked": {
      const grant: CubeGrant = { grantee: event.data.grantee, permission: event.data.permission };
      const current = state.cubeGrants[event.data.cubeId] ?? [];
      return { ...state, cubeGrants: { ...state.cubeGrants, [event.data.cubeId]: current.filter((g) => !sameGrant(g, grant)) } };
    }
    case "DelegationGranted":
      return { ...state, delegations: { ...state.delegations, [event.data.agentId]: withItem(state.delegations[event.data.agentId] ?? [], event.data.userId) } };
    case "DelegationRevoked":
      return { ...state, delegations: { ...state.delegations, [event.data.agentId]: withoutItem(state.delegations[event.data.agentId] ?? [], event.data.userId) } };
  }
}

export function foldAccess(tenantId: string, events: Iterable<GovernanceEvent>): AccessState {
  let state = emptyAccessState(tenantId);
  for (const event of events) state = evolveAccess(state, event);
  return state;
}
