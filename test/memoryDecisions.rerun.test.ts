import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, ManagedRuntime } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { memLedgerLayer, openMemLedger } from "../src/app/memLedger.js";
import { JobBus } from "../src/jobs/jobBusPort.js";
import { MemoryDecisions } from "../src/memoryDecisions/decisionService.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { MemoryService } from "../src/memory/memoryService.js";

/**
 * The decision job run by hand, as a worker would run it after a crash: the
 * same job twice decides once and changes every unit once. Also: the
 * low-level create is never decided on, and a reverted UPDATE gives the old
 * text back exactly.
 */
describe("merge decision job: reruns and scope", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("running the same decision job twice records each decision once and changes each unit once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "decisions-rerun-"));
    dirs.push(dataDir);
    // Write with no worker: the decision job waits in the queue.
    const writer = await openMemLedger({ dataDir, worker: false });
    await writer.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
    const added = await writer.memories.add("c", { memories: [{ text: "Quinn collects stamps" }, { text: "Quinn collects stamps!" }, { text: "Quinn collects old stamps from Peru" }] });
    await writer.close();
    if (added.mode !== "sync") throw new Error("expected a sync add");
    const [a, b, c] = added.memories.map((m) => m.memoryId);

    const runtime = ManagedRuntime.make(memLedgerLayer({ dataDir, worker: false }));
    try {
      const [job] = await runtime.runPromise(Effect.flatMap(JobBus, (bus) => bus.list({ kind: decideJobKind })));
      expect(job).toBeDefined();
      const handler = (await runtime.runPromise(MemoryDecisions)).handlers[decideJobKind]!;
      const state = () =>
        runtime.runPromise(
          Effect.gen(function* () {
            const decisions = yield* (yield* MemoryDecisions).list("c");
            const memories = yield* MemoryService;
            const units = yield* Effect.forEach([a!, b!, c!], (id) => memories.get(id));
            return { decisions, units };
          }),
        );
      await handler(job!, { attempt: 1, signal: new AbortController().signal });
      const once = await state();
      expect(once.decisions.map((d) => [d.memoryId, d.decision])).toEqual([
        [a, "ADD"],
        [b, "NOOP"],
        [c, "UPDATE"],
      ]);
      expect(once.units.map((u) => u.status)).toEqual(["activated", "merged", "merged"]);
      expect(once.units[0]!.content?.text).toBe("Quinn collects old stamps from Peru");

      await handler(job!, { attempt: 2, signal: new AbortController().signal });
      expect(await state()).toEqual(once);
    } finally {
      await runtime.dispose();
    }
  });

  it("POST /memories (memories.create) stores what it is given: the same text twice stays two active units", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "decisions-create-"));
    dirs.push(dataDir);
    const ledger = await openMemLedger({ dataDir });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const one = await ledger.memories.create({ cubeId: "c", text: "Rita runs marathons" });
      const two = await ledger.memories.create({ cubeId: "c", text: "Rita runs marathons" });
      expect(await ledger.jobs.list({ kind: decideJobKind })).toEqual([]);
      expect((await ledger.memories.get(one.memoryId)).status).toBe("activated");
      expect((await ledger.memories.get(two.memoryId)).status).toBe("activated");
      expect(await ledger.decisions.list("c")).toEqual([]);
    } finally {
      await ledger.close();
    }
  });

  it("reverting an UPDATE gives the updated unit its old text, attributes and status back, and the merged unit its own", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "decisions-revert-"));
    dirs.push(dataDir);
    const ledger = await openMemLedger({ dataDir });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const first = await ledger.memories.add("c", { memories: [{ text: "Sven repairs old bicycles", tags: ["hobby"] }] });
      const second = await ledger.memories.add("c", { memories: [{ text: "Sven repairs old bicycles in his garage" }] });
      if (first.mode !== "sync" || second.mode !== "sync") throw new Error("expected sync adds");
      for (const job of await ledger.jobs.list({ kind: decideJobKind })) await ledger.jobs.wait(job.jobId, 20_000);
      const old = first.memories[0]!;
      const fresh = second.memories[0]!;
      const decision = (await ledger.decisions.list("c")).find((d) => d.memoryId === fresh.memoryId)!;
      expect(decision.decision).toBe("UPDATE");
      await ledger.decisions.revert(decision.decisionId);
      const pick = (v: { status: string; content: unknown; attributes: unknown; successorId?: string }) => ({ status: v.status, content: v.content, attributes: v.attributes, successorId: v.successorId });
      expect(pick(await ledger.memories.get(old.memoryId))).toEqual(pick(old));
      expect(pick(await ledger.memories.get(fresh.memoryId))).toEqual(pick(fresh));
      expect((await ledger.decisions.get(decision.decisionId)).status).toBe("reverted");
    } finally {
      await ledger.close();
    }
  });
});

describe("merge decisions stay within one data subject and visibility", () => {
  it("the same text about two users, or private and cube-visible, stays two units", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "decisions-subjects-"));
    const ledger = await openMemLedger({ dataDir });
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const added = await ledger.memories.add("c", {
        memories: [
          { text: "Prefers the aisle seat", userId: "uma" },
          { text: "Prefers the aisle seat", userId: "victor" },
          { text: "Prefers the aisle seat", userId: "uma", visibility: "private" },
          { text: "Prefers the aisle seat", userId: "uma" },
        ],
      });
      for (const job of await ledger.jobs.list({ kind: decideJobKind })) await ledger.jobs.wait(job.jobId, 20_000);
      if (added.mode !== "sync") throw new Error("expected a sync add");
      const statuses = await Promise.all(added.memories.map(async (m) => (await ledger.memories.get(m.memoryId)).status));
      expect(statuses).toEqual(["activated", "activated", "activated", "merged"]);
      expect((await ledger.memories.get(added.memories[3]!.memoryId)).successorId).toBe(added.memories[0]!.memoryId);
    } finally {
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
