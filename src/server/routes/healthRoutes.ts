import type { FastifyInstance } from "fastify";
import type { MemLedger } from "../../app/memLedger.js";
import { readModelLagSchema } from "../searchSchemas.js";

const engineSchema = {
  type: "object",
  properties: {
    role: { type: "string" },
    engine: { type: "string" },
    ok: { type: "boolean" },
    latencyMs: { type: "number" },
    detail: { type: "string" },
    error: { type: "string" },
  },
} as const;

const readinessSchema = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["ready", "degraded", "unavailable"] },
    engines: { type: "array", items: engineSchema },
    projections: { type: "array", items: readModelLagSchema },
    eventRelay: { type: "object", properties: { topic: { type: "string" }, position: { type: "integer" }, behind: { type: "integer" } } },
  },
} as const;

/**
 * Liveness and readiness for orchestrators and load balancers. Liveness says
 * only that the process serves HTTP (restart it if not). Readiness probes every
 * engine: 200 while writes can be taken (`ready`, or `degraded` when a
 * read-side engine or a projection fails: searches then leave that retriever
 * out or report `behind`), 503 when the log or the job bus does not answer.
 */
export function healthRoutes(app: FastifyInstance, ledger: MemLedger): void {
  app.get("/health", { schema: { hide: true }, config: { public: true } }, async () => ({ status: "ok", engine: ledger.engine }));
  app.get(
    "/health/live",
    { config: { public: true }, schema: { tags: ["operations"], summary: "Liveness: the process serves HTTP", response: { 200: { type: "object", properties: { status: { type: "string" } } } } } },
    async () => ({ status: "ok" }),
  );
  app.get<{ Querystring: { timeoutMs?: number } }>(
    "/health/ready",
    {
      config: { public: true },
      schema: {
        tags: ["operations"],
        summary: "Readiness: every engine probed (log, job bus, graph, vectors, relay) and each projection's lag",
        querystring: { type: "object", additionalProperties: false, properties: { timeoutMs: { type: "integer", minimum: 100, maximum: 30_000 } } },
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (request, reply) => {
      const report = await ledger.health(request.query.timeoutMs ?? 3_000);
      return reply.status(report.status === "unavailable" ? 503 : 200).send(report);
    },
  );
}
