import type { FastifyInstance } from "fastify";

/**
 * A method the path does not take is a 405 with an Allow header listing the
 * ones it does (RFC 9110 §15.5.6), not the 404 Fastify answers for any
 * unrouted method and path: `DELETE /memories/m1` should say "not this way",
 * not "no such memory". Checked in onRequest, before any body is parsed, so a
 * method Fastify would first ask a content type of (QUERY) gets the 405 too.
 */
export function answerMethodNotAllowed(app: FastifyInstance): void {
  const routes: Array<{ readonly pattern: RegExp; readonly methods: readonly string[]; readonly static: boolean }> = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: pathPattern(route.url), methods, static: !route.url.includes(":") && !route.url.includes("*") });
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split("?")[0]!;
    const matching = routes.filter((route) => route.pattern.test(path));
    // A static path (POST /cubes/import) is its own resource, not an id of the parametric one beside it (/cubes/:cubeId).
    const exact = matching.filter((route) => route.static);
    const allowed = [...new Set((exact.length > 0 ? exact : matching).flatMap((route) => route.methods))].sort();
    if (allowed.length === 0) return;
    return reply
      .status(405)
      .header("allow", allowed.join(", "))
      .send({ error: "MethodNotAllowed", message: `${request.method} is not allowed on ${path}; it answers ${allowed.join(", ")} (see GET /openapi.json)`, allowed });
  });
}

/** `/memories/:memoryId/history` -> /^\/memories\/[^/]+\/history$/ */
function pathPattern(url: string): RegExp {
  const segments = url.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}
