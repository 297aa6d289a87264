import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { MemLedger } from "../app/memLedger.js";
import { sendError } from "./errorResponses.js";
import { declareCommonResponses } from "./commonResponses.js";
import { declareCommonHeaders } from "./commonHeaders.js";
import { withOpenApi30Bounds } from "./openApi30Schemas.js";
import { withOpenApiLinks } from "./openApiLinks.js";
import { withOptionalBodies } from "./optionalBodies.js";
import { answerMethodNotAllowed } from "./methodNotAllowed.js";
import { maxPathParameterLength } from "./frameworkErrors.js";
import { requestValidatorCompiler } from "./requestValidators.js";
import { cubeHotPlugRoutes } from "./routes/cubeHotPlugRoutes.js";
import { cubeRoutes } from "./routes/cubeRoutes.js";
import { eventFeedRoutes, type EventFeedOptions } from "./routes/eventFeedRoutes.js";
import { healthRoutes } from "./routes/healthRoutes.js";
import { jobRoutes } from "./routes/jobRoutes.js";
import { memoryRoutes } from "./routes/memoryRoutes.js";
import { searchRoutes } from "./routes/searchRoutes.js";
import { subjectRoutes } from "./routes/subjectRoutes.js";
import { subjectExportRoutes } from "./routes/subjectExportRoutes.js";
import { governanceRoutes } from "./routes/governanceRoutes.js";
import { complianceReportRoutes } from "./routes/complianceReportRoutes.js";
import { readAuditRoutes } from "./routes/readAuditRoutes.js";
import { legalHoldRoutes } from "./routes/legalHoldRoutes.js";
import { retentionRoutes } from "./routes/retentionRoutes.js";
import { decisionRoutes } from "./routes/decisionRoutes.js";
import { tamperEvidenceRoutes } from "./routes/tamperEvidenceRoutes.js";
import { documentRoutes } from "./routes/documentRoutes.js";
import { memReaderRoutes } from "./routes/memReaderRoutes.js";
import { feedbackRoutes } from "./routes/feedbackRoutes.js";
import { memChatRoutes } from "./routes/memChatRoutes.js";
import { redactionRoutes } from "./routes/redactionRoutes.js";
import { mcpHttpRoutes } from "../mcp/mcpHttpRoutes.js";
import { cubeInterchangeRoutes } from "./routes/cubeInterchangeRoutes.js";
import { viewerRoutes } from "../viewer/viewerRoutes.js";
import { memoryGraphRoutes } from "./routes/memoryGraphRoutes.js";
import { principalKey, requireAuthentication } from "./authentication.js";
import { registerCors } from "./corsPolicy.js";
import { defaultRateLimit, type RateLimitSettings } from "../config.js";
import { registerRateLimit } from "./rateLimiting.js";
import { echoRequestIds, requestIdOf } from "../logging/requestIds.js";
import { registerSwaggerUi } from "../apiDocs/swaggerUi.js";
import type { MetricsRouteOptions } from "../metrics/metricsConfig.js";
import { metricsRoutes } from "./routes/metricsRoutes.js";
import { traceRequests } from "../tracing/requestSpans.js";

export interface ServerOptions {
  readonly logger?: boolean;
  /** A pino logger to write the request log through (the shared one of src/logging/logger.ts, or a test's capture); wins over `logger`. */
  readonly loggerInstance?: FastifyBaseLogger;
  /** GET /metrics and the request latency histogram (src/metrics/); absent, no metrics are kept. */
  readonly metrics?: MetricsRouteOptions;
  /** Heartbeat and reconnect hint of `GET /events` (tests shorten them). */
  readonly feed?: EventFeedOptions;
  /** Requests per principal (default 600 a minute); `false` turns the limit off. */
  readonly rateLimit?: RateLimitSettings | false;
  /** Origins a browser may call from; none (the default) leaves CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Where the first admin key was written, named in 401 answers. */
  readonly keyFileHint?: string;
}

/** The REST server: routes over the library API, validation by JSON Schema, typed errors to statuses. */
export async function buildServer(ledger: MemLedger, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    bodyLimit: 2 * 1024 * 1024,
    // Ids may be 200 characters long (the schemas say so); Fastify's default of 100 refused longer ones with a 414.
    routerOptions: { maxParamLength: maxPathParameterLength },
    // Refusals made before routing (an id too long, a bad URL) go through our error format too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    // Request ids double as correlation ids in the log: a caller's well-formed x-request-id is kept, else a fresh UUID (src/logging/requestIds.ts).
    genReqId: (request) => requestIdOf(request),
  });
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "memledger", version: "0.1.0", description: "Event-sourced memory for LLM agents: lifecycle, history, time travel, rollback, crypto-shredding." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key (mlk.<tenant>.<key id>.<secret>) or, with OIDC configured, a JWT" } } },
      security: [{ bearer: [] }],
      tags: [
        { name: "cubes", description: "MemCubes and cube-level time travel" },
        { name: "memories", description: "Memory units: create, edit, read now or as of the past" },
        { name: "lifecycle", description: "Lifecycle transitions" },
        { name: "governance", description: "Principals, roles, API keys, cube grants, delegations, the read audit, erasure of data subjects" },
        { name: "jobs", description: "The scheduler: job status, waiting, retries, scheduled commands" },
        { name: "search", description: "Hybrid retrieval and the read models behind it" },
        { name: "feed", description: "Memory events as Server-Sent Events: catch-up from a log position, then live" },
        { name: "operations", description: "Liveness and readiness: each engine and each projection's lag" },
        { name: "decisions", description: "Merge and conflict decisions on ingested units: list, explain, revert, accept or reject proposals, the per-cube mode" },
      ],
    },
    transformObject: (document) => ("openapiObject" in document ? withOptionalBodies(withOpenApiLinks(withOpenApi30Bounds(document.openapiObject))) : document.swaggerObject),
  });
  app.addHook("onRoute", declareCommonResponses);
  echoRequestIds(app);
  // Spans only while tracing is on (src/tracing/); before any route, since it wraps their handlers.
  traceRequests(app);
  app.addHook("onRoute", declareCommonHeaders);
  answerMethodNotAllowed(app);
  // An empty POST body with a JSON content type is an empty object, not a 400. Only a truly empty one: whitespace
  // alone is not JSON, and taking it for {} let a malformed body reach the route's checks (the API fuzzer found it).
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error("the body is not valid JSON"), { statusCode: 400, code: "InvalidJson" }), undefined);
    }
  });
  // Bodies are JSON only: a text/plain body is a 415 that says so, not a string checked against an object schema.
  app.removeContentTypeParser("text/plain");
  // `curl -X POST .../archive` sends no body at all; treat it as an empty one.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && (request.method === "POST" || request.method === "PATCH")) request.body = {};
  });
  // Bodies are validated without type coercion, querystrings with it (src/server/requestValidators.ts).
  app.setValidatorCompiler(requestValidatorCompiler());
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "RouteNotFound", message: `no route ${request.method} ${request.url}; see GET /openapi.json` }),
  );

  // CORS answers preflights (which carry no credential) before authentication; then who, then how often.
  await registerCors(app, options.corsOrigins ?? []);
  requireAuthentication(app, ledger, options.keyFileHint !== undefined ? { keyFileHint: options.keyFileHint } : {});
  await registerRateLimit(app, options.rateLimit ?? defaultRateLimit, principalKey);

  healthRoutes(app, ledger);
  app.get("/openapi.json", { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  await registerSwaggerUi(app);
  if (options.metrics) metricsRoutes(app, ledger, options.metrics);
  cubeRoutes(app);
  cubeHotPlugRoutes(app);
  memoryRoutes(app);
  jobRoutes(app);
  subjectRoutes(app);
  subjectExportRoutes(app);
  searchRoutes(app);
  eventFeedRoutes(app, options.feed);
  governanceRoutes(app);
  complianceReportRoutes(app);
  readAuditRoutes(app);
  redactionRoutes(app);
  legalHoldRoutes(app);
  retentionRoutes(app);
  decisionRoutes(app);
  tamperEvidenceRoutes(app);
  documentRoutes(app);
  memReaderRoutes(app);
  feedbackRoutes(app);
  memChatRoutes(app, ledger);
  cubeInterchangeRoutes(app);
  mcpHttpRoutes(app);
  memoryGraphRoutes(app);
  viewerRoutes(app);
  return app;
}
