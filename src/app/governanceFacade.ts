import type { AccessState, ApiKeyState, PrincipalState } from "../../domain/governance/accessState.js";
import type { Resource } from "../../domain/governance/authorize.js";
import type { GovernanceCommand } from "../../domain/governance/governanceCommands.js";
import { GovernanceRejected } from "../../domain/governance/governanceErrors.js";
import { keyScopes, type Action, type KeyScope } from "../../domain/governance/permissions.js";
import type { AsOf } from "../../projections/asOf.js";
import { cubeNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import type { ApiKeyView, GovernanceApi } from "./ledgerApi.js";
import { Forbidden } from "../governance/governanceErrors.js";
import type { IssuedKey } from "../governance/governanceService.js";

/** The governance service as promises, for one facade. */
export interface GovernanceOps {
  access(tenantId: string, asOf?: AsOf): Promise<AccessState>;
  execute(tenantId: string, command: GovernanceCommand, ctx: CommandContext): Promise<void>;
  issueKey(tenantId: string, request: { principalId: string; scopes: IssuedKey["scopes"]; expiresAt?: string }, ctx: CommandContext): Promise<IssuedKey>;
  tenantOfCube(cubeId: string): Promise<string | undefined>;
}

/** Who is calling, and how their permission is checked: the policy gate for a principal, nothing for trusted code. */
export interface GovernanceCaller<Ctx> {
  readonly tenantId: string;
  readonly principalId: string;
  self(): Promise<PrincipalState>;
  /** The scopes of the credential in use; absent for trusted code. */
  readonly scopes?: readonly KeyScope[];
  /** Throws the error the entry point answers (401, 403 or the resource's 404). */
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
}

const keyView = (key: ApiKeyState): ApiKeyView => ({
  keyId: key.keyId,
  principalId: key.principalId,
  prefix: key.prefix,
  scopes: key.scopes,
  ...(key.expiresAt !== undefined ? { expiresAt: key.expiresAt } : {}),
  revoked: key.revoked,
});

const principalNotFound = (tenantId: string, principalId: string, command = "principal") =>
  new GovernanceRejected(command, "not_found", "principalId", `${principalId} is not a principal of tenant ${tenantId}; list principals to find its id`);

/**
 * Principals, keys, grants and delegations of one tenant. Managing principals
 * and keys needs `principal.manage` (tenant admins); a principal may read
 * itself and manage its own keys; a cube's grants are its admins' to give.
 */
export function governanceFacade<Ctx>(ops: GovernanceOps, caller: GovernanceCaller<Ctx>): GovernanceApi<Ctx> {
  const { tenantId } = caller;
  const tenant: Resource = { tenantId };
  const noSuch = () => new Error("unreachable: a tenant resource is never hidden");
  const isSelf = (principalId: string) => principalId === caller.principalId;
  const principalNow = async (principalId: string, asOf?: AsOf): Promise<PrincipalState> => {
    const principal = (await ops.access(tenantId, asOf)).principals[principalId];
    if (principal === undefined) throw principalNotFound(tenantId, principalId);
    return principal;
  };
  const manage = async (command: GovernanceCommand & { principalId: string }, options?: Ctx) => {
    await caller.check("principal.manage", tenant, noSuch);
    await ops.execute(tenantId, command, caller.ctxOf(options));
    return principalNow(command.principalId);
  };
  const cube = async (cubeId: string): Promise<Resource> => {
    const owner = await ops.tenantOfCube(cubeId);
    if (owner === undefined) throw cubeNotFound(cubeId);
    return { tenantId: owner, cubeId };
  };
  const grantsOf = async (cubeId: string) => (await ops.access(tenantId)).cubeGrants[cubeId] ?? [];
  const keyOf = async (keyId: string): Promise<ApiKeyState> => {
    const key = (await ops.access(tenantId)).keys[keyId];
    if (key === undefined) throw new GovernanceRejected("revokeApiKey", "not_found", "keyId", `${keyId} is not a key of tenant ${tenantId}; list keys to find its id`);
    return key;
  };
  // Delegating is the user's own act, or a tenant admin's.
  const delegation = async (type: "grantDelegation" | "revokeDelegation", userId: string, agentId: string, options?: Ctx) => {
    if (!isSelf(userId)) await caller.check("principal.manage", tenant, noSuch);
    await ops.execute(tenantId, { type, userId, agentId }, caller.ctxOf(options));
  };

  return {
    whoAmI: () => caller.self(),
    principals: async (asOf) => {
      await caller.check("principal.read", tenant, noSuch);
      return Object.values((await ops.access(tenantId, asOf)).principals);
    },
    principal: async (principalId, asOf) => {
      if (!isSelf(principalId)) await caller.check("principal.read", tenant, noSuch);
      return principalNow(principalId, asOf);
    },
    createPrincipal: async (input, options) => {
      await caller.check("principal.manage", tenant, noSuch);
      await ops.execute(
        tenantId,
        { type: "createPrincipal", principalId: input.principalId, kind: input.kind, ...(input.displayName !== undefined ? { displayName: input.displayName } : {}), roles: input.roles ?? [], groups: input.groups ?? [] },
        caller.ctxOf(options),
      );
      return principalNow(input.principalId);
    },
    grantRole: (principalId, role, options) => manage({ type: "grantRole", principalId, role }, options),
    revokeRole: (principalId, role, options) => manage({ type: "revokeRole", principalId, role }, options),
    joinGroup: (principalId, group, options) => manage({ type: "joinGroup", principalId, group }, options),
    leaveGroup: (principalId, group, options) => manage({ type: "leaveGroup", principalId, group }, options),
    disable: (principalId, options) => manage({ type: "disablePrincipal", principalId }, options),
    enable: (principalId, options) => manage({ type: "enablePrincipal", principalId }, options),
    issueKey: async (principalId, request, options) => {
      // A principal may hold several keys of its own (to rotate); a key never does more than its principal.
      if (!isSelf(principalId)) await caller.check("principal.manage", tenant, noSuch);
      else {
        await caller.self();
        // A key mints no key wider than itself: a read key cannot make itself a write or admin key.
        const widest = Math.max(...(caller.scopes ?? keyScopes).map((scope) => keyScopes.indexOf(scope)));
        const wider = request.scopes.filter((scope) => keyScopes.indexOf(scope) > widest);
        if (wider.length > 0) {
          throw new Forbidden({ action: "principal.issueKey", principalId: caller.principalId, message: `a key with scopes [${(caller.scopes ?? []).join(", ")}] cannot issue a key with the wider scope(s) [${wider.join(", ")}]; ask a tenant admin` });
        }
      }
      return ops.issueKey(tenantId, { principalId, scopes: request.scopes, ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}) }, caller.ctxOf(options));
    },
    keys: async (principalId) => {
      if (principalId === undefined || !isSelf(principalId)) await caller.check("principal.read", tenant, noSuch);
      const keys = Object.values((await ops.access(tenantId)).keys);
      return keys.filter((key) => principalId === undefined || key.principalId === principalId).map(keyView);
    },
    revokeKey: async (keyId, options) => {
      const key = await keyOf(keyId);
      if (!isSelf(key.principalId)) await caller.check("principal.manage", tenant, noSuch);
      await ops.execute(tenantId, { type: "revokeApiKey", keyId }, caller.ctxOf(options));
      return keyView(await keyOf(keyId));
    },
    cubeGrants: async (cubeId, asOf) => {
      await caller.check("cube.grant", await cube(cubeId), () => cubeNotFound(cubeId));
      return (await ops.access(tenantId, asOf)).cubeGrants[cubeId] ?? [];
    },
    grantCube: async (cubeId, grantee, permission, options) => {
      await caller.check("cube.grant", await cube(cubeId), () => cubeNotFound(cubeId));
      await ops.execute(tenantId, { type: "grantCubeAccess", cubeId, grantee, permission }, caller.ctxOf(options));
      return grantsOf(cubeId);
    },
    revokeCube: async (cubeId, grantee, permission, options) => {
      await caller.check("cube.grant", await cube(cubeId), () => cubeNotFound(cubeId));
      await ops.execute(tenantId, { type: "revokeCubeAccess", cubeId, grantee, permission }, caller.ctxOf(options));
      return grantsOf(cubeId);
    },
    delegate: (userId, agentId, options) => delegation("grantDelegation", userId, agentId, options),
    revokeDelegation: (userId, agentId, options) => delegation("revokeDelegation", userId, agentId, options),
  };
}
