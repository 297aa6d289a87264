import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { lineFrom } from "./support/childProcessOutput.js";
import { tempLedger } from "./support/tempLedger.js";

const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");
const alice = { tenantId: "acme", actor: "user:alice" };

const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

it("a worker killed (SIGKILL) in the middle of an ingestion job: after restart the job completes (hardening #12: at once, not after its lease), each unit activated exactly once", async () => {
  const first = await tempLedger({ defaultContext: alice, worker: false });
  const { ledger, dataDir } = first;
  await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
  const added = await ledger.memories.add("c", { mode: "async", memories: [{ text: "first fact" }, { text: "hang here" }, { text: "third fact" }] });
  if (added.mode !== "async") throw new Error("expected async");
  await ledger.close();

  const child = spawn(viteNode, [join("test", "support", "ingestionWorkerProcess.ts"), dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  await lineFrom(child, "HANGING", 60_000);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;

  // Mid-job: the first unit was activated by the killed worker, the others were not (looked at without a worker).
  const inspected = await tempLedger({ dataDir, defaultContext: alice, worker: false });
  const [firstId, secondId, thirdId] = added.memoryIds as [string, string, string];
  expect((await inspected.ledger.memories.get(firstId)).status).toBe("activated");
  expect((await inspected.ledger.memories.get(secondId)).status).toBe("generated");
  expect((await inspected.ledger.jobs.get(added.job.jobId)).status).toBe("running");
  await inspected.ledger.close();

  // hardening #12: the restart takes back the job its crashed predecessor held, without waiting out the 30 s lease.
  const restartedAt = Date.now();
  const restarted = await tempLedger({ dataDir, defaultContext: alice, jobBus: { kind: "sqlite", leaseMs: 30_000, pollIntervalMs: 20 } });
  disposers.push(restarted.dispose);
  const waited = await restarted.ledger.jobs.wait(added.job.jobId, 40_000);
  expect(Date.now() - restartedAt).toBeLessThan(10_000);
  expect(waited.job).toMatchObject({ status: "done", attempts: 2, result: { activated: [secondId, thirdId], skipped: [firstId] } });
  for (const id of added.memoryIds) {
    const types = (await restarted.ledger.memories.history(id)).map((h) => h.type);
    expect(types).toEqual(["MemoryCreated", "MemoryActivated"]);
  }
}, 90_000);
