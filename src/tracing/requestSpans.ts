import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from "fastify";
import { spanAttributes } from "./spanAttributes.js";
import { tracedLedger } from "./tracedLedger.js";
import { activeTracer } from "./tracing.js";

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * With tracing on, every request is a server span (`GET /cubes/:cubeId`)
 * carrying its request id and cube; the route's handler runs inside it, so the
 * ledger call, the appends and the jobs it enqueues are its children. Off,
 * nothing is registered.
 */
export function traceRequests(app: FastifyInstance): void {
  const tracer = activeTracer();
  if (tracer === undefined) return;
  app.addHook("onRequest", async (request) => {
    const route = request.routeOptions.url;
    spans.set(
      request,
      tracer.startSpan(route === undefined ? request.method : `${request.method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, ...(route !== undefined ? { "http.route": route } : {}), [spanAttributes.requestId]: request.id },
      }),
    );
  });
  app.addHook("preHandler", async (request) => {
    const span = spans.get(request);
    const cubeId = (request.params as Record<string, unknown> | undefined)?.cubeId ?? (request.body as Record<string, unknown> | undefined)?.cubeId;
    if (span && typeof cubeId === "string") span.setAttribute(spanAttributes.cubeId, cubeId);
    // Authentication put the principal's ledger here; its calls become the command spans.
    if (request.ledger) request.ledger = tracedLedger(request.ledger, tracer, typeof cubeId === "string" ? cubeId : undefined);
  });
  // The handler runs inside the request's span: hooks before it may have left the async context (body parsing).
  app.addHook("onRoute", (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function (this: FastifyInstance, request, reply) {
      const span = spans.get(request);
      return span ? context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply)) : handler.call(this, request, reply);
    } as RouteHandlerMethod;
  });
  app.addHook("onResponse", async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute("http.response.status_code", reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    spans.delete(request);
  });
}
