import type { FastifyInstance } from "fastify";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../src/tracing/tracing.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** request → ledger call (the command) → log appends → the job it enqueued, as one trace with parent links. */
describe("OpenTelemetry: a request's chain of spans", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let app: FastifyInstance;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    tracing = await startTracing({ exporter });
    const t = await tempLedger({ telemetry: {}, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    dispose = t.dispose;
    ({ app } = await authenticatedServer(t.ledger, t.dataDir));
    expect((await app.inject({ method: "POST", url: "/cubes", payload: { cubeId: "traced", name: "T", owner: { kind: "user", id: "u" } } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app.close();
    await dispose();
    await tracing.shutdown();
  });

  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

  it("an async add: the request span holds the command span, which holds the appends; the job's span is in the same trace under them", async () => {
    exporter.reset();
    const added = await app.inject({ method: "POST", url: "/cubes/traced/add", headers: { "x-request-id": "req-trace-1" }, payload: { mode: "async", memories: [{ text: "one" }, { text: "two" }] } });
    expect(added.statusCode).toBe(202);
    const { job } = added.json() as { job: { jobId: string } };
    await app.inject({ method: "GET", url: `/jobs/${job.jobId}/wait?timeoutMs=10000` });
    // The job span ends just after the job is marked done.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const spans = exporter.getFinishedSpans();

    const request = spans.find((s) => s.name === "POST /cubes/:cubeId/add");
    expect(request, spans.map((s) => s.name).join(", ")).toBeDefined();
    expect(request!.attributes).toMatchObject({ "memledger.request_id": "req-trace-1", "memledger.cube_id": "traced", "http.response.status_code": 202 });
    const traceId = request!.spanContext().traceId;

    const command = spans.find((s) => s.name.startsWith("ledger ") && parentOf(s) === request!.spanContext().spanId);
    expect(command, spans.map((s) => `${s.name} <- ${parentOf(s)}`).join("\n")).toBeDefined();
    expect(command!.attributes["memledger.cube_id"]).toBe("traced");

    const appends = spans.filter((s) => s.name === "eventStore.append" && s.spanContext().traceId === traceId);
    expect(appends.length).toBeGreaterThan(0);
    const inRequest = new Set(spans.filter((s) => s.spanContext().traceId === traceId).map((s) => s.spanContext().spanId));
    // The units are created inside the command: their appends are its children.
    const created = appends.filter((s) => (s.attributes["memledger.event_types"] as string[]).includes("MemoryCreated"));
    expect(created.length).toBeGreaterThan(0);
    for (const append of created) {
      expect(parentOf(append)).toBe(command!.spanContext().spanId);
      expect(append.attributes).toMatchObject({ "memledger.cube_id": "traced", "memledger.event_count": expect.any(Number) });
    }

    const jobSpan = spans.find((s) => s.name === "job memory.ingest");
    expect(jobSpan).toBeDefined();
    expect(jobSpan!.spanContext().traceId).toBe(traceId);
    expect(inRequest.has(parentOf(jobSpan!)!)).toBe(true);
    expect(jobSpan!.attributes).toMatchObject({ "memledger.job_id": job.jobId, "memledger.cube_id": "traced" });
    // The job's own appends (activation) are its children.
    const activations = spans.filter((s) => s.name === "eventStore.append" && parentOf(s) === jobSpan!.spanContext().spanId);
    expect(activations.length).toBeGreaterThan(0);
  });
});
