import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildServer } from "../src/server/buildServer.js";
import { tempLedger } from "./support/tempLedger.js";

interface Parameter {
  readonly in: string;
  readonly name: string;
}
type Doc = { paths: Record<string, Record<string, { parameters?: Parameter[]; security?: unknown }>>; security?: unknown; components?: { securitySchemes?: Record<string, unknown> } };

/** Clients are generated from the OpenAPI document: the headers they must or may send are in it. */
describe("the OpenAPI document declares the request headers and the credential", () => {
  let app: FastifyInstance;
  let doc: Doc;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const temp = await tempLedger();
    dispose = temp.dispose;
    app = await buildServer(temp.ledger, { rateLimit: false });
    doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as Doc;
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  const headersOf = (path: string, method: string) => (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);

  it("names bearer authentication as the security scheme", () => {
    expect(doc.components?.securitySchemes).toMatchObject({ bearer: { type: "http", scheme: "bearer" } });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it("every write of a protected route takes Idempotency-Key, X-Reason and X-On-Behalf-Of; memory writes take If-Match", () => {
    const writes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).filter((m) => ["post", "patch", "put", "delete"].includes(m)).map((m) => [path, m] as const));
    expect(writes.length).toBeGreaterThan(20);
    for (const [path, method] of writes) expect(headersOf(path, method), `${method} ${path}`).toEqual(expect.arrayContaining(["idempotency-key", "x-reason", "x-on-behalf-of", "x-correlation-id"]));
    expect(headersOf("/memories/{memoryId}", "patch")).toContain("if-match");
    expect(headersOf("/memories/{memoryId}/archive", "post")).toContain("if-match");
    expect(headersOf("/memories", "post")).not.toContain("if-match");
  });

  it("reads take X-On-Behalf-Of but no Idempotency-Key; public probes take neither", () => {
    expect(headersOf("/memories/{memoryId}", "get")).toEqual(expect.arrayContaining(["x-on-behalf-of", "x-correlation-id"]));
    expect(headersOf("/memories/{memoryId}", "get")).not.toContain("idempotency-key");
    expect(headersOf("/events", "get")).toEqual(expect.arrayContaining(["last-event-id", "x-on-behalf-of"]));
    expect(headersOf("/health/ready", "get")).toEqual([]);
  });
});
