import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, configFromEnv, corsOriginsFromEnv } from "../src/config.js";
import { configFromSources } from "../src/configFile.js";
import { registerCors } from "../src/server/corsPolicy.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serverWith(origins: readonly string[]): Promise<FastifyInstance> {
  app = Fastify();
  await registerCors(app, origins);
  app.get("/cubes", async () => ({ cubes: [] }));
  app.post("/cubes", async () => ({ created: true }));
  return app;
}

const preflight = (origin: string) => ({
  method: "OPTIONS" as const,
  url: "/cubes",
  headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,idempotency-key" },
});

const corsHeaders = (headers: Record<string, unknown>): string[] => Object.keys(headers).filter((name) => name.startsWith("access-control-"));

describe("CORS", () => {
  it("is off by default: no Access-Control-* header on a request with an Origin, nor on a preflight", async () => {
    const server = await serverWith([]);
    const simple = await server.inject({ method: "GET", url: "/cubes", headers: { origin: "https://app.example.com" } });
    expect(simple.statusCode).toBe(200);
    expect(corsHeaders(simple.headers)).toEqual([]);
    const options = await server.inject(preflight("https://app.example.com"));
    expect(corsHeaders(options.headers)).toEqual([]);
  });

  it("allows a listed origin, with the API's methods, request headers and exposed headers", async () => {
    const server = await serverWith(["https://app.example.com", "http://localhost:5173"]);
    const simple = await server.inject({ method: "GET", url: "/cubes", headers: { origin: "http://localhost:5173" } });
    expect(simple.statusCode).toBe(200);
    expect(simple.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(simple.headers["access-control-expose-headers"]).toBe("ETag, Retry-After, Location");

    const options = await server.inject(preflight("https://app.example.com"));
    expect(options.statusCode).toBe(204);
    expect(options.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(options.headers["access-control-allow-methods"]).toBe("GET, POST, PATCH, DELETE");
    expect(options.headers["access-control-allow-headers"]).toBe("Authorization, Content-Type, Idempotency-Key, If-Match, X-Reason, X-Correlation-Id, X-On-Behalf-Of");
  });

  it("does not allow an origin that is not listed (no wildcard)", async () => {
    const server = await serverWith(["https://app.example.com"]);
    for (const origin of ["https://evil.example.com", "https://app.example.com.evil.test", "http://app.example.com"]) {
      const simple = await server.inject({ method: "GET", url: "/cubes", headers: { origin } });
      expect(simple.headers["access-control-allow-origin"]).toBeUndefined();
      const options = await server.inject(preflight(origin));
      expect(options.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it('["*"] allows any origin', async () => {
    const server = await serverWith(["*"]);
    const simple = await server.inject({ method: "GET", url: "/cubes", headers: { origin: "https://anything.example" } });
    expect(simple.headers["access-control-allow-origin"]).toBe("*");
  });
});

describe("MEMLEDGER_CORS_ORIGINS", () => {
  const failure = (value: string): string => {
    try {
      corsOriginsFromEnv({ MEMLEDGER_CORS_ORIGINS: value });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error(`expected a ConfigError for "${value}"`);
  };

  it("defaults to no origin (CORS off)", () => {
    expect(configFromEnv({ MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" }).corsOrigins).toEqual([]);
    expect(corsOriginsFromEnv({ MEMLEDGER_CORS_ORIGINS: "" })).toEqual([]);
  });

  it("reads comma-separated http(s) origins, or *", () => {
    expect(corsOriginsFromEnv({ MEMLEDGER_CORS_ORIGINS: "https://app.example.com, http://localhost:5173" })).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(corsOriginsFromEnv({ MEMLEDGER_CORS_ORIGINS: "*" })).toEqual(["*"]);
  });

  it("refuses paths, other schemes, non-URLs and * mixed with origins, naming the variable and an example", () => {
    for (const bad of ["https://app.example.com/", "https://app.example.com/ui", "ftp://files.example.com", "app.example.com", "https://App.Example.com", "*,https://app.example.com", "https://user@app.example.com"]) {
      const message = failure(bad);
      expect(message).toContain("MEMLEDGER_CORS_ORIGINS");
      expect(message).toContain("https://app.example.com");
    }
    expect(failure("https://app.example.com/")).toContain("did you mean https://app.example.com?");
  });

  it("can come from the configuration file as a list", () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-cors-"));
    const file = join(dir, "memledger.json");
    writeFileSync(file, JSON.stringify({ rateLimit: "100/10s", cors: { origins: ["https://app.example.com", "http://localhost:5173"] } }));
    const config = configFromSources({ MEMLEDGER_CONFIG: file, MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" });
    expect(config.corsOrigins).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(config.rateLimit).toEqual({ max: 100, timeWindowMs: 10_000 });
  });
});
