import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { MemLedger } from "../../app/memLedger.js";
import type { MetricsRouteOptions } from "../../metrics/metricsConfig.js";


const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics in the Prometheus text format, and the request latency
 * histogram every response reports into. Not an API operation: it is left out
 * of the OpenAPI document and needs no API key (a scraper is not a principal
 * of any tenant, and nothing in the series names a tenant, cube or memory).
 */
export function metricsRoutes(app: FastifyInstance, ledger: MemLedger, options: MetricsRouteOptions): void {
  const { metrics, token } = options;
  metrics.observe({
    readModelLag: () => ledger.readModels.lag(),
    queuedJobs: async (limit) => [...(await ledger.jobs.list({ status: "waiting", limit })), ...(await ledger.jobs.list({ status: "running", limit }))],
    now: () => new Date(),
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.httpRequestDuration.observe(
      { route: request.routeOptions.url ?? "unmatched", method: request.method, status_class: statusClass(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get("/metrics", { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    if (token !== undefined && token !== "") {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
      if (match === null || !sameSecret(match[1]!, token)) {
        return reply
          .status(401)
          .header("www-authenticate", 'Bearer realm="memledger-metrics"')
          .send({ error: "Unauthenticated", message: "GET /metrics needs Authorization: Bearer <the MEMLEDGER_METRICS_TOKEN the server was started with>" });
      }
    }
    const scraped = await metrics.scrape();
    return reply.header("content-type", scraped.contentType).send(scraped.body);
  });
}
