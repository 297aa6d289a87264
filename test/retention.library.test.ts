import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import type { RetentionPolicy } from "../domain/retention/retentionPolicy.js";
import { retentionPolicySweepJobKind } from "../src/retention/retentionService.js";
import { failureOf } from "./support/tempLedger.js";

/**
 * Retention policies per cube and memory type, applied by recurring durable
 * sweeps that skip held units, leave a report and schedule their next run; the
 * clock the policy judges ages by is injected, so time moves without sleeping.
 */
const dirs: string[] = [];
const open: MemLedger[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const day = 86_400_000;

async function world(dataDir = mkdtempSync(join(tmpdir(), "memledger-retention-")), clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"))) {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const ledger = await openMemLedger({ dataDir, clock, worker: { concurrency: 2 }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
  open.push(ledger);
  return { ledger, clock, dataDir };
}

const policy: RetentionPolicy = {
  rules: [
    { memoryType: "raw_source", eraseAfterDays: 30 },
    { memoryType: "long_term", archiveAfterDays: 20, freezeAfterDays: 60 },
  ],
  sweepEveryHours: 1,
};

/** l2 is 61 days unchanged (freeze), l1 and the raw chat turns 31 days (archive, erase), the preference has no rule. */
async function agedCube(ledger: MemLedger, clock: ManualClock) {
  await ledger.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "user", id: "u" } });
  const make = async (text: string, memoryType: "raw_source" | "long_term" | "preference") => (await ledger.memories.create({ cubeId: "chat", text, memoryType })).memoryId;
  const l2 = await make("old fact", "long_term");
  clock.advance(30 * day);
  const l1 = await make("newer fact", "long_term");
  const r1 = await make("user: hi", "raw_source");
  const r2 = await make("user: the contract says", "raw_source");
  const p1 = await make("likes tea", "preference");
  clock.advance(31 * day);
  return { l1, l2, r1, r2, p1 };
}

const statuses = async (ledger: MemLedger, ids: Record<string, string>) =>
  Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, (await ledger.memories.get(id)).status] as const)));

const sweepJobs = (ledger: MemLedger) => ledger.jobs.list({ kind: retentionPolicySweepJobKind, cubeId: "chat" });

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("retention policies", () => {
  it("a dry run lists what a sweep would do and writes nothing", async () => {
    const { ledger, clock } = await world();
    const units = await agedCube(ledger, clock);
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: units.r2 }, reason: "dispute" });
    const before = await statuses(ledger, units);
    const revisions = await Promise.all(Object.values(units).map(async (id) => (await ledger.memories.get(id)).revision));

    const plan = await ledger.retention.dryRun("chat", policy);
    expect(plan.dryRun).toBe(true);
    expect(Object.fromEntries(plan.actions.map((a) => [a.memoryId, a.action]))).toEqual({ [units.l2]: "freeze", [units.l1]: "archive", [units.r1]: "erase" });
    expect(plan.skipped).toEqual([expect.objectContaining({ memoryId: units.r2, action: "erase", holdIds: [hold.holdId] })]);

    expect(await statuses(ledger, units)).toEqual(before);
    expect(await Promise.all(Object.values(units).map(async (id) => (await ledger.memories.get(id)).revision))).toEqual(revisions);
    expect(await ledger.retention.runs("chat")).toEqual([]);
    expect(await sweepJobs(ledger)).toEqual([]);
    // Without a policy given, the dry run needs a stored one.
    expect((await failureOf(ledger.retention.dryRun("chat")))._tag).toBe("RetentionPolicyNotFound");
  });

  it("a sweep archives, freezes and erases per policy and memory type, skips held units, leaves a report and schedules its next run", async () => {
    const { ledger, clock } = await world();
    const units = await agedCube(ledger, clock);
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: units.r2 }, reason: "dispute" });
    const set = await ledger.retention.setPolicy("chat", policy, { tenantId: "default", actor: "dpo", reason: "records schedule 7" });
    expect(set.sweepJobId).toEqual(expect.any(String));
    expect((await ledger.jobs.wait(set.sweepJobId!, 15_000)).job.status).toBe("done");

    expect(await statuses(ledger, units)).toEqual({ l1: "archived", l2: "frozen", r1: "erased", r2: "activated", p1: "activated" });
    expect((await ledger.memories.get(units.r1)).content).toBeNull();
    const history = await ledger.memories.history(units.l1);
    expect(history.at(-1)).toEqual(expect.objectContaining({ actor: "system:retention" }));
    expect(String((history.at(-1) as { reason?: string }).reason)).toContain("retention policy of cube chat");

    const [report] = await ledger.retention.runs("chat");
    expect(report).toBeDefined();
    expect(Object.fromEntries(report!.actions.map((a) => [a.memoryId, a.action]))).toEqual({ [units.l2]: "freeze", [units.l1]: "archive", [units.r1]: "erase" });
    expect(report!.skipped).toEqual([expect.objectContaining({ memoryId: units.r2, holdIds: [hold.holdId] })]);

    const waiting = (await sweepJobs(ledger)).filter((j) => j.status === "waiting");
    expect(waiting).toHaveLength(1);
    expect(Date.parse(waiting[0]!.notBefore) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(waiting[0]!.notBefore).toBe(report!.nextRunAt);
  });

  it("a restart between runs neither loses nor duplicates the next run", async () => {
    const first = await world();
    const units = await agedCube(first.ledger, first.clock);
    const set = await first.ledger.retention.setPolicy("chat", { ...policy, sweepEveryHours: 2 / 3600 });
    await first.ledger.jobs.wait(set.sweepJobId!, 15_000);
    const next = (await sweepJobs(first.ledger)).filter((j) => j.status === "waiting");
    expect(next).toHaveLength(1);
    await first.ledger.close();
    open.splice(open.indexOf(first.ledger), 1);

    // Reopened with the event clock moved on: the chain goes on from the job left in the durable queue.
    first.clock.advance(day);
    const second = await world(first.dataDir, first.clock);
    const runs = await until(() => second.ledger.retention.runs("chat"), (r) => r.length >= 2);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.jobId).toBe(next[0]!.jobId);
    const jobs = await sweepJobs(second.ledger);
    const keys = jobs.map((j) => j.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(jobs.filter((j) => j.status === "waiting" || j.status === "running").length).toBeLessThanOrEqual(1);
    expect(await statuses(second.ledger, { r2: units.r2 })).toEqual({ r2: "erased" });
  });

  it("removing the policy stops the sweeps; a bad policy is refused", async () => {
    const { ledger } = await world();
    await ledger.cubes.create({ cubeId: "chat", name: "chat", owner: { kind: "user", id: "u" } });
    expect((await failureOf(ledger.retention.setPolicy("chat", { rules: [{ memoryType: "raw_source" }] })))._tag).toBe("InvalidRequest");
    expect((await failureOf(ledger.retention.setPolicy("nope", policy)))._tag).toBe("CubeNotFound");
    const retried = { tenantId: "default", actor: "dpo", commandId: "key-1" };
    const set = await ledger.retention.setPolicy("chat", { ...policy, sweepEveryHours: 1 / 3600 }, retried);
    expect((await ledger.retention.setPolicy("chat", { ...policy, sweepEveryHours: 1 / 3600 }, retried)).revision).toBe(set.revision);
    await ledger.jobs.wait(set.sweepJobId!, 15_000);
    await ledger.retention.removePolicy("chat");
    expect((await failureOf(ledger.retention.getPolicy("chat")))._tag).toBe("RetentionPolicyNotFound");
    const settled = await until(() => sweepJobs(ledger), (jobs) => jobs.every((j) => j.status === "done") && jobs.some((j) => (j.result as { stopped?: string } | undefined)?.stopped !== undefined), 10_000);
    expect(settled.some((j) => (j.result as { stopped?: string }).stopped === "the policy was removed")).toBe(true);
    expect(settled.every((j) => j.status === "done")).toBe(true);
  });
});
