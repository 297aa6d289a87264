import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config.js";
import { configFromSources } from "../src/configFile.js";

const base = { MEMLEDGER_EMBEDDING_MODEL_DIR: "/nonexistent/model" };

describe("job lease, heartbeat and worker name from the configuration (hardening #12)", () => {
  it("hardening #12: reads the embedded queue's lease and heartbeat and the worker name, and leaves the defaults to the bus when unset", () => {
    expect(configFromEnv(base)).toMatchObject({ jobBus: { kind: "sqlite" }, worker: { concurrency: 4 } });
    const config = configFromEnv({ ...base, MEMLEDGER_JOB_LEASE_MS: "3000", MEMLEDGER_JOB_HEARTBEAT_MS: "500", MEMLEDGER_WORKER_NAME: "api-1" });
    expect(config.jobBus).toEqual({ kind: "sqlite", leaseMs: 3_000, heartbeatMs: 500 });
    expect(config.worker).toEqual({ concurrency: 4, name: "api-1" });
  });

  it("hardening #12: refuses a heartbeat that is not well under the lease, a lease too short to renew, and a name that is not a plain word", () => {
    expect(() => configFromEnv({ ...base, MEMLEDGER_JOB_LEASE_MS: "2000", MEMLEDGER_JOB_HEARTBEAT_MS: "1500" })).toThrow(/MEMLEDGER_JOB_HEARTBEAT_MS=1500 must be at most half of the job lease \(2000 ms\)/);
    expect(() => configFromEnv({ ...base, MEMLEDGER_JOB_HEARTBEAT_MS: "4000" })).toThrow(/at most half of the job lease \(5000 ms\)/);
    expect(() => configFromEnv({ ...base, MEMLEDGER_JOB_LEASE_MS: "50" })).toThrow(/MEMLEDGER_JOB_LEASE_MS=50 is too short/);
    expect(() => configFromEnv({ ...base, MEMLEDGER_JOB_LEASE_MS: "5s" })).toThrow(/MEMLEDGER_JOB_LEASE_MS must be a whole number/);
    expect(() => configFromEnv({ ...base, MEMLEDGER_WORKER_NAME: "api 1" })).toThrow(/MEMLEDGER_WORKER_NAME="api 1" may hold letters/);
  });

  it("hardening #12: the Kafka session timeout is its own setting, and each bus refuses the other's", () => {
    const kafka = { ...base, MEMLEDGER_JOB_BUS: "kafka", MEMLEDGER_KAFKA_BROKERS: "kafka:9092" };
    expect(configFromEnv({ ...kafka, MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS: "8000" }).jobBus).toEqual({ kind: "kafka", brokers: ["kafka:9092"], topicPrefix: "memledger.jobs", sessionTimeoutMs: 8_000 });
    expect(() => configFromEnv({ ...kafka, MEMLEDGER_JOB_LEASE_MS: "3000" })).toThrow(/MEMLEDGER_JOB_LEASE_MS applies to the embedded job queue only/);
    expect(() => configFromEnv({ ...base, MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS: "8000" })).toThrow(/applies to the Kafka job bus only/);
    expect(() => configFromEnv({ ...kafka, MEMLEDGER_KAFKA_SESSION_TIMEOUT_MS: "500" })).toThrow(/too short for Kafka/);
  });

  it("hardening #12: the configuration file has the same settings (jobBus.leaseMs, jobBus.heartbeatMs, jobBus.sessionTimeoutMs, worker.name)", () => {
    const path = join(mkdtempSync(join(tmpdir(), "memledger-config-")), "memledger.json");
    writeFileSync(path, JSON.stringify({ jobBus: { leaseMs: 4000, heartbeatMs: 800 }, worker: { name: "batch" } }));
    const config = configFromSources({ ...base, MEMLEDGER_CONFIG: path });
    expect(config.jobBus).toEqual({ kind: "sqlite", leaseMs: 4_000, heartbeatMs: 800 });
    expect(config.worker).toEqual({ concurrency: 4, name: "batch" });
  });
});
