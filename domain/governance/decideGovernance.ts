import type { AccessState, PrincipalState } from "./accessState.js";
import type { GovernanceCommand } from "./governanceCommands.js";
import { GovernanceRejected } from "./governanceErrors.js";
import type { GovernanceEvent } from "./governanceEvents.js";
import { cubePermissions, keyScopes, principalKinds, tenantRoles } from "./permissions.js";
import { isValidTime } from "../memory/validation.js";

/** Principal, group, cube and user ids: printable, no spaces, bounded, so they are safe in stream names and logs. */
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export type GovernanceDecision = { readonly kind: "accepted"; readonly events: readonly GovernanceEvent[] } | { readonly kind: "rejected"; readonly error: GovernanceRejected };

const accepted = (...events: GovernanceEvent[]): GovernanceDecision => ({ kind: "accepted", events });
const rejected = (command: GovernanceCommand, reason: GovernanceRejected["reason"], field: string, why: string): GovernanceDecision => ({
  kind: "rejected",
  error: new GovernanceRejected(command.type, reason, field, why),
});

function invalidField(command: GovernanceCommand): [string, string] | undefined {
  const badId = (field: string, value: unknown): [string, string] | undefined =>
    typeof value === "string" && idPattern.test(value) ? undefined : [field, "must be 1-128 characters: letters, digits and . _ : @ - (starting with a letter or digit)"];
  switch (command.type) {
    case "createPrincipal":
      if (!principalKinds.includes(command.kind)) return ["kind", `must be one of ${principalKinds.join(", ")}`];
      if (command.roles.some((r) => !tenantRoles.includes(r))) return ["roles", `must each be one of ${tenantRoles.join(", ")}`];
      return badId("principalId", command.principalId) ?? command.groups.map((g) => badId("groups", g)).find((x) => x !== undefined);
    case "grantRole":
    case "revokeRole":
      return tenantRoles.includes(command.role) ? badId("principalId", command.principalId) : ["role", `must be one of ${tenantRoles.join(", ")}`];
    case "joinGroup":
    case "leaveGroup":
      return badId("principalId", command.principalId) ?? badId("group", command.group);
    case "disablePrincipal":
    case "enablePrincipal":
      return badId("principalId", command.principalId);
    case "issueApiKey":
      if (command.scopes.length === 0 || command.scopes.some((s) => !keyScopes.includes(s))) return ["scopes", `must be a non-empty list of ${keyScopes.join(", ")}`];
      if (command.expiresAt !== undefined && !isValidTime(command.expiresAt)) return ["expiresAt", "must be an ISO-8601 time with a time zone"];
      return badId("principalId", command.principalId);
    case "revokeApiKey":
      // Key ids are base64url (src/governance/apiKeySecret.ts): they may start with - or _, unlike principal ids.
      return typeof command.keyId === "string" && keyIdPattern.test(command.keyId) ? undefined : ["keyId", "must be a key id: 1-64 characters of A-Z a-z 0-9 - _"];
    case "grantCubeAccess":
    case "revokeCubeAccess":
      if (!cubePermissions.includes(command.permission)) return ["permission", `must be one of ${cubePermissions.join(", ")}`];
      if (command.grantee.kind !== "principal" && command.grantee.kind !== "group") return ["grantee.kind", "must be principal or group"];
      return badId("cubeId", command.cubeId) ?? badId("grantee.id", command.grantee.id);
    case "grantDelegation":
    case "revokeDelegation":
      return badId("userId", command.userId) ?? badId("agentId", command.agentId);
  }
}

/**
 * Governance command + the tenant's access state -> events, or a refusal.
 * Who may issue the command is the policy's question, asked before this one.
 */
/** Whether a principal is an enabled administrator (kind admin, or the tenant_admin role). */
const administers = (p: PrincipalState): boolean => !p.disabled && (p.kind === "admin" || p.roles.includes("tenant_admin"));

/** True when no other enabled administrator would be left if this one were disabled (or lost tenant_admin while not of kind admin). */
function isLastAdministrator(state: AccessState, principalId: string, options: { losingRole?: boolean } = {}): boolean {
  const self = state.principals[principalId]!;
  if (options.losingRole === true && self.kind === "admin") return false;
  return administers(self) && !Object.values(state.principals).some((p) => p.principalId !== principalId && administers(p));
}

const lockedOut = (command: GovernanceCommand, state: AccessState): GovernanceDecision =>
  rejected(command, "conflict", "principalId", `${"principalId" in command ? command.principalId : "?"} is the last enabled administrator of tenant ${state.tenantId}; make another principal tenant_admin first, or nobody could manage the tenant`);

export function decideGovernance(state: AccessState, command: GovernanceCommand): GovernanceDecision {
  const invalid = invalidField(command);
  if (invalid) return rejected(command, "invalid", invalid[0], invalid[1]);
  const principalMissing = (id: string, field = "principalId") =>
    state.principals[id] === undefined ? rejected(command, "not_found", field, `${id} is not a principal of tenant ${state.tenantId}; create it first`) : undefined;

  switch (command.type) {
    case "createPrincipal": {
      if (state.principals[command.principalId] !== undefined) return rejected(command, "already_exists", "principalId", `${command.principalId} already exists in tenant ${state.tenantId}`);
      const { principalId, kind, displayName, roles, groups } = command;
      return accepted({ type: "PrincipalCreated", data: { principalId, kind, ...(displayName !== undefined ? { displayName } : {}), roles: [...new Set(roles)], groups: [...new Set(groups)] } });
    }
    case "grantRole":
    case "revokeRole": {
      const missing = principalMissing(command.principalId);
      if (missing) return missing;
      const has = state.principals[command.principalId]!.roles.includes(command.role);
      if (command.type === "grantRole") return has ? accepted() : accepted({ type: "PrincipalRoleGranted", data: { principalId: command.principalId, role: command.role } });
      if (has && command.role === "tenant_admin" && isLastAdministrator(state, command.principalId, { losingRole: true })) return lockedOut(command, state);
      return has ? accepted({ type: "PrincipalRoleRevoked", data: { principalId: command.principalId, role: command.role } }) : rejected(command, "not_found", "role", `${command.principalId} does not hold ${command.role}`);
    }
    case "joinGroup":
    case "leaveGroup": {
      const missing = principalMissing(command.principalId);
      if (missing) return missing;
      const member = state.principals[command.principalId]!.groups.includes(command.group);
      if (command.type === "joinGroup") return member ? accepted() : accepted({ type: "PrincipalJoinedGroup", data: { principalId: command.principalId, group: command.group } });
      return member ? accepted({ type: "PrincipalLeftGroup", data: { principalId: command.principalId, group: command.group } }) : rejected(command, "not_found", "group", `${command.principalId} is not in ${command.group}`);
    }
    case "disablePrincipal":
    case "enablePrincipal": {
      const missing = principalMissing(command.principalId);
      if (missing) return missing;
      const disabled = state.principals[command.principalId]!.disabled;
      if (command.type === "disablePrincipal" && !disabled && isLastAdministrator(state, command.principalId)) return lockedOut(command, state);
      if (command.type === "disablePrincipal") return disabled ? accepted() : accepted({ type: "PrincipalDisabled", data: { principalId: command.principalId } });
      return disabled ? accepted({ type: "PrincipalEnabled", data: { principalId: command.principalId } }) : accepted();
    }
    case "issueApiKey": {
      const missing = principalMissing(command.principalId);
      if (missing) return missing;
      if (state.keys[command.keyId] !== undefined) return rejected(command, "already_exists", "keyId", `${command.keyId} already exists`);
      const { keyId, principalId, prefix, secretHash, scopes, expiresAt } = command;
      return accepted({ type: "ApiKeyIssued", data: { keyId, principalId, prefix, secretHash, scopes: [...new Set(scopes)], ...(expiresAt !== undefined ? { expiresAt } : {}) } });
    }
    case "revokeApiKey": {
      const key = state.keys[command.keyId];
      if (key === undefined) return rejected(command, "not_found", "keyId", `${command.keyId} is not a key of tenant ${state.tenantId}`);
      return key.revoked ? accepted() : accepted({ type: "ApiKeyRevoked", data: { keyId: command.keyId } });
    }
    case "grantCubeAccess":
    case "revokeCubeAccess": {
      if (command.grantee.kind === "principal") {
        const missing = principalMissing(command.grantee.id, "grantee.id");
        if (missing) return missing;
      }
      const exists = (state.cubeGrants[command.cubeId] ?? []).some((g) => g.permission === command.permission && g.grantee.kind === command.grantee.kind && g.grantee.id === command.grantee.id);
      const data = { cubeId: command.cubeId, grantee: command.grantee, permission: command.permission };
      if (command.type === "grantCubeAccess") return exists ? accepted() : accepted({ type: "CubeAccessGranted", data });
      return exists ? accepted({ type: "CubeAccessRevoked", data }) : rejected(command, "not_found", "grant", `${command.grantee.kind} ${command.grantee.id} holds no ${command.permission} grant on cube ${command.cubeId}`);
    }
    case "grantDelegation":
    case "revokeDelegation": {
      const missing = principalMissing(command.userId, "userId") ?? principalMissing(command.agentId, "agentId");
      if (missing) return missing;
      const exists = (state.delegations[command.agentId] ?? []).includes(command.userId);
      const data = { userId: command.userId, agentId: command.agentId };
      if (command.type === "grantDelegation") return exists ? accepted() : accepted({ type: "DelegationGranted", data });
      return exists ? accepted({ type: "DelegationRevoked", data }) : rejected(command, "not_found", "delegation", `${command.agentId} has no delegation from ${command.userId}`);
    }
  }
}
