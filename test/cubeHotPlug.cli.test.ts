import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "./support/cliRun.js";

describe("memledger cube rename|remove|reinstate|removed, memory transfer, memory fan-out", () => {
  let dataDir: string;
  const run = (...args: string[]) => runCliCaptured(["--data-dir", dataDir, "--tenant", "acme", "--actor", "user:ops", ...args]);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await run("--json", ...args);
    if (result.code !== 0) throw new Error(`${args.join(" ")}: ${result.code} ${result.err}`);
    return JSON.parse(result.out) as T;
  };

  // Each command opens the data directory anew, as a shell user's would: one directory for both tests keeps the count down.
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-hotplug-cli-"));
    for (const id of ["inbox", "project", "team"]) await json("cube", "create", id, "--id", id, "--owner-kind", "user", "--owner-id", "ops");
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("renames, removes (the cube leaves the list, its reads refuse) and reinstates", async () => {
    const unit = await json<{ memoryId: string }>("memory", "add", "inbox", "call the bank");
    const renamed = await run("cube", "rename", "inbox", "Inbox (triaged)");
    expect(renamed.out).toContain("Inbox (triaged)");
    const removed = await run("cube", "remove", "inbox");
    expect(removed.code).toBe(0);
    expect(removed.out).toContain("memledger cube reinstate inbox");
    expect((await json<{ cubeId: string }[]>("cube", "removed")).map((c) => c.cubeId)).toEqual(["inbox"]);
    const refused = await run("memory", "get", unit.memoryId);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("was removed at");
    expect(refused.err).toContain("reinstate");
    expect((await run("cube", "reinstate", "inbox")).code).toBe(0);
    expect((await json<{ content: { text: string } }>("memory", "get", unit.memoryId)).content.text).toBe("call the bank");
  }, 120_000);

  it("moves a memory with lineage, and fans one out to several cubes", async () => {
    const unit = await json<{ memoryId: string }>("memory", "add", "inbox", "renew the passport");
    const moved = await json<{ source: { status: string; movedTo: { memoryId: string } }; copy: { memoryId: string; cubeId: string } }>("memory", "transfer", unit.memoryId, "--to", "project", "--move");
    expect(moved.source.status).toBe("archived");
    expect(moved.source.movedTo.memoryId).toBe(moved.copy.memoryId);
    expect(moved.copy.cubeId).toBe("project");
    const fanned = await run("memory", "fan-out", "all hands on Friday", "--cube", "project", "--cube", "team", "--cube", "nowhere");
    expect(fanned.code).toBe(0);
    expect(fanned.out).toContain("2 cube(s) took the add, 1 refused it");
    expect(fanned.out).toContain("nowhere: CubeNotFound");
  }, 120_000);
});
