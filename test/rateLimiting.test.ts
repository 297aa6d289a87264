import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, configFromEnv, rateLimitFromEnv } from "../src/config.js";
import { registerRateLimit, type RateLimitSettings } from "../src/server/rateLimiting.js";

// Kept off FastifyRequest so this test does not fight the real auth hook's type augmentation.
const principalKey = new WeakMap<FastifyRequest, string>();

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A bare server: a fake auth hook reads the principal from a header, as the real one does from the token, in onRequest. */
async function serverWith(settings: RateLimitSettings | false): Promise<FastifyInstance> {
  app = Fastify();
  app.addHook("onRequest", async (request) => {
    const principal = request.headers["x-test-principal"];
    if (typeof principal === "string") principalKey.set(request, principal);
  });
  await registerRateLimit(app, settings, (request) => principalKey.get(request) ?? request.ip);
  app.get("/cubes", async () => ({ cubes: [] }));
  app.get("/health/live", async () => ({ status: "ok" }));
  app.get("/health/ready", async () => ({ status: "ok" }));
  app.get("/openapi.json", async () => ({ openapi: "3.0.3" }));
  return app;
}

const as = (principal: string, url = "/cubes") => ({ method: "GET" as const, url, headers: { "x-test-principal": principal } });

describe("rate limiting per principal", () => {
  it("answers 429 with Retry-After and a RateLimited body once a principal passes the limit, while another principal still gets 200", async () => {
    const server = await serverWith({ max: 3, timeWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const ok = await server.inject(as("acme/alice"));
      expect(ok.statusCode).toBe(200);
      expect(ok.headers["x-ratelimit-limit"]).toBe("3");
      expect(ok.headers["x-ratelimit-remaining"]).toBe(String(2 - i));
      expect(Number(ok.headers["x-ratelimit-reset"])).toBeGreaterThan(0);
    }
    const refused = await server.inject(as("acme/alice"));
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers["x-ratelimit-remaining"]).toBe("0");
    const body = refused.json();
    expect(body).toEqual({ error: "RateLimited", message: expect.any(String), retryAfterSeconds: retryAfter });
    expect(body.message).toContain("acme/alice");
    expect(body.message).toContain("3 in 1 minute");
    expect(body.message).toContain(`retry in ${retryAfter} s`);

    expect((await server.inject(as("acme/bob"))).statusCode).toBe(200);
  });

  it("keys on the principal set by the onRequest auth hook, not on the IP all test requests share", async () => {
    const server = await serverWith({ max: 1, timeWindowMs: 60_000 });
    expect((await server.inject(as("t/one"))).statusCode).toBe(200);
    expect((await server.inject(as("t/two"))).statusCode).toBe(200);
    expect((await server.inject(as("t/one"))).statusCode).toBe(429);
  });

  it("lets a principal in again once the window has passed", async () => {
    const server = await serverWith({ max: 1, timeWindowMs: 200 });
    expect((await server.inject(as("t/one"))).statusCode).toBe(200);
    expect((await server.inject(as("t/one"))).statusCode).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await server.inject(as("t/one"))).statusCode).toBe(200);
  });

  it("never limits the health probes or the API document", async () => {
    const server = await serverWith({ max: 1, timeWindowMs: 60_000 });
    for (const url of ["/health/live", "/health/ready", "/openapi.json"]) {
      for (let i = 0; i < 5; i++) {
        const response = await server.inject(as("t/probe", url));
        expect(response.statusCode).toBe(200);
        expect(response.headers["x-ratelimit-limit"]).toBeUndefined();
      }
    }
    expect((await server.inject(as("t/probe"))).statusCode).toBe(200);
    expect((await server.inject(as("t/probe"))).statusCode).toBe(429);
  });

  it("off: no limit and no rate limit headers", async () => {
    const server = await serverWith(false);
    for (let i = 0; i < 5; i++) {
      const response = await server.inject(as("t/one"));
      expect(response.statusCode).toBe(200);
      expect(response.headers["x-ratelimit-limit"]).toBeUndefined();
    }
  });
});

describe("MEMLEDGER_RATE_LIMIT", () => {
  const failure = (value: string): string => {
    try {
      rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: value });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error(`expected a ConfigError for "${value}"`);
  };

  it("defaults to 600 requests per minute per principal", () => {
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" }).rateLimit).toEqual({ max: 600, timeWindowMs: 60_000 });
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: " " })).toEqual({ max: 600, timeWindowMs: 60_000 });
  });

  it("reads <max>/<window> in ms, s, m or h, and off", () => {
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: "600/1m" })).toEqual({ max: 600, timeWindowMs: 60_000 });
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: "100/10s" })).toEqual({ max: 100, timeWindowMs: 10_000 });
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: "5000/1h" })).toEqual({ max: 5000, timeWindowMs: 3_600_000 });
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: "10/500ms" })).toEqual({ max: 10, timeWindowMs: 500 });
    expect(rateLimitFromEnv({ MEMLEDGER_RATE_LIMIT: "off" })).toBe(false);
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model", MEMLEDGER_RATE_LIMIT: "off" }).rateLimit).toBe(false);
  });

  it("refuses anything else, naming the variable and an example", () => {
    for (const bad of ["600", "600/", "/1m", "600/1d", "0/1m", "600/0s", "-1/1m", "1.5/1m", "600 per minute", "on"]) {
      const message = failure(bad);
      expect(message).toContain("MEMLEDGER_RATE_LIMIT");
      expect(message).toContain("600/1m");
      expect(message).toContain(`"${bad}"`);
    }
  });
});
