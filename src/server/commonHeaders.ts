import type { RouteOptions } from "fastify";

const writeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** Routes whose writes may be made conditional on the memory's revision (src/server/conditionalWrite.ts). */
const conditionalRoute = /^\/memories\/:memoryId(\/(activate|archive|restore|merge|freeze|revert))?$/;

const text = (description: string) => ({ type: "string", maxLength: 1_000, description }) as const;

/**
 * The request headers every protected route reads, declared in its schema so
 * the OpenAPI document shows them (clients are generated from it): who an agent
 * acts for, why, how requests relate, and on writes the idempotency key and
 * the precondition. Registered as an onRoute hook, like the common responses;
 * a route's own header declarations win.
 */
export function declareCommonHeaders(route: RouteOptions): void {
  const schema = route.schema as (RouteOptions["schema"] & { hide?: boolean }) | undefined;
  if (schema === undefined || schema.hide === true) return;
  if ((route.config as { public?: boolean } | undefined)?.public === true) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const isWrite = methods.some((method) => writeMethods.has(method));
  const declared = (schema.headers as { type?: string; properties?: Record<string, unknown> } | undefined) ?? { type: "object" };
  const properties: Record<string, unknown> = {
    "x-on-behalf-of": text("the user an agent acts for; accepted only under that user's delegation, and recorded with the agent"),
    "x-session-id": text("the session this request belongs to: `session` units of that session become visible to it (docs/governance.md#visibility)"),
    "x-reason": text("why: recorded in every event the request writes"),
    "x-correlation-id": text("ties the events of one request or process together; a fresh id when absent"),
    ...(isWrite ? { "idempotency-key": text("a retried write with the same key is applied once and answers as the first time") } : {}),
    ...(isWrite && conditionalRoute.test(route.url) ? { "if-match": text('`*` or the memory\'s entity tag(s), e.g. "3": the write applies only at one of these revisions (412 otherwise)') } : {}),
    ...declared.properties,
  };
  schema.headers = { ...declared, type: "object", properties };
}
