import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** The `holds` and `retention` namespaces of connectMemLedger, against the real server. */
describe("legal hold and retention through connectMemLedger", () => {
  let app: FastifyInstance;
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let client: RemoteLedger;

  beforeAll(async () => {
    t = await tempLedger({ jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    app = await buildServer(t.ledger);
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    client = await connectMemLedger(baseUrl, { apiKey: readFileSync(join(t.dataDir, "admin.key"), "utf8").trim() });
    await client.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "user", id: "bob" } });
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await t?.dispose();
  });

  it("places a hold, gets LegalHoldActive on erase, lists holds and pending erasures, releases and sees the erasure run", async () => {
    const unit = await client.memories.create({ cubeId: "notes", text: "the settlement draft" });
    const hold = await client.holds.place({ scope: { kind: "cube", id: "notes" }, reason: "matter 9" });
    expect(hold).toMatchObject({ scope: { kind: "cube", id: "notes" }, placedBy: "principal:admin", active: true });
    const refused = await failureOf(client.memories.erase(unit.memoryId));
    expect(refused._tag).toBe("LegalHoldActive");
    expect(refused.message).toContain(hold.holdId);
    expect((await client.holds.list()).map((h) => h.holdId)).toEqual([hold.holdId]);
    expect(await client.holds.pendingErasures()).toEqual([expect.objectContaining({ memoryId: unit.memoryId, waitingOn: [hold.holdId] })]);
    t.clock.advance(1_000);
    const released = await client.holds.release(hold.holdId, "matter closed");
    expect((await client.jobs.wait(released.resumedErasures![0]!.jobId, 15_000)).job.status).toBe("done");
    expect((await client.memories.get(unit.memoryId)).status).toBe("erased");
    expect((await client.holds.list({ includeReleased: true }))[0]).toMatchObject({ holdId: hold.holdId, active: false });
  });

  it("sets, reads, dry-runs and removes a retention policy", async () => {
    const policy = { rules: [{ memoryType: "working" as const, eraseAfterDays: 1 }] };
    await client.memories.create({ cubeId: "notes", text: "scratch", memoryType: "working" });
    t.clock.advance(2 * 86_400_000);
    expect((await client.retention.dryRun("notes", policy)).actions).toEqual([expect.objectContaining({ action: "erase", memoryType: "working" })]);
    const set = await client.retention.setPolicy("notes", policy);
    expect((await client.retention.getPolicy("notes")).policy).toEqual(policy);
    await client.jobs.wait(set.sweepJobId!, 15_000);
    expect((await client.retention.runs("notes"))[0]!.actions).toHaveLength(1);
    await client.retention.removePolicy("notes");
    expect((await failureOf(client.retention.getPolicy("notes")))._tag).toBe("RetentionPolicyNotFound");
  });
});
