import rateLimit from "@fastify/rate-limit";
import type { RateLimitSettings } from "../config.js";
import type { FastifyInstance, FastifyRequest } from "fastify";

export type { RateLimitSettings };

/** Probes and the API document: an orchestrator or a client generator must never be told to wait. */
const exemptRoutes: ReadonlySet<string> = new Set(["/health/live", "/health/ready", "/openapi.json"]);

/**
 * Limits every route per principal (`keyOf`: the authenticated `tenant/principal`,
 * else the IP). Checked in preHandler, after the onRequest auth hook has set the
 * principal. Every answer carries x-ratelimit-limit/-remaining/-reset; the one
 * over the limit is a 429 `{ error: "RateLimited", message, retryAfterSeconds }`
 * with Retry-After. `false`: no limit.
 */
export async function registerRateLimit(app: FastifyInstance, settings: RateLimitSettings | false, keyOf: (request: FastifyRequest) => string): Promise<void> {
  if (settings === false) return;
  // global: false only because the check below is our own app-wide hook: the plugin's
  // per-route hook throws into the app's error handler, which would drop retryAfterSeconds.
  await app.register(rateLimit, { global: false });
  const check = app.createRateLimit({
    max: settings.max,
    timeWindow: settings.timeWindowMs,
    keyGenerator: keyOf,
    allowList: (request) => exemptRoutes.has(request.routeOptions.url ?? ""),
  });
  app.addHook("preHandler", async (request, reply) => {
    const outcome = await check(request);
    if (outcome.isAllowed) return;
    reply.header("x-ratelimit-limit", outcome.max);
    reply.header("x-ratelimit-remaining", outcome.remaining);
    reply.header("x-ratelimit-reset", outcome.ttlInSeconds);
    if (!outcome.isExceeded) return;
    const retryAfterSeconds = Math.max(1, outcome.ttlInSeconds);
    return reply
      .status(429)
      .header("retry-after", retryAfterSeconds)
      .send({
        error: "RateLimited",
        message: `too many requests from ${outcome.key}: the limit is ${outcome.max} in ${windowText(outcome.timeWindow)}; retry in ${retryAfterSeconds} s (Retry-After), and spread requests out`,
        retryAfterSeconds,
      });
  });
}

/** 60000 -> "1 minute", 10000 -> "10 seconds", 1500 -> "1500 ms". */
function windowText(ms: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? "" : "s"}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, "hour");
  if (ms % 60_000 === 0) return unit(ms / 60_000, "minute");
  if (ms % 1_000 === 0) return unit(ms / 1_000, "second");
  return `${ms} ms`;
}
