import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerMetrics } from "../src/metrics/ledgerMetrics.js";
import { authenticatedServer, type AuthenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** One series' value from the exposition text (0 when absent). */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    if (wanted.every((w) => (match[2] ?? "").includes(w))) total += Number(match[3]);
  }
  return total;
}

describe("GET /metrics after requests and job runs", () => {
  let server: AuthenticatedServer;
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  const metrics = new LedgerMetrics({ processMetrics: false });
  const scrape = async () => {
    const answer = await server.injectRaw({ method: "GET", url: "/metrics" });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    return answer.body;
  };

  beforeAll(async () => {
    const t = await tempLedger({ telemetry: { metrics }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    dispose = t.dispose;
    server = await authenticatedServer(t.ledger, t.dataDir, { metrics: { metrics } });
    app = server.app;
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  it("is served without an API key, and kept out of the OpenAPI document", async () => {
    await scrape();
    const doc = (await server.injectRaw({ method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, unknown> };
    expect(doc.paths["/metrics"]).toBeUndefined();
  });

  it("request latency per route pattern, method and status class moves with requests", async () => {
    const before = await scrape();
    const route = { route: "/cubes/:cubeId", method: "GET" };
    expect((await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "m1", name: "M1", owner: { kind: "user", id: "u" } } })).statusCode).toBe(201);
    for (let i = 0; i < 3; i += 1) expect((await app.inject({ method: "GET", url: "/cubes/m1" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/cubes/nope" })).statusCode).toBe(404);
    const after = await scrape();
    const count = (text: string, status: string) => valueOf(text, "memledger_http_request_duration_seconds_count", { ...route, status_class: status });
    expect(count(after, "2xx") - count(before, "2xx")).toBe(3);
    expect(count(after, "4xx") - count(before, "4xx")).toBe(1);
    // The pattern, never the id: series stay bounded.
    expect(after).not.toContain('route="/cubes/m1"');
    expect(valueOf(after, "memledger_http_request_duration_seconds_sum", { ...route, status_class: "2xx" })).toBeGreaterThan(0);
  });

  it("events appended by type, erasures, and job runs by kind move with what the ledger does", async () => {
    const before = await scrape();
    const added = await app.inject({ method: "POST", url: "/cubes/m1/add", payload: { mode: "async", memories: [{ text: "one" }, { text: "two" }] } });
    expect(added.statusCode).toBe(202);
    const { memoryIds, job } = added.json() as { memoryIds: string[]; job: { jobId: string } };
    expect((await app.inject({ method: "GET", url: `/jobs/${job.jobId}/wait?timeoutMs=10000` })).json()).toMatchObject({ job: { status: "done" } });
    expect((await app.inject({ method: "POST", url: `/memories/${memoryIds[0]}/erase`, payload: {} })).statusCode).toBeLessThan(300);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta("memledger_events_appended_total", { type: "MemoryCreated" })).toBe(2);
    expect(delta("memledger_events_appended_total", { type: "MemoryActivated" })).toBe(2);
    expect(delta("memledger_events_appended_total", { type: "MemoryErased" })).toBe(1);
    expect(delta("memledger_erasures_total", { scope: "memory" })).toBe(1);
    expect(delta("memledger_job_run_duration_seconds_count", { kind: "memory.ingest", outcome: "done" })).toBe(1);
    expect(delta("memledger_event_append_duration_seconds_count")).toBeGreaterThanOrEqual(5);
  });

  it("projection lag per read model and the job queue are read at scrape time", async () => {
    await app.inject({ method: "GET", url: "/health/ready" });
    const text = await scrape();
    expect(text).toMatch(/memledger_projection_lag_events\{read_model="[^"]+"\} \d+/);
    expect(text).toContain("# TYPE memledger_job_queue_depth gauge");
    expect(text).toContain("# TYPE memledger_job_queue_oldest_age_seconds gauge");
  });
});

describe("GET /metrics with MEMLEDGER_METRICS_TOKEN", () => {
  it("refuses a scrape without the token, or with an API key, and answers one with it", async () => {
    const t = await tempLedger();
    const metrics = new LedgerMetrics({ processMetrics: false });
    const server = await authenticatedServer(t.ledger, t.dataDir, { metrics: { metrics, token: "scrape-secret" } });
    try {
      expect((await server.injectRaw({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
      expect((await server.injectRaw({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${await server.tokenFor()}` } })).statusCode).toBe(401);
      const answer = await server.injectRaw({ method: "GET", url: "/metrics", headers: { authorization: "Bearer scrape-secret" } });
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain("memledger_http_request_duration_seconds");
    } finally {
      await server.app.close();
      await t.dispose();
    }
  });
});
