import { describe, expect, it } from "vitest";
import { activeTracer, startTracingFromEnvironment } from "../src/tracing/tracing.js";

/** Without an OTLP endpoint nothing of OpenTelemetry starts: no tracer, so no hook, no decorator, no span. */
describe("tracing off", () => {
  it("no endpoint, or OTEL_TRACES_EXPORTER=none: nothing starts", async () => {
    expect(await startTracingFromEnvironment({})).toBeUndefined();
    expect(await startTracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: "" })).toBeUndefined();
    expect(await startTracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
    expect(activeTracer()).toBeUndefined();
  });

  it("an endpoint set: the SDK starts, and stops cleanly", async () => {
    const tracing = await startTracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" });
    expect(tracing).toBeDefined();
    expect(activeTracer()).toBeDefined();
    await tracing!.shutdown();
    expect(activeTracer()).toBeUndefined();
  });
});
