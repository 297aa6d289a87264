import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evolveAccess, foldAccess, type AccessState } from "../domain/governance/accessState.js";
import { decideGovernance } from "../domain/governance/decideGovernance.js";
import type { GovernanceCommand } from "../domain/governance/governanceCommands.js";
import type { GovernanceEvent } from "../domain/governance/governanceEvents.js";
import { cubePermissions, tenantRoles } from "../domain/governance/permissions.js";

const given = (...events: GovernanceEvent[]): AccessState => foldAccess("acme", events);
const alice: GovernanceEvent = { type: "PrincipalCreated", data: { principalId: "alice", kind: "user", roles: ["reader"], groups: [] } };
const planner: GovernanceEvent = { type: "PrincipalCreated", data: { principalId: "planner", kind: "agent", roles: [], groups: [] } };

describe("governance commands: given events, when a command, then events or a refusal", () => {
  it("creates a principal once; a second create with the same id is refused naming it", () => {
    const create: GovernanceCommand = { type: "createPrincipal", principalId: "alice", kind: "user", roles: ["reader", "reader"], groups: [] };
    expect(decideGovernance(given(), create)).toEqual({ kind: "accepted", events: [{ type: "PrincipalCreated", data: { principalId: "alice", kind: "user", roles: ["reader"], groups: [] } }] });
    const again = decideGovernance(given(alice), create);
    expect(again).toMatchObject({ kind: "rejected", error: { _tag: "GovernanceRejected", reason: "already_exists", field: "principalId" } });
  });

  it("refuses ids that could not be stream names or log fields", () => {
    for (const principalId of ["", " bob", "a/b", "x".repeat(129), "cube registry"]) {
      expect(decideGovernance(given(), { type: "createPrincipal", principalId, kind: "user", roles: [], groups: [] })).toMatchObject({ kind: "rejected", error: { reason: "invalid", field: "principalId" } });
    }
  });

  it("grants and revokes roles, keys, cube access and delegations only for known principals", () => {
    expect(decideGovernance(given(), { type: "grantRole", principalId: "ghost", role: "writer" })).toMatchObject({ kind: "rejected", error: { reason: "not_found" } });
    expect(decideGovernance(given(alice), { type: "grantCubeAccess", cubeId: "c1", grantee: { kind: "principal", id: "ghost" }, permission: "read" })).toMatchObject({ kind: "rejected", error: { field: "grantee.id" } });
    // Groups need not exist beforehand: a grant to a group applies to whoever joins it later.
    expect(decideGovernance(given(alice), { type: "grantCubeAccess", cubeId: "c1", grantee: { kind: "group", id: "support" }, permission: "write" })).toMatchObject({ kind: "accepted", events: [{ type: "CubeAccessGranted" }] });
    expect(decideGovernance(given(alice, planner), { type: "grantDelegation", userId: "alice", agentId: "planner" })).toMatchObject({ kind: "accepted", events: [{ type: "DelegationGranted" }] });
    expect(decideGovernance(given(alice, planner), { type: "revokeDelegation", userId: "alice", agentId: "planner" })).toMatchObject({ kind: "rejected", error: { reason: "not_found" } });
  });

  it("issues a key with scopes and an optional expiry, and revokes it once", () => {
    const issue: GovernanceCommand = { type: "issueApiKey", keyId: "k1", principalId: "alice", prefix: "mlk_abc", secretHash: "00", scopes: ["read"], expiresAt: "2027-01-01T00:00:00Z" };
    const issued = decideGovernance(given(alice), issue);
    expect(issued).toMatchObject({ kind: "accepted", events: [{ type: "ApiKeyIssued", data: { keyId: "k1", scopes: ["read"] } }] });
    expect(decideGovernance(given(alice), { ...issue, scopes: [] })).toMatchObject({ kind: "rejected", error: { field: "scopes" } });
    expect(decideGovernance(given(alice), { ...issue, expiresAt: "next week" })).toMatchObject({ kind: "rejected", error: { field: "expiresAt" } });
    const withKey = given(alice, ...(issued.kind === "accepted" ? issued.events : []));
    expect(decideGovernance(withKey, { type: "revokeApiKey", keyId: "k1" })).toMatchObject({ kind: "accepted", events: [{ type: "ApiKeyRevoked" }] });
    expect(decideGovernance(given(alice), { type: "revokeApiKey", keyId: "k1" })).toMatchObject({ kind: "rejected", error: { reason: "not_found" } });
  });

  it("never leaves a tenant without an enabled administrator: the last one cannot be disabled or lose tenant_admin", () => {
    const admin: GovernanceEvent = { type: "PrincipalCreated", data: { principalId: "admin", kind: "admin", roles: [], groups: [] } };
    const boss: GovernanceEvent = { type: "PrincipalCreated", data: { principalId: "boss", kind: "user", roles: ["tenant_admin"], groups: [] } };
    expect(decideGovernance(given(admin, alice), { type: "disablePrincipal", principalId: "admin" })).toMatchObject({ kind: "rejected", error: { reason: "conflict", field: "principalId" } });
    expect(decideGovernance(given(boss), { type: "revokeRole", principalId: "boss", role: "tenant_admin" })).toMatchObject({ kind: "rejected", error: { reason: "conflict" } });
    expect(decideGovernance(given(boss), { type: "disablePrincipal", principalId: "boss" })).toMatchObject({ kind: "rejected", error: { reason: "conflict" } });
    // With a second administrator, either may go.
    expect(decideGovernance(given(admin, boss), { type: "disablePrincipal", principalId: "admin" })).toMatchObject({ kind: "accepted" });
    expect(decideGovernance(given(admin, boss), { type: "revokeRole", principalId: "boss", role: "tenant_admin" })).toMatchObject({ kind: "accepted" });
    // A disabled administrator does not count as the other one.
    const bossDisabled: GovernanceEvent = { type: "PrincipalDisabled", data: { principalId: "boss" } };
    expect(decideGovernance(given(admin, boss, bossDisabled), { type: "disablePrincipal", principalId: "admin" })).toMatchObject({ kind: "rejected" });
  });

  it("is idempotent: a granting command applied twice writes its events once", () => {
    const command = fc.oneof(
      fc.record({ type: fc.constant("grantRole" as const), principalId: fc.constant("alice"), role: fc.constantFrom(...tenantRoles) }),
      fc.record({ type: fc.constant("joinGroup" as const), principalId: fc.constant("alice"), group: fc.constantFrom("g1", "g2") }),
      fc.record({ type: fc.constant("disablePrincipal" as const), principalId: fc.constant("alice") }),
      fc.record({ type: fc.constant("grantCubeAccess" as const), cubeId: fc.constantFrom("c1", "c2"), grantee: fc.constant({ kind: "principal" as const, id: "alice" }), permission: fc.constantFrom(...cubePermissions) }),
    ) as fc.Arbitrary<GovernanceCommand>;
    fc.assert(
      fc.property(fc.array(command, { maxLength: 10 }), (commands) => {
        // Another administrator, so that disabling alice once she is tenant_admin never meets the last-administrator rule.
        let state = given({ type: "PrincipalCreated", data: { principalId: "root", kind: "admin", roles: [], groups: [] } }, alice);
        for (const c of commands) {
          const first = decideGovernance(state, c);
          expect(first.kind).toBe("accepted");
          if (first.kind === "accepted") for (const e of first.events) state = evolveAccess(state, e);
          expect(decideGovernance(state, c)).toEqual({ kind: "accepted", events: [] });
        }
      }),
    );
  });
});
