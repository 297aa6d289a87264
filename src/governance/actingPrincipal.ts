import type { PrincipalState } from "../../domain/governance/accessState.js";
import type { KeyScope } from "../../domain/governance/permissions.js";

/**
 * Who a call acts as. Only ids are carried: the principal's roles, grants and
 * whether it is disabled are read from the tenant's governance stream on every
 * call, so a revocation takes effect on the next request.
 */
export interface ActingPrincipal {
  readonly tenantId: string;
  readonly principalId: string;
  /** The credential's scopes; absent for in-process callers, who act with all their principal holds. */
  readonly scopes?: readonly KeyScope[];
  /** A principal vouched for by a verified OIDC token: its roles come from the token's claims. */
  readonly external?: PrincipalState;
  /** The user an agent acts for; allowed only under that user's delegation. */
  readonly onBehalfOf?: string;
  /** The session the request states (`X-Session-Id`): `session` units of that session are visible to it. Grants nothing else. */
  readonly sessionId?: string;
  /** Recorded with each read in the audit, to find the request in the server's log. */
  readonly requestId?: string;
}

/** The actor written into events: distinct from `system:<process>` actors and from pre-governance free text. */
export const actorOf = (principalId: string): string => `principal:${principalId}`;

/** A unit's author as a principal id, when a principal wrote it. */
export const principalIdOfActor = (actor: string): string | undefined => (actor.startsWith("principal:") ? actor.slice("principal:".length) : undefined);
