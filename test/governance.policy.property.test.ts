import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldAccess, type AccessState, type PrincipalState } from "../domain/governance/accessState.js";
import { authorize, authorizeDelegation, type Resource } from "../domain/governance/authorize.js";
import type { GovernanceEvent } from "../domain/governance/governanceEvents.js";
import { cubeActions, cubePermissions, includesPermission, keyScopes, tenantActions, tenantRoles, type Action, type CubeAction, type KeyScope } from "../domain/governance/permissions.js";

const tenant = "acme";
const sessionIds = ["s1", "s2"] as const;
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
  fc.record({ type: fc.constant("DelegationGranted" as const), data: fc.record({ userId: fc.constantFrom(...principalIds), agentId: fc.constantFrom(...principalIds) }) }),
  fc.record({ type: fc.constant("DelegationRevoked" as const), data: fc.record({ userId: fc.constantFrom(...principalIds), agentId: fc.constantFrom(...principalIds) }) }),
);
const created: GovernanceEvent[] = principalIds.map((principalId) => ({ type: "PrincipalCreated", data: { principalId, kind: "user", roles: [], groups: [] } }));
const history = fc.array(governanceEvent, { maxLength: 30 }).map((events) => [...created, ...events]);

const resource = fc.record({
  tenantId: fc.constantFrom(tenant, "other"),
  cubeId: fc.constantFrom(...cubeIds),
  memory: fc.option(
    fc.record(
      {
        visibility: fc.constantFrom("private" as const, "session" as const, "cube" as const, "tenant" as const, "public" as const),
        authorId: fc.constantFrom(...principalIds),
        userId: fc.constantFrom(...principalIds),
        sessionId: fc.constantFrom(...sessionIds),
      },
      { requiredKeys: ["visibility"] },
    ),
    { nil: undefined },
  ),
}) as fc.Arbitrary<Resource>;
const scopes = fc.option(fc.subarray([...keyScopes], { minLength: 1 }), { nil: undefined });

/** What a request may state besides its credential: a session (X-Session-Id) and a user it acts for (X-On-Behalf-Of). */
interface Stated {
  readonly sessionId?: string;
  readonly onBehalfOf?: string;
}
const stated: fc.Arbitrary<Stated> = fc.record({ sessionId: fc.constantFrom(...sessionIds), onBehalfOf: fc.constantFrom(...principalIds) }, { requiredKeys: [] });

const ask = (access: AccessState, principalId: string, action: Action, target: Resource, keyScopesGiven?: readonly KeyScope[], request: Stated = {}) =>
  authorize({ principal: access.principals[principalId], action, resource: target, access, ...(keyScopesGiven ? { scopes: keyScopesGiven } : {}), ...request });

/** Whether, replaying the history by hand, `userId` has delegated to `agentId` and not taken it back. */
const naiveDelegated = (events: readonly GovernanceEvent[], agentId: string, userId: string): boolean =>
  events.reduce(
    (held, e) =>
      e.type === "DelegationGranted" && e.data.agentId === agentId && e.data.userId === userId ? true : e.type === "DelegationRevoked" && e.data.agentId === agentId && e.data.userId === userId ? false : held,
    false,
  );

/**
 * Visibility by hand: `cube`, `tenant`, `public` are the cube's; `private` and `session` are their author's, their subject's, the
 * cube admins', the delegating user's agent's (as author or subject), and for `session` a request stating that session.
 */
function naiveSeesUnit(events: readonly GovernanceEvent[], principalId: string, target: Resource, request: Stated): boolean {
  const m = target.memory;
  if (m === undefined || m.visibility === "cube" || m.visibility === "tenant" || m.visibility === "public") return true;
  if (naiveCubePermissionHolds(events, principalId, target.cubeId!, "admin")) return true;
  const people = [principalId, ...(request.onBehalfOf !== undefined && naiveDelegated(events, principalId, request.onBehalfOf) ? [request.onBehalfOf] : [])];
  if (people.includes(m.authorId ?? "") || people.includes(m.userId ?? "")) return true;
  return m.visibility === "session" && m.sessionId !== undefined && m.sessionId === request.sessionId;
}

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
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...(Object.keys(cubeActions) as CubeAction[])), resource, stated, (events, principalId, action, target, request) => {
        const access = foldAccess(tenant, events);
        const decision = ask(access, principalId, action, target, undefined, request);
        const expected =
          target.tenantId === tenant &&
          !disabledAt(events, principalId) &&
          naiveCubePermissionHolds(events, principalId, target.cubeId!, cubeActions[action]) &&
          naiveSeesUnit(events, principalId, target, request);
        expect(decision.effect === "allow").toBe(expected);
        if (decision.effect === "deny") expect(decision.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it("answers a private or session unit the caller may not see with not_found for every action, so a write cannot reveal it exists", () => {
    fc.assert(
      fc.property(history, fc.constantFrom(...principalIds), fc.constantFrom(...(Object.keys(cubeActions) as CubeAction[])), resource, stated, (events, principalId, action, target, request) => {
        fc.pre((target.memory?.visibility === "private" || target.memory?.visibility === "session") && target.tenantId === tenant && !disabledAt(events, principalId));
        fc.pre(!naiveSeesUnit(events, principalId, target, request));
        expect(ask(foldAccess(tenant, events), principalId, action, target, undefined, request)).toMatchObject({ effect: "deny", code: "not_found" });
      }),
      { numRuns: 1_000 },
    );
  });

  it("shows a session unit to a request stating its session, and only the unit's own session", () => {
    const events: GovernanceEvent[] = [...created, { type: "CubeAccessGranted", data: { cubeId: "c1", grantee: { kind: "principal", id: "p2" }, permission: "read" } }];
    const access = foldAccess(tenant, events);
    const unit: Resource = { tenantId: tenant, cubeId: "c1", memory: { visibility: "session", authorId: "p1", sessionId: "s1" } };
    expect(ask(access, "p2", "memory.read", unit, undefined, { sessionId: "s1" }).effect).toBe("allow");
    expect(ask(access, "p2", "memory.read", unit, undefined, { sessionId: "s2" })).toMatchObject({ effect: "deny", code: "not_found" });
    expect(ask(access, "p2", "memory.read", unit)).toMatchObject({ effect: "deny", code: "not_found" });
    // The session shows the unit, it grants nothing: without read on the cube it is still a 403.
    expect(ask(access, "p3", "memory.read", unit, undefined, { sessionId: "s1" })).toMatchObject({ effect: "deny", code: "forbidden" });
    // A private unit is not widened by stating a session.
    expect(ask(access, "p2", "memory.read", { ...unit, memory: { ...unit.memory!, visibility: "private" } }, undefined, { sessionId: "s1" })).toMatchObject({ code: "not_found" });
  });

  it("lets an agent see its user's private and session units only while the delegation stands, and never lends the user's grants", () => {
    fc.assert(
      fc.property(history, fc.constantFrom("private" as const, "session" as const), fc.constantFrom(...(Object.keys(cubeActions) as CubeAction[])), (events, visibility, action) => {
        // p1 is the agent, p2 the user; p1 holds exactly the permission the action needs on c1, no role, no group.
        const base: GovernanceEvent[] = [
          ...created,
          ...events
            .slice(created.length)
            .filter((e) => !("principalId" in e.data && e.data.principalId === "p1"))
            .filter((e) => !("grantee" in e.data && (e.data.grantee.id === "p1" || e.data.grantee.kind === "group")))
            .filter((e) => !("agentId" in e.data && e.data.agentId === "p1")),
          { type: "CubeAccessGranted", data: { cubeId: "c1", grantee: { kind: "principal", id: "p1" }, permission: cubeActions[action] === "admin" ? "write" : cubeActions[action] } },
        ];
        fc.pre(cubeActions[action] !== "admin");
        const unit: Resource = { tenantId: tenant, cubeId: "c1", memory: { visibility, authorId: "p3", userId: "p2", sessionId: "s1" } };
        const granted = foldAccess(tenant, [...base, { type: "DelegationGranted", data: { userId: "p2", agentId: "p1" } }]);
        expect(ask(granted, "p1", action, unit, undefined, { onBehalfOf: "p2" }).effect).toBe("allow");
        const revoked = foldAccess(tenant, [...base, { type: "DelegationGranted", data: { userId: "p2", agentId: "p1" } }, { type: "DelegationRevoked", data: { userId: "p2", agentId: "p1" } }]);
        expect(ask(revoked, "p1", action, unit, undefined, { onBehalfOf: "p2" })).toMatchObject({ effect: "deny", code: "not_found" });
        // Naming a user without its delegation shows nothing of theirs.
        expect(ask(foldAccess(tenant, base), "p1", action, unit, undefined, { onBehalfOf: "p2" })).toMatchObject({ effect: "deny", code: "not_found" });
        // The user's admin grant on the cube is not the agent's: a unit of someone else stays hidden.
        const userIsAdmin = foldAccess(tenant, [...base, { type: "DelegationGranted", data: { userId: "p2", agentId: "p1" } }, { type: "CubeAccessGranted", data: { cubeId: "c1", grantee: { kind: "principal", id: "p2" }, permission: "admin" } }]);
        expect(ask(userIsAdmin, "p1", action, { ...unit, memory: { visibility, authorId: "p3", userId: "p3" } }, undefined, { onBehalfOf: "p2" })).toMatchObject({ effect: "deny", code: "not_found" });
      }),
      { numRuns: 300 },
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
