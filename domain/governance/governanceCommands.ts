import type { Grantee } from "./governanceEvents.js";
import type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "./permissions.js";

/** Changes to a tenant's identities and rights. The key secret never appears: only its hash. */
export type GovernanceCommand =
  | { readonly type: "createPrincipal"; readonly principalId: string; readonly kind: PrincipalKind; readonly displayName?: string; readonly roles: readonly TenantRole[]; readonly groups: readonly string[] }
  | { readonly type: "grantRole" | "revokeRole"; readonly principalId: string; readonly role: TenantRole }
  | { readonly type: "joinGroup" | "leaveGroup"; readonly principalId: string; readonly group: string }
  | { readonly type: "disablePrincipal" | "enablePrincipal"; readonly principalId: string }
  | { readonly type: "issueApiKey"; readonly keyId: string; readonly principalId: string; readonly prefix: string; readonly secretHash: string; readonly scopes: readonly KeyScope[]; readonly expiresAt?: string }
  | { readonly type: "revokeApiKey"; readonly keyId: string }
  | { readonly type: "grantCubeAccess" | "revokeCubeAccess"; readonly cubeId: string; readonly grantee: Grantee; readonly permission: CubePermission }
  | { readonly type: "grantDelegation" | "revokeDelegation"; readonly userId: string; readonly agentId: string };
