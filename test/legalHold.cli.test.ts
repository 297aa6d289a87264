import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HoldView, PendingErasureView } from "../src/legalHold/holdsApi.js";
import type { RetentionDryRun, RetentionPolicyView } from "../src/retention/retentionApi.js";
import { parseRule } from "../src/cli/retentionCommands.js";
import { runCliCaptured, type CliRun } from "./support/cliRun.js";

const run = runCliCaptured;

/** `memledger hold …` and `memledger retention …` on an embedded data directory, as the trusted local operator. */
describe("the memledger CLI's hold and retention commands", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-hold-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const operator = (...args: string[]) => run(["--data-dir", dataDir, "--tenant", "acme", ...args]);
  const json = async <T>(runner: Promise<CliRun>): Promise<T> => {
    const done = await runner;
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    return JSON.parse(done.out) as T;
  };

  it("places, lists and releases holds; a refused erasure shows as pending", async () => {
    await json(operator("cube", "create", "notes", "--id", "c1", "--owner-kind", "project", "--owner-id", "p", "--json"));
    const unit = await json<{ memoryId: string }>(operator("memory", "add", "c1", "minutes of the board", "--json"));
    const hold = await json<HoldView>(operator("hold", "place", "--memory", unit.memoryId, "--reason", "case 7", "--json"));
    expect(hold).toMatchObject({ scope: { kind: "memory", id: unit.memoryId }, reason: "case 7", active: true });

    const refused = await operator("memory", "erase", unit.memoryId);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(hold.holdId);
    const pending = await json<PendingErasureView[]>(operator("hold", "pending", "--json"));
    expect(pending).toEqual([expect.objectContaining({ memoryId: unit.memoryId, waitingOn: [hold.holdId] })]);
    expect((await json<HoldView[]>(operator("hold", "list", "--json"))).map((h) => h.holdId)).toEqual([hold.holdId]);
    expect((await operator("hold", "list")).out).toContain("case 7");

    expect((await operator("hold", "place", "--reason", "no scope")).code).not.toBe(0);
    const released = await json<HoldView>(operator("hold", "release", hold.holdId, "--reason", "closed", "--json"));
    expect(released.active).toBe(false);
    expect(released.resumedErasures).toHaveLength(1);
    expect(await json<HoldView[]>(operator("hold", "list", "--json"))).toEqual([]);
  });

  it("sets, shows, dry-runs, lists runs of and removes a retention policy", async () => {
    expect(parseRule("raw_source:erase=30")).toEqual({ memoryType: "raw_source", eraseAfterDays: 30 });
    expect(parseRule("custom:chat:archive=7,freeze=30")).toEqual({ memoryType: "custom:chat", archiveAfterDays: 7, freezeAfterDays: 30 });
    await json(operator("cube", "create", "chat", "--id", "c2", "--owner-kind", "project", "--owner-id", "p", "--json"));
    await json(operator("memory", "add", "c2", "user: hello", "--type", "raw_source", "--json"));
    const dry = await json<RetentionDryRun>(operator("retention", "dry-run", "c2", "--rule", "raw_source:erase=0", "--json"));
    expect(dry.actions).toEqual([expect.objectContaining({ action: "erase", memoryType: "raw_source" })]);
    expect((await operator("retention", "dry-run", "c2", "--rule", "raw_source:erase=0")).out).toContain("nothing written");

    const set = await json<RetentionPolicyView>(operator("retention", "set", "c2", "--rule", "raw_source:erase=30", "--rule", "*:archive=90", "--every-hours", "12", "--json"));
    expect(set.policy).toEqual({ rules: [{ memoryType: "raw_source", eraseAfterDays: 30 }, { memoryType: "*", archiveAfterDays: 90 }], sweepEveryHours: 12 });
    expect((await operator("retention", "show", "c2")).out).toContain("raw_source: erase after 30 d");
    expect((await operator("retention", "runs", "c2")).code).toBe(0);
    expect((await operator("retention", "remove", "c2")).out).toContain("removed");
    expect((await operator("retention", "show", "c2")).code).not.toBe(0);
  });
});
