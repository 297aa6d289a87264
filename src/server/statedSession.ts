import type { FastifyRequest } from "fastify";

/** Longer than any session id a client makes up; a longer header is ignored rather than stored. */
const sessionIdLength = 1_000;

/**
 * The session a request states: `X-Session-Id`, else the chat route's own
 * `X-Memledger-Session-Id` (the session its turns belong to). It widens nothing
 * but the `session` units of that very session (domain/governance/authorize.ts).
 */
export function statedSession(request: FastifyRequest): string | undefined {
  for (const name of ["x-session-id", "x-memledger-session-id"]) {
    const value = request.headers[name];
    if (typeof value === "string" && value.trim() !== "" && value.trim().length <= sessionIdLength) return value.trim();
  }
  return undefined;
}
