import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { MemLedger, ScopedLedger } from "../app/memLedger.js";
import type { ActingPrincipal } from "../governance/actingPrincipal.js";
import { unauthenticated } from "../governance/governanceErrors.js";
import { statedSession } from "./statedSession.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The ledger as the authenticated principal sees it; every route acts through it. */
    ledger: ScopedLedger;
    acting: ActingPrincipal | null;
  }
  interface FastifyContextConfig {
    /** Served without a credential (liveness, readiness, the OpenAPI document). */
    readonly public?: boolean;
  }
}

/** Where the first admin key is, for the 401 message: set by the server's start. */
export interface AuthenticationOptions {
  readonly keyFileHint?: string;
}

/** `tenant/principal` of an authenticated request, else its address: what rate limits count by. */
export const principalKey = (request: FastifyRequest): string => (request.acting ? `${request.acting.tenantId}/${request.acting.principalId}` : `ip:${request.ip}`);

function bearerToken(request: FastifyRequest, hint: string): string {
  const header = request.headers.authorization;
  if (header === undefined || header === "") throw unauthenticated(`no credential was sent${hint}`);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw unauthenticated(`the Authorization header is not "Bearer <token>"${hint}`);
  return match[1]!;
}

/**
 * Every route but the public ones needs `Authorization: Bearer <api key or
 * JWT>`. The credential is checked before the body is read, so a refused
 * request costs no parsing and writes nothing; the route then acts through
 * `request.ledger`, the facade of that principal.
 */
export function requireAuthentication(app: FastifyInstance, ledger: MemLedger, options: AuthenticationOptions = {}): void {
  const hint = options.keyFileHint !== undefined ? ` (the first admin key is in ${options.keyFileHint})` : "";
  app.decorateRequest("ledger", null as unknown as ScopedLedger);
  app.decorateRequest("acting", null);
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.public === true || request.routeOptions.url === undefined) return;
    reply.header("www-authenticate", 'Bearer realm="memledger"');
    const token = bearerToken(request, hint);
    const onBehalfOf = request.headers["x-on-behalf-of"];
    const authenticated = await ledger.authenticate(token, { ...(typeof onBehalfOf === "string" && onBehalfOf !== "" ? { onBehalfOf } : {}), requestId: request.id });
    // A stated session is not part of who the caller is: it only shows that session's `session` units (docs/governance.md#visibility).
    const sessionId = statedSession(request);
    const acting = sessionId !== undefined ? { ...authenticated, sessionId } : authenticated;
    reply.removeHeader("www-authenticate");
    request.acting = acting;
    request.ledger = ledger.as(acting);
  });
}
