import type { AccessState, PrincipalState } from "../../domain/governance/accessState.js";
import { authorize, authorizeDelegation, cubePermissionOf, type AccessDecision, type Resource } from "../../domain/governance/authorize.js";
import type { Action } from "../../domain/governance/permissions.js";
import type { ActingPrincipal } from "./actingPrincipal.js";
import { Forbidden, unauthenticated } from "./governanceErrors.js";

/**
 * The policy decision point applied to one caller against one fold of its
 * tenant: the principal is looked up afresh in that fold (disabled, revoked
 * roles and grants count at once), and a refusal becomes the error an entry
 * point returns. `notFound` builds the very error a missing resource gets, so
 * a denial for another tenant or a private unit reveals nothing.
 */
export class PolicyGate {
  readonly principal: PrincipalState | undefined;

  constructor(
    readonly acting: ActingPrincipal,
    readonly access: AccessState,
  ) {
    const stored = access.principals[acting.principalId];
    // A token-vouched principal takes its roles from the token; a stored one of the same id can still be disabled.
    this.principal = acting.external !== undefined ? (stored?.disabled ? stored : acting.external) : stored;
  }

  decide(action: Action, resource: Resource): AccessDecision {
    if (this.principal !== undefined && this.acting.onBehalfOf !== undefined) {
      const delegation = authorizeDelegation(this.principal, this.acting.onBehalfOf, this.access);
      if (delegation.effect === "deny") return delegation;
    }
    return authorize({
      principal: this.principal,
      ...(this.acting.scopes !== undefined ? { scopes: this.acting.scopes } : {}),
      ...(this.acting.sessionId !== undefined ? { sessionId: this.acting.sessionId } : {}),
      ...(this.acting.onBehalfOf !== undefined ? { onBehalfOf: this.acting.onBehalfOf } : {}),
      action,
      resource,
      access: this.access,
    });
  }

  allows(action: Action, resource: Resource): boolean {
    return this.decide(action, resource).effect === "allow";
  }

  /** Throws Unauthenticated (401), Forbidden (403) or the resource's own not-found error (404). */
  require(action: Action, resource: Resource, notFound: () => Error): void {
    const decision = this.decide(action, resource);
    if (decision.effect === "allow") return;
    if (decision.code === "not_found") throw notFound();
    if (decision.code === "unauthenticated") throw unauthenticated(decision.reason);
    throw new Forbidden({ action, principalId: this.acting.principalId, message: decision.reason });
  }

  /** The names whose private and session units the caller sees as theirs: itself, and the user it acts for while the delegation stands. */
  personalNames(): readonly string[] {
    const own = [this.acting.principalId];
    const user = this.acting.onBehalfOf;
    if (user === undefined || user === this.acting.principalId || this.principal === undefined) return own;
    return authorizeDelegation(this.principal, user, this.access).effect === "allow" ? [...own, user] : own;
  }

  /** Whether the caller holds `admin` on the cube (cube admins see every unit, private ones too). */
  isCubeAdmin(cubeId: string): boolean {
    return this.principal !== undefined && !this.principal.disabled && cubePermissionOf(this.principal, cubeId, this.access) === "admin";
  }
}
