import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import type { DecisionView } from "../domain/memoryDecisions/decisionLog.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { runCliCaptured, type CliRun } from "./support/cliRun.js";

/** `memledger decisions …` on an embedded data directory, as the trusted local operator. */
describe("the memledger CLI's decisions commands", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-decisions-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const operator = (...args: string[]) => runCliCaptured(["--data-dir", dataDir, ...args]);
  const json = async <T>(runner: Promise<CliRun>): Promise<T> => {
    const done = await runner;
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    return JSON.parse(done.out) as T;
  };

  it("lists a cube's decisions with reasons, shows one with its inputs, reverts it, and switches the mode", async () => {
    const t0 = Date.now();
    const mark = (what: string) => process.env.DEBUG_DECISIONS && console.log(what, Date.now() - t0);
    // The CLI runs no jobs: a ledger with a worker adds the same fact twice and lets the decision job run.
    const ledger = await openMemLedger({ dataDir });
    await ledger.cubes.create({ cubeId: "c1", name: "notes", owner: { kind: "project", id: "p" } });
    const added = await ledger.memories.add("c1", { memories: [{ text: "Tara bakes rye bread" }, { text: "tara bakes RYE bread." }] });
    for (const job of await ledger.jobs.list({ kind: decideJobKind })) await ledger.jobs.wait(job.jobId, 20_000);
    await ledger.close();
    mark("ledger closed");
    if (added.mode !== "sync") throw new Error("expected a sync add");
    const [first, second] = added.memories.map((m) => m.memoryId);

    const listed = await json<DecisionView[]>(operator("decisions", "list", "--cube", "c1", "--json"));
    const noop = listed.find((d) => d.decision === "NOOP")!;
    expect(noop).toMatchObject({ memoryId: second, targetIds: [first], decidedBy: { kind: "rule", rule: "exact-duplicate" } });

    mark("listed");
    const shown = await operator("decisions", "show", noop.decisionId);
    expect(shown.out).toContain(`NOOP   applied  ${second} -> ${first}  [rule exact-duplicate]`);
    expect(shown.out).toContain(`candidate ${first}`);
    expect(shown.out).toContain(`step merge ${second} -> ${first}`);

    const reverted = await json<DecisionView>(operator("decisions", "revert", noop.decisionId, "--json"));
    expect(reverted.status).toBe("reverted");
    expect(reverted.changes).toEqual([{ memoryId: second, beforeRevision: 1 }]);

    mark("reverted");
    expect((await operator("decisions", "mode", "c1", "propose")).out).toContain("cube c1: decisions propose");
    const wrong = await operator("decisions", "mode", "c1", "sometimes");
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain("auto, propose, off");
  }, 90_000);
});
