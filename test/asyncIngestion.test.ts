import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger, MemLedgerOptions } from "../src/app/memLedger.js";
import type { IngestionStep } from "../src/ingestion/ingestionStep.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const alice = { tenantId: "acme", actor: "user:alice", reason: "chat session 7" };
const fastRetries = { maxAttempts: 3, baseDelayMs: 30, maxDelayMs: 200 };

describe("adding memories synchronously and asynchronously (MemOS add, async_mode)", () => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0)) await dispose();
  });

  async function ledgerWith(options: Partial<MemLedgerOptions> = {}): Promise<{ ledger: MemLedger; dataDir: string }> {
    const { ledger, dataDir, dispose } = await tempLedger({ defaultContext: alice, jobBus: { kind: "sqlite", retryPolicy: fastRetries, pollIntervalMs: 20 }, ...options });
    disposers.push(dispose);
    await ledger.cubes.create({ cubeId: "alice-cube", name: "Alice", owner: { kind: "user", id: "alice" } });
    return { ledger, dataDir };
  }

  it("sync add returns the units already activated", async () => {
    const { ledger } = await ledgerWith();
    const result = await ledger.memories.add("alice-cube", { memories: [{ text: "likes green tea" }, { text: "lives in Lyon" }] });
    expect(result.mode).toBe("sync");
    if (result.mode !== "sync") return;
    expect(result.memories.map((m) => [m.content?.text, m.status])).toEqual([
      ["likes green tea", "activated"],
      ["lives in Lyon", "activated"],
    ]);
  });

  it("async add returns at once with generated unit ids and a job that activates them", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStep: IngestionStep = { name: "slow-extraction", run: () => gate };
    const { ledger } = await ledgerWith({ ingestionSteps: [slowStep] });

    const result = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: "prefers window seats" }, { text: "allergic to nuts" }] });
    expect(result.mode).toBe("async");
    if (result.mode !== "async") return;
    expect(result.memoryIds).toHaveLength(2);
    expect(["waiting", "running"]).toContain(result.job.status);
    // The source is durable and visible before the slow work is done.
    for (const id of result.memoryIds) expect((await ledger.memories.get(id)).status).toBe("generated");
    expect((await ledger.jobs.wait(result.job.jobId, 50)).finished).toBe(false);

    release();
    const waited = await ledger.jobs.wait(result.job.jobId, 10_000);
    expect(waited.finished).toBe(true);
    expect(waited.job).toMatchObject({ status: "done", kind: "memory.ingest", cubeId: "alice-cube", result: { activated: result.memoryIds, skipped: [] } });
    for (const id of result.memoryIds) {
      expect((await ledger.memories.get(id)).status).toBe("activated");
      const activation = (await ledger.memories.history(id)).find((h) => h.type === "MemoryActivated")!;
      expect(activation).toMatchObject({ actor: "system:ingestion", causationId: result.job.jobId });
      expect(activation.reason).toContain("user:alice");
    }
    expect((await ledger.jobs.list({ cubeId: "alice-cube" })).map((j) => j.jobId)).toContain(result.job.jobId);
  });

  it("a failing step leaves the unit generated with the error recorded, and the retry activates it", async () => {
    let calls = 0;
    const flaky: IngestionStep = {
      name: "embed",
      run: async () => {
        calls += 1;
        if (calls < 3) throw new Error(`embedder unavailable (call ${calls})`);
      },
    };
    const { ledger } = await ledgerWith({ ingestionSteps: [flaky] });
    const result = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: "works at ACME" }] });
    if (result.mode !== "async") throw new Error("expected async");
    const waited = await ledger.jobs.wait(result.job.jobId, 10_000);
    expect(waited.job).toMatchObject({ status: "done", attempts: 3 });
    const id = result.memoryIds[0]!;
    const history = await ledger.memories.history(id);
    expect(history.map((h) => h.type)).toEqual(["MemoryCreated", "MemoryProcessingFailed", "MemoryProcessingFailed", "MemoryActivated"]);
    const unit = await ledger.memories.get(id);
    expect(unit.status).toBe("activated");
    expect(unit.processingFailure).toBeUndefined();
    expect(unit.content?.text).toBe("works at ACME");
  });

  it("a job that exhausts its attempts goes dead; the unit stays generated with its source and the error, and a retry by hand finishes it", async () => {
    let broken = true;
    const step: IngestionStep = {
      name: "extract",
      run: async () => {
        if (broken) throw new Error("model returned garbage");
      },
    };
    const { ledger } = await ledgerWith({ ingestionSteps: [step] });
    const result = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: "has two cats" }] });
    if (result.mode !== "async") throw new Error("expected async");
    const waited = await ledger.jobs.wait(result.job.jobId, 10_000);
    expect(waited.job.status).toBe("dead");
    expect(waited.job.lastError).toContain("extract: model returned garbage");
    const id = result.memoryIds[0]!;
    const stuck = await ledger.memories.get(id);
    expect(stuck).toMatchObject({ status: "generated", content: { text: "has two cats" } });
    expect(stuck.processingFailure).toMatchObject({ jobId: result.job.jobId, attempt: 3, willRetry: false });
    expect(stuck.processingFailure?.error).toContain("model returned garbage");

    broken = false;
    await ledger.jobs.retry(result.job.jobId);
    expect((await ledger.jobs.wait(result.job.jobId, 10_000)).job.status).toBe("done");
    expect((await ledger.memories.get(id)).status).toBe("activated");
  });

  it("sync add with a failing step reports which unit and step failed, and keeps the unit generated", async () => {
    const step: IngestionStep = { name: "embed", run: async () => Promise.reject(new Error("no model")) };
    const { ledger } = await ledgerWith({ ingestionSteps: [step] });
    const failure = await failureOf(ledger.memories.add("alice-cube", { memories: [{ text: "x" }] }));
    expect(failure._tag).toBe("IngestionFailed");
    expect(failure.step).toBe("embed");
    expect((await ledger.memories.get(String(failure.memoryId))).status).toBe("generated");
  });

  it("retrying an async add with the same idempotency key returns the same units and job", async () => {
    const { ledger } = await ledgerWith({ worker: false });
    const ctx = { ...alice, commandId: "req-42" };
    const first = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: "a" }, { text: "b" }] }, ctx);
    const second = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: "a" }, { text: "b" }] }, ctx);
    if (first.mode !== "async" || second.mode !== "async") throw new Error("expected async");
    expect(second.memoryIds).toEqual(first.memoryIds);
    expect(second.job.jobId).toBe(first.job.jobId);
    expect(await ledger.cubes.memories("alice-cube")).toHaveLength(2);
  });

  it("jobs left by a process without a worker run when a process with a worker opens the data directory", async () => {
    const { ledger, dataDir } = await ledgerWith({ worker: false });
    const jobs: string[] = [];
    const units: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const result = await ledger.memories.add("alice-cube", { mode: "async", memories: [{ text: `fact ${i}` }] });
      if (result.mode !== "async") throw new Error("expected async");
      jobs.push(result.job.jobId);
      units.push(...result.memoryIds);
    }
    await ledger.close();
    disposers.pop();
    const { ledger: withWorker, dispose } = await tempLedger({ dataDir, defaultContext: alice, jobBus: { kind: "sqlite", retryPolicy: fastRetries, pollIntervalMs: 20 } });
    disposers.push(dispose);
    for (const jobId of jobs) expect((await withWorker.jobs.wait(jobId, 20_000)).job.status).toBe("done");
    const statuses = new Set((await withWorker.cubes.memories("alice-cube")).map((m) => m.status));
    expect([...statuses]).toEqual(["activated"]);
    expect(units).toHaveLength(200);
  });
});

describe("scheduled commands (durable delays)", () => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0)) await dispose();
  });

  it("archives a unit when the scheduled time comes, as an ordinary audited command", async () => {
    const { ledger, dispose } = await tempLedger({ defaultContext: alice, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    disposers.push(dispose);
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    const unit = await ledger.memories.create({ cubeId: "c", text: "temporary note" });
    const scheduledAt = Date.now();
    const job = await ledger.memories.schedule(unit.memoryId, { command: "archive", at: new Date(scheduledAt + 400).toISOString() }, { ...alice, reason: "retention: 400 ms" });
    expect(job).toMatchObject({ kind: "memory.command", key: unit.memoryId, cubeId: "c", status: "waiting" });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await ledger.memories.get(unit.memoryId)).status).toBe("activated");
    const waited = await ledger.jobs.wait(job.jobId, 10_000);
    expect(waited.job).toMatchObject({ status: "done", result: { applied: "archive" } });
    expect(Date.parse(waited.job.finishedAt!)).toBeGreaterThanOrEqual(scheduledAt + 400);
    const archived = (await ledger.memories.history(unit.memoryId)).at(-1)!;
    expect(archived).toMatchObject({ type: "MemoryArchived", actor: "system:scheduler", causationId: job.jobId });
    expect(archived.reason).toContain("retention: 400 ms");
  });

  it("a scheduled command on a unit that moved on finishes as skipped instead of retrying forever", async () => {
    const { ledger, dispose } = await tempLedger({ defaultContext: alice, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    disposers.push(dispose);
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    const unit = await ledger.memories.create({ cubeId: "c", text: "to be erased" });
    const job = await ledger.memories.schedule(unit.memoryId, { command: "archive", afterSeconds: 0 });
    await ledger.memories.erase(unit.memoryId);
    const waited = await ledger.jobs.wait(job.jobId, 10_000);
    expect(waited.job.status).toBe("done");
    expect(waited.job.attempts).toBe(1);
    expect((await ledger.memories.get(unit.memoryId)).status).toBe("erased");
  });

  it("rejects a schedule without a time, or a freeze without a reason", async () => {
    const { ledger, dispose } = await tempLedger({ defaultContext: alice });
    disposers.push(dispose);
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    const unit = await ledger.memories.create({ cubeId: "c", text: "x" });
    expect((await failureOf(ledger.memories.schedule(unit.memoryId, { command: "archive" })))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.memories.schedule(unit.memoryId, { command: "freeze", afterSeconds: 10 }))).field).toBe("freezeReason");
    expect((await failureOf(ledger.memories.schedule("nope", { command: "archive", afterSeconds: 1 })))._tag).toBe("MemoryNotFound");
  });
});

describe("retention sweeps (durable delays over a cube)", () => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0)) await dispose();
  });

  it("archives the activated units unchanged for N days when the sweep runs, and leaves fresh, frozen and archived ones", async () => {
    const { ledger, clock, dispose } = await tempLedger({ defaultContext: alice, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    disposers.push(dispose);
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    const stale = await ledger.memories.create({ cubeId: "c", text: "old preference" });
    const held = await ledger.memories.create({ cubeId: "c", text: "under legal hold" });
    await ledger.memories.freeze(held.memoryId, "legal_hold");
    clock.advance(40 * 86_400_000);
    const fresh = await ledger.memories.create({ cubeId: "c", text: "new preference" });
    const job = await ledger.cubes.scheduleRetentionSweep("c", { olderThanDays: 30, afterSeconds: 0 }, { ...alice, reason: "30-day retention" });
    expect(job).toMatchObject({ kind: "cube.retention-sweep", key: "c", cubeId: "c" });
    const waited = await ledger.jobs.wait(job.jobId, 10_000);
    expect(waited.job).toMatchObject({ status: "done", result: { checked: 2, archived: [stale.memoryId], skipped: 0 } });
    expect((await ledger.memories.get(stale.memoryId)).status).toBe("archived");
    expect((await ledger.memories.get(fresh.memoryId)).status).toBe("activated");
    expect((await ledger.memories.get(held.memoryId)).status).toBe("frozen");
    expect((await ledger.memories.history(stale.memoryId)).at(-1)).toMatchObject({ type: "MemoryArchived", actor: "system:retention", causationId: job.jobId });
    expect((await failureOf(ledger.cubes.scheduleRetentionSweep("c", { olderThanDays: 0 })))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.cubes.scheduleRetentionSweep("nope", { olderThanDays: 3 })))._tag).toBe("CubeNotFound");
  });
});
