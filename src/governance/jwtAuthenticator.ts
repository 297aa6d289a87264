import { createRemoteJWKSet, errors, importJWK, importSPKI, jwtVerify, type JWK, type JWTPayload } from "jose";
import type { PrincipalState } from "../../domain/governance/accessState.js";
import { keyScopes, tenantRoles, type KeyScope, type TenantRole } from "../../domain/governance/permissions.js";

/**
 * OIDC/JWT bearer tokens, verified by `jose` (signature, issuer, audience,
 * expiry and not-before with a clock tolerance); claims are mapped to a
 * principal and its roles by configuration, never trusted as-is.
 */
export interface JwtConfig {
  readonly issuer: string;
  readonly audience: string;
  /** One of: the identity provider's JWKS URL, or a static public key (PEM SPKI or a JWK). */
  readonly jwksUrl?: string;
  readonly publicKey?: string | JWK;
  /** Algorithm of a static key (default RS256). */
  readonly algorithm?: string;
  readonly clockToleranceSeconds?: number;
  /** The tenant of every token, or the claim naming it. */
  readonly tenant: { readonly fixed: string } | { readonly claim: string };
  /** Claim holding the principal id (default `sub`). */
  readonly principalClaim?: string;
  /** Claim holding the caller's roles or groups in the identity provider (default `roles`). */
  readonly rolesClaim?: string;
  /** Identity-provider role -> memledger tenant role; unmapped roles are ignored. */
  readonly roleMap?: Readonly<Record<string, TenantRole>>;
  /** Claim holding groups, matched against cube grants to groups (default `groups`). */
  readonly groupsClaim?: string;
}

export interface JwtIdentity {
  readonly principal: PrincipalState;
  readonly scopes: readonly KeyScope[];
  readonly tokenId: string;
}

export type JwtVerification = { readonly ok: true; readonly identity: JwtIdentity } | { readonly ok: false; readonly why: string };

const stringsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? value.split(/[\s,]+/).filter((v) => v !== "") : [];

/** A JWT looks like three base64url parts; anything else is for the API-key path. */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token) && token.startsWith("eyJ");

export async function jwtAuthenticator(config: JwtConfig): Promise<(token: string) => Promise<JwtVerification>> {
  const options = { issuer: config.issuer, audience: config.audience, clockTolerance: config.clockToleranceSeconds ?? 30 };
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (config.jwksUrl !== undefined) {
    const keySet = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = (token) => jwtVerify(token, keySet, options);
  } else if (config.publicKey !== undefined) {
    const algorithm = config.algorithm ?? (typeof config.publicKey === "string" ? undefined : config.publicKey.alg) ?? "RS256";
    const staticKey = typeof config.publicKey === "string" ? await importSPKI(config.publicKey, algorithm) : await importJWK(config.publicKey, algorithm);
    verify = (token) => jwtVerify(token, staticKey, options);
  } else throw new Error("JWT authentication needs jwksUrl or publicKey");

  const principalClaim = config.principalClaim ?? "sub";
  const rolesClaim = config.rolesClaim ?? "roles";
  const groupsClaim = config.groupsClaim ?? "groups";

  const identityOf = (payload: JWTPayload): JwtVerification => {
    const principalId = payload[principalClaim];
    if (typeof principalId !== "string" || principalId === "") return { ok: false, why: `the token has no ${principalClaim} claim naming the principal` };
    const tenantId = "fixed" in config.tenant ? config.tenant.fixed : payload[config.tenant.claim];
    if (typeof tenantId !== "string" || tenantId === "") return { ok: false, why: `the token has no tenant claim (${"claim" in config.tenant ? config.tenant.claim : ""})` };
    const roles = [...new Set(stringsOf(payload[rolesClaim]).map((r) => config.roleMap?.[r]).filter((r): r is TenantRole => r !== undefined && tenantRoles.includes(r)))];
    const granted = stringsOf(payload["scope"]).filter((s): s is KeyScope => (keyScopes as readonly string[]).includes(s));
    return {
      ok: true,
      identity: {
        principal: { tenantId, principalId, kind: "user", roles, groups: stringsOf(payload[groupsClaim]), disabled: false },
        // No scope claim: the token may do whatever its roles and grants allow.
        scopes: granted.length > 0 ? granted : [...keyScopes],
        tokenId: typeof payload.jti === "string" ? payload.jti : `${payload.iss ?? ""}:${principalId}:${payload.iat ?? ""}`,
      },
    };
  };

  return async (token) => {
    try {
      const { payload } = await verify(token);
      return identityOf(payload);
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, why: "the token expired; get a new one from your identity provider" };
      if (error instanceof errors.JWTClaimValidationFailed) return { ok: false, why: `the token's ${error.claim} claim is not accepted (${error.reason})` };
      if (error instanceof errors.JOSEError) return { ok: false, why: `the token could not be verified (${error.code})` };
      throw error;
    }
  };
}
