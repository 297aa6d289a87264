import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldAccess, type AccessState, type PrincipalState } from "../domain/governance/accessState.js";
import { authorize, authorizeDelegation, type Resource } from "../domain/governance/authorize.js";
import type { GovernanceEvent } from "../domain/governance/governanceEvents.js";
import { cubeActions, cubePermissions, includesPermission, keyScopes, tenantActions, tenantRoles, type Action, type CubeAction, type KeyScope } from "../domain/governance/permissions.js";

const tenant = "acme";
const principalIds = ["p1", "p2", "p3"] as const;
const cubeIds = ["c1", "c2"] as const;
const groups = ["g1", "g2"] as const;
const allActions = [...Object.keys(cubeActions), ...Object.keys(tenantActions)] as Action[];

/** Random governance histories over a small universe, so grants, revocations and groups collide often. */
const grantee = fc.oneof(
  fc.record({ kind: fc.constant("principal" as const), id: fc.constantFrom(...principalIds) }),
  fc.record({ kind: fc.constant("group" as const), id: fc.constantFrom(...groups) }),
);
const governanceEvent: fc.Arbitrary<GovernanceEvent> = fc.oneof(
  fc.record({ type: fc.constant("PrincipalRoleGranted" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds), role: fc.constantFrom(...tenantRoles) }) }),
  fc.record({ type: fc.constant("PrincipalRoleRevoked" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds), role: fc.constantFrom(...tenantRoles) }) }),
  fc.record({ type: fc.constant("PrincipalJoinedGroup" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds), group: fc.constantFrom(...groups) }) }),
  fc.record({ type: fc.constant("PrincipalLeftGroup" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds), group: fc.constantFrom(...groups) }) }),
  fc.record({ type: fc.constant("PrincipalDisabled" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds) }) }),
  fc.record({ type: fc.constant("PrincipalEnabled" as const), data: fc.record({ principalId: fc.constantFrom(...principalIds) }) }),
  fc.record({ type: fc.constant("CubeAccessGranted" as const), data: fc.record({ cubeId: fc.constantFrom(...cubeIds), grantee, permission: fc.constantFrom(...cubePermissions) }) }),
  fc.record({ type: fc.constant("CubeAccessRevoked" as const), data: fc.record({ cubeId: fc.constantFrom(...cubeIds), grantee, permission: fc.constantFrom(...cubePermissions) }) }),
);
const created: GovernanceEvent[] = principalIds.map((principalId) => ({ type: "PrincipalCreated", data: { principalId, kind: "user", roles: [], groups: [] } }));
const history = fc.array(governanceEvent, { maxLength: 30 }).map((events) => [...created, ...events]);

const resource = fc.record({
  tenantId: fc.constantFrom(tenant, "other"),
  cubeId: fc.constantFrom(...cubeIds),
  memory: fc.option(
    fc.record({ visibility: fc.constantFrom("private" as const, "cube" as const, "tenant" as const, "public" as const), authorId: fc.constantFrom(...principalIds), userId: fc.constantFrom(...principalIds) }),
    { nil: undefined },
  ),
}) as fc.Arbitrary<Resource>;
const scopes = fc.option(fc.subarray([...keyScopes], { minLength: 1 }), { nil: undefined });

const ask = (access: AccessState, principalId: string, action: Action, target: Resource, keyScopesGiven?: readonly KeyScope[]) =>
  authorize({ principal: access.principals[principalId], action, resource: target, access, ...(keyScopesGiven ? { scopes: keyScopesGiven } : {}) });

/** An independent, naive statement of who may touch a cube: replay the history, track each grant by hand. */
function naiveCubePermissionHolds(events: readonly GovernanceEvent[], principalId: string, cubeId: string, needed: "read" | "write" | "admin"): boolean {
  const roles = new Set<string>();
  const memberOf = new Set<string>();
  const grants = new Set<string>();
  for (const e of events) {
    if (e.type === "PrincipalRoleGranted" && e.data.principalId === principalId) roles.add(e.data.role);
    if (e.type === "PrincipalRoleRevoked" && e.data.principalId === principalId) roles.delete(e.data.role);
    if (e.type === "PrincipalJoinedGroup" && e.data.principalId === principalId) memberOf.add(e.data.group);
    if (e.type === "PrincipalLeftGroup" && e.data.principalId === principalId) memberOf.delete(e.data.group);
    if (e.type === "CubeAccessGranted" && e.data.cubeId === cubeId) grants.add(`${e.data.grantee.kind}:${e.data.grantee.id}:${e.data.permission}`);
    if (e.type === "CubeAccessRevoked" && e.data.cubeId === cubeId) grants.delete(`${e.data.grantee.kind}:${e.data.grantee.id}:${e.data.permission}`);
  }
  const rolePermission = roles.has("tenant_admin") ? "admin" : roles.has("writer") ? "write" : roles.has("reader") ? "read" : undefined;
  const held = [rolePermission, ...[...grants].filter((g) => g.startsWith(`principal:${principalId}:`) || [...memberOf].some((m) => g.startsWith(`group:${m}:`))).map((g) => g.split(":")[2])];
  return held.some((p) => p !== undefined && includesPermission(p as "read" | "write" | "admin", needed));
}

const disabledAt = (events: readonly GovernanceEvent[], principalId: string): boolean =>
  events.reduce((disabled, e) => (e.type === "PrincipalDisabled" && e.data.principalId === principalId ? true : e.type === "PrincipalEnabled" && e.data.principalId === principalId ? false : disabled), false);

describe("the policy decision point", () => {
  it("allows a cube action exactly when the history grants enough, by role, own grant or group, and never across tenants", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...(Object.keys(cubeActions) as CubeAction[])), resource, (events, principalId, action, target) => {
        const access = foldAccess(tenant, events);
        const decision = ask(access, principalId, action, target);
        const expected =
          target.tenantId === tenant &&
          !disabledAt(events, principalId) &&
          naiveCubePermissionHolds(events, principalId, target.cubeId!, cubeActions[action]) &&
          (target.memory?.visibility !== "private" || target.memory.authorId === principalId || target.memory.userId === principalId || naiveCubePermissionHolds(events, principalId, target.cubeId!, "admin"));
        expect(decision.effect === "allow").toBe(expected);
        if (decision.effect === "deny") expect(decision.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it("answers a private unit the caller may not see with not_found for every action, so a write cannot reveal it exists", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...(Object.keys(cubeActions) as CubeAction[])), resource, (events, principalId, action, target) => {
        fc.pre(target.memory?.visibility === "private" && target.memory.authorId !== principalId && target.memory.userId !== principalId && !disabledAt(events, principalId));
        fc.pre(!naiveCubePermissionHolds(events, principalId, target.cubeId!, "admin"));
        expect(ask(foldAccess(tenant, events), principalId, action, target)).toMatchObject({ effect: "deny", code: "not_found" });
      }),
      { numRuns: 1_000 },
    );
  });

  it("never lets another tenant's resource be seen to exist", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...allActions), resource, (events, principalId, action, target) => {
        const access = foldAccess(tenant, events);
        const decision = ask(access, principalId, action, { ...target, tenantId: "other" });
        expect(decision.effect).toBe("deny");
        if (!disabledAt(events, principalId)) expect(decision).toMatchObject({ code: "not_found" });
      }),
    );
  });

  it("takes a revocation into account on the very next decision", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...cubeIds), (events, principalId, cubeId) => {
        const revoked: GovernanceEvent[] = [
          ...events,
          ...tenantRoles.map((role) => ({ type: "PrincipalRoleRevoked" as const, data: { principalId, role } })),
          ...groups.map((group) => ({ type: "PrincipalLeftGroup" as const, data: { principalId, group } })),
          ...cubePermissions.map((p) => ({ type: "CubeAccessRevoked" as const, data: { cubeId, grantee: { kind: "principal" as const, id: principalId }, permission: p } })),
        ];
        const access = foldAccess(tenant, revoked);
        expect(ask(access, principalId, "memory.read", { tenantId: tenant, cubeId }).effect).toBe("deny");
      }),
    );
  });

  it("never lets a key do more than its scopes, nor more than its principal may", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...allActions), resource, scopes, (events, principalId, action, target, keyScopesGiven) => {
        const access = foldAccess(tenant, events);
        const withKey = ask(access, principalId, action, target, keyScopesGiven);
        const withoutKey = ask(access, principalId, action, target);
        if (withKey.effect === "allow") expect(withoutKey.effect).toBe("allow");
        if (keyScopesGiven !== undefined && keyScopesGiven.every((s) => s === "read") && (action === "memory.write" || action === "cube.create" || action === "subject.erase")) {
          expect(withKey.effect).toBe("deny");
        }
      }),
    );
  });

  it("denies every action to an unknown or disabled principal, as unauthenticated", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...allActions), resource, (events, action, target) => {
        const access = foldAccess(tenant, [...events, { type: "PrincipalDisabled", data: { principalId: "p1" } }]);
        expect(ask(access, "p1", action, target)).toMatchObject({ effect: "deny", code: "unauthenticated" });
        expect(ask(access, "nobody", action, target)).toMatchObject({ effect: "deny", code: "unauthenticated" });
      }),
    );
  });

  it("gives tenant actions by role only, and every role of an admin principal", () => {
    const access = foldAccess(tenant, [
      { type: "PrincipalCreated", data: { principalId: "root", kind: "admin", roles: [], groups: [] } },
      { type: "PrincipalCreated", data: { principalId: "dpo", kind: "user", roles: ["data_protection_officer"], groups: [] } },
      { type: "PrincipalCreated", data: { principalId: "w", kind: "user", roles: ["writer"], groups: [] } },
    ]);
    for (const action of Object.keys(tenantActions) as Action[]) expect(ask(access, "root", action, { tenantId: tenant }).effect).toBe("allow");
    expect(ask(access, "dpo", "subject.erase", { tenantId: tenant }).effect).toBe("allow");
    expect(ask(access, "w", "subject.erase", { tenantId: tenant })).toMatchObject({ effect: "deny", code: "forbidden", reason: expect.stringContaining("data_protection_officer") });
    expect(ask(access, "w", "cube.create", { tenantId: tenant }).effect).toBe("allow");
  });

  it("lets an agent act for a user only with that user's delegation", () => {
    const events: GovernanceEvent[] = [
      { type: "PrincipalCreated", data: { principalId: "planner", kind: "agent", roles: ["writer"], groups: [] } },
      { type: "DelegationGranted", data: { userId: "alice", agentId: "planner" } },
    ];
    const withDelegation = foldAccess(tenant, events);
    const planner: PrincipalState = withDelegation.principals["planner"]!;
    expect(authorizeDelegation(planner, "alice", withDelegation).effect).toBe("allow");
    expect(authorizeDelegation(planner, "bob", withDelegation).effect).toBe("deny");
    const revoked = foldAccess(tenant, [...events, { type: "DelegationRevoked", data: { userId: "alice", agentId: "planner" } }]);
    expect(authorizeDelegation(planner, "alice", revoked).effect).toBe("deny");
  });
});
