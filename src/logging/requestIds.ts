import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * A caller's own request id is kept when it is well formed: 1 to 128
 * characters of letters, digits and `.-_:`, so a log line or a header cannot
 * be forged through it (no spaces, quotes or newlines). Anything else gets a
 * fresh UUID, unique across restarts since ids double as correlation ids.
 */
const wellFormed = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestIdHeader = "x-request-id";

export function requestIdOf(request: { readonly headers: FastifyRequest["headers"] }): string {
  const offered = request.headers[requestIdHeader];
  return typeof offered === "string" && wellFormed.test(offered) ? offered : randomUUID();
}

/** Every response, errors and refusals included, names its request id, the key to its log lines. */
export function echoRequestIds(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header(requestIdHeader, request.id);
  });
}
