import type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "./permissions.js";

/**
 * Identity and access facts of one tenant (stream `governance-<tenant>`), so
 * "who could read this cube on 3 March" is an as-of fold like any other.
 * API keys appear only as a public prefix and a hash; the secret is never an event.
 */
export type PrincipalCreated = {
  readonly type: "PrincipalCreated";
  readonly data: {
    readonly principalId: string;
    readonly kind: PrincipalKind;
    readonly displayName?: string;
    readonly roles: readonly TenantRole[];
    readonly groups: readonly string[];
  };
};

export type PrincipalRoleGranted = { readonly type: "PrincipalRoleGranted"; readonly data: { readonly principalId: string; readonly role: TenantRole } };
export type PrincipalRoleRevoked = { readonly type: "PrincipalRoleRevoked"; readonly data: { readonly principalId: string; readonly role: TenantRole } };
export type PrincipalJoinedGroup = { readonly type: "PrincipalJoinedGroup"; readonly data: { readonly principalId: string; readonly group: string } };
export type PrincipalLeftGroup = { readonly type: "PrincipalLeftGroup"; readonly data: { readonly principalId: string; readonly group: string } };
export type PrincipalDisabled = { readonly type: "PrincipalDisabled"; readonly data: { readonly principalId: string } };
export type PrincipalEnabled = { readonly type: "PrincipalEnabled"; readonly data: { readonly principalId: string } };

export type ApiKeyIssued = {
  readonly type: "ApiKeyIssued";
  readonly data: {
    readonly keyId: string;
    readonly principalId: string;
    /** Public, shown in listings and used to find the key; not a secret. */
    readonly prefix: string;
    /** Hash of the whole key (hex); the key itself is shown once and never stored. */
    readonly secretHash: string;
    readonly scopes: readonly KeyScope[];
    readonly expiresAt?: string;
  };
};
export type ApiKeyRevoked = { readonly type: "ApiKeyRevoked"; readonly data: { readonly keyId: string } };

export interface Grantee {
  readonly kind: "principal" | "group";
  readonly id: string;
}

export type CubeAccessGranted = {
  readonly type: "CubeAccessGranted";
  readonly data: { readonly cubeId: string; readonly grantee: Grantee; readonly permission: CubePermission };
};
export type CubeAccessRevoked = {
  readonly type: "CubeAccessRevoked";
  readonly data: { readonly cubeId: string; readonly grantee: Grantee; readonly permission: CubePermission };
};

/** A user lets an agent act for them; the agent's writes then carry both names. */
export type DelegationGranted = { readonly type: "DelegationGranted"; readonly data: { readonly userId: string; readonly agentId: string } };
export type DelegationRevoked = { readonly type: "DelegationRevoked"; readonly data: { readonly userId: string; readonly agentId: string } };

export type GovernanceEvent =
  | PrincipalCreated
  | PrincipalRoleGranted
  | PrincipalRoleRevoked
  | PrincipalJoinedGroup
  | PrincipalLeftGroup
  | PrincipalDisabled
  | PrincipalEnabled
  | ApiKeyIssued
  | ApiKeyRevoked
  | CubeAccessGranted
  | CubeAccessRevoked
  | DelegationGranted
  | DelegationRevoked;

export const governanceEventCatalog = {
  PrincipalCreated: { schemaVersion: 1 },
  PrincipalRoleGranted: { schemaVersion: 1 },
  PrincipalRoleRevoked: { schemaVersion: 1 },
  PrincipalJoinedGroup: { schemaVersion: 1 },
  PrincipalLeftGroup: { schemaVersion: 1 },
  PrincipalDisabled: { schemaVersion: 1 },
  PrincipalEnabled: { schemaVersion: 1 },
  ApiKeyIssued: { schemaVersion: 1 },
  ApiKeyRevoked: { schemaVersion: 1 },
  CubeAccessGranted: { schemaVersion: 1 },
  CubeAccessRevoked: { schemaVersion: 1 },
  DelegationGranted: { schemaVersion: 1 },
  DelegationRevoked: { schemaVersion: 1 },
} as const satisfies Record<GovernanceEvent["type"], { schemaVersion: number }>;

/** One governance stream per tenant; no other stream name starts with `governance-`. */
export const governanceStreamId = (tenantId: string): string => `governance-${tenantId}`;
