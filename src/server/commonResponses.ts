import type { RouteOptions } from "fastify";
import { errorResponse } from "./schemas.js";

const writeMethods = new Set(["POST", "PATCH", "PUT"]);

/**
 * The statuses a route can answer whatever its handler does, added to the
 * responses it declares (its own declarations win), so the OpenAPI document
 * lists every status a client can meet:
 * - 400: the request failed validation, or its URL is malformed;
 * - 401, 403 and 429 on every route that needs a credential: none or a bad
 *   one, a permission the principal lacks, too many requests;
 * - 404 and 414: an id in the path is unknown, or longer than ids may be;
 * - 409, 413 and 415: a write conflicts, its body is too large or not JSON;
 * - 410: the cube named (or the unit's cube) is removed (hot-plug) until reinstated;
 * - 502: a processing step of a write (extraction, embedding) failed;
 * - 503: the log, the job bus or a read model is unavailable (not for the
 *   health probes, which report engines rather than fail with them).
 * Registered as an onRoute hook after @fastify/swagger, which keeps a
 * reference to each route's options and reads their schema when it builds
 * the document.
 */
export function declareCommonResponses(route: RouteOptions): void {
  const schema = route.schema as (RouteOptions["schema"] & { hide?: boolean; tags?: readonly string[] }) | undefined;
  if (schema === undefined || schema.hide === true) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const withPathIds = route.url.includes(":");
  const isWrite = methods.some((method) => writeMethods.has(method));
  // A query naming a cube (GET /events?cubeId=, reports) meets a removed cube as a path id would.
  const namesCube = (schema.querystring as { properties?: Record<string, unknown> } | undefined)?.properties?.cubeId !== undefined;
  const needsCredential = (route.config as { public?: boolean } | undefined)?.public !== true;
  const statuses = [
    400,
    ...(needsCredential ? [401, 403, 429] : []),
    ...(withPathIds ? [404, 414] : []),
    ...(isWrite ? [409, 413, 415, 502] : []),
    ...(withPathIds || isWrite || namesCube ? [410] : []),
    ...(schema.tags?.includes("operations") ? [] : [503]),
  ];
  const declared = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  for (const status of statuses) declared[status] ??= errorResponse;
  schema.response = declared;
}
