import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../src/server/buildServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** Swagger UI at /docs: public, served from the package (no CDN), and absent from the OpenAPI document it shows. */
describe("Swagger UI", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    app = await buildServer(t.ledger, { rateLimit: false });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  it("serves the UI page without a credential, every script and stylesheet from this server", async () => {
    const page = await app.inject({ method: "GET", url: "/docs/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain("swagger-ui");
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    // No CDN: every asset is a relative path served here.
    for (const asset of assets) expect(asset).not.toMatch(/^(https?:)?\/\//);
    for (const asset of assets.filter((a) => /\.(js|css)$/.test(a))) {
      const url = new URL(asset, "http://localhost/docs/").pathname;
      const answer = await app.inject({ method: "GET", url });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.body.length, url).toBeGreaterThan(100);
    }
  });

  it("points the UI at the server's own document", async () => {
    const initializer = await app.inject({ method: "GET", url: "/docs/static/swagger-initializer.js" });
    expect(initializer.statusCode).toBe(200);
    const spec = await app.inject({ method: "GET", url: "/docs/json" });
    expect(spec.statusCode).toBe(200);
    expect(spec.json()).toMatchObject({ openapi: "3.0.3", info: { title: "memledger" } });
  });

  it("keeps its own routes out of the OpenAPI document", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/docs"))).toEqual([]);
  });

  it("leaves the API itself behind authentication", async () => {
    expect((await app.inject({ method: "GET", url: "/cubes" })).statusCode).toBe(401);
  });
});
