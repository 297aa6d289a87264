import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../projections/memoryHistory.js";
import type { MemoryDiff } from "../projections/memoryDiff.js";
import type { MemoryView } from "../projections/memoryView.js";
import { runCli } from "../src/cli/main.js";
import type { CubeView } from "../src/cube/cubeService.js";

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

describe("the memledger CLI on an embedded data directory", () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const cli = async (...args: string[]): Promise<Run> => {
    let out = "";
    let err = "";
    const code = await runCli(["--data-dir", dataDir, "--tenant", "acme", "--actor", "user:alice", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };
  /** Runs with --json and parses stdout; fails the test on a non-zero exit. */
  const json = async <T>(...args: string[]): Promise<T> => {
    const run = await cli("--json", ...args);
    expect(run, run.err).toMatchObject({ code: 0, err: "" });
    return JSON.parse(run.out) as T;
  };

  it("walks a memory through create, edit, archive, restore, history, time travel, revert and diff", async () => {
    const cube = await json<CubeView>("cube", "create", "Alice's memories", "--owner-kind", "user", "--owner-id", "alice", "--id", "alice-cube");
    expect(cube).toMatchObject({ cubeId: "alice-cube", owner: { kind: "user", id: "alice" }, createdBy: "user:alice" });

    const added = await json<MemoryView>(
      "memory", "add", "alice-cube", "Alice likes green tea",
      "--key", "tea", "--tag", "food", "--tag", "drinks", "--user", "alice",
      "--source", "message:msg-1", "--meta", "priority=2", "--meta", "lang=en", "--confidence", "0.9",
    );
    expect(added).toMatchObject({ status: "activated", revision: 1, version: 1, subjectId: "alice", attributes: { confidence: 0.9 } });
    expect(added.content).toMatchObject({ text: "Alice likes green tea", key: "tea", tags: ["food", "drinks"], sources: [{ kind: "message", ref: "msg-1" }], metadata: { priority: 2, lang: "en" } });
    const id = added.memoryId;

    const edited = await json<MemoryView>("--reason", "user corrected", "memory", "edit", id, "--text", "Alice likes jasmine tea", "--expected-revision", "1");
    expect(edited).toMatchObject({ revision: 2, version: 2, content: { text: "Alice likes jasmine tea" } });

    expect((await json<MemoryView>("memory", "archive", id)).status).toBe("archived");
    expect((await json<MemoryView>("memory", "restore", id)).status).toBe("activated");

    const history = await json<HistoryEntry[]>("memory", "history", id);
    expect(history.map((h) => h.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryArchived", "MemoryRestored"]);
    expect(history[2]).toMatchObject({ actor: "user:alice", reason: "user corrected", changedFields: ["content.text"] });

    const past = await json<MemoryView>("memory", "get", id, "--as-of-revision", "1");
    expect(past).toMatchObject({ revision: 1, content: { text: "Alice likes green tea" } });

    const reverted = await json<MemoryView>("memory", "revert", id, "1");
    expect(reverted).toMatchObject({ status: "activated", content: { text: "Alice likes green tea" } });
    expect((await json<HistoryEntry[]>("memory", "history", id)).at(-1)).toMatchObject({ type: "MemoryReverted", revertedTo: 1 });

    const diff = await json<MemoryDiff>("memory", "diff", id, "1", "2");
    expect(diff.changes.map((c) => c.field)).toEqual(["version", "content.text"]);
    expect(diff.textDiff).toEqual([
      { op: "equal", text: "Alice likes " },
      { op: "delete", text: "green" },
      { op: "insert", text: "jasmine" },
      { op: "equal", text: " tea" },
    ]);

    const listed = await json<MemoryView[]>("cube", "memories", "alice-cube", "--status", "activated,archived");
    expect(listed.map((m) => m.memoryId)).toEqual([id]);
    expect(await json<CubeView[]>("cube", "list")).toHaveLength(1);
  });

  it("prints readable text by default", async () => {
    const created = await cli("cube", "create", "Planner", "--owner-kind", "agent", "--owner-id", "planner", "--id", "p");
    expect(created.code).toBe(0);
    expect(created.out).toContain('cube p  "Planner"');
    expect(created.out).toContain("owner:");

    const added = await cli("memory", "add", "p", "the deploy window is Friday", "--id", "m1", "--tag", "ops");
    expect(added.out).toContain("memory m1  (activated, revision 1, version 1)");
    expect(added.out).toMatch(/text:\s+the deploy window is Friday/);
    expect(added.out).toMatch(/tags:\s+ops/);

    await cli("memory", "edit", "m1", "--text", "the deploy window is Monday");
    const diff = await cli("memory", "diff", "m1", "1", "2");
    expect(diff.out).toContain("text diff: the deploy window is [-Friday-]{+Monday+}");

    const history = await cli("memory", "history", "m1");
    expect(history.out.split("\n")[1]).toMatch(/^REV\s+RECORDED\s+EVENT/);
    expect(history.out).toContain("MemoryEdited");

    const list = await cli("cube", "list");
    expect(list.out).toMatch(/^CUBE\s+NAME\s+OWNER/);
    expect(list.out).toContain("agent:planner");
  });

  it("accepts the global options after the command too, and keeps freeze's own --reason apart", async () => {
    await cli("cube", "create", "c", "--owner-kind", "project", "--owner-id", "x", "--id", "c");
    const added = await runCli(["memory", "add", "c", "keep me", "--id", "k", "--data-dir", dataDir, "--tenant", "acme", "--json"], { out: () => {}, err: () => {} });
    expect(added).toBe(0);
    const frozen = await json<MemoryView>("--reason", "case 42 opened", "memory", "freeze", "k", "--reason", "legal_hold", "--note", "case 42");
    expect(frozen).toMatchObject({ status: "frozen", frozen: { reason: "legal_hold", note: "case 42" } });
    expect((await json<HistoryEntry[]>("memory", "history", "k")).at(-1)).toMatchObject({ type: "MemoryFrozen", reason: "case 42 opened" });
  });

  it("exits 2 with the typed error's message on stderr for an unknown memory id", async () => {
    const run = await cli("memory", "get", "no-such-memory");
    expect(run.code).toBe(2);
    expect(run.out).toBe("");
    expect(run.err).toBe("error: memory no-such-memory does not exist; check the id (list a cube's memories to find it)\n");
  });

  it("exits 2 on rejected transitions, stale revisions and usage errors", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    await cli("memory", "add", "c", "x", "--id", "m");
    const stale = await cli("memory", "edit", "m", "--text", "y", "--expected-revision", "0");
    expect(stale).toMatchObject({ code: 2, err: "error: memory m is at revision 1, not 0; re-read it and apply your change again\n" });
    const badRevision = await cli("memory", "revert", "m", "soon");
    expect(badRevision.code).toBe(2);
    expect(badRevision.err).toContain("must be a whole number");
    const emptyEdit = await cli("memory", "edit", "m");
    expect(emptyEdit).toMatchObject({ code: 2 });
    expect(emptyEdit.err).toContain("nothing to edit");
    const badKind = await cli("cube", "create", "d", "--owner-kind", "robot", "--owner-id", "r");
    expect(badKind.code).toBe(2);
    expect(badKind.err).toContain("Allowed choices are user, agent, session, project");
    const unknownCommand = await cli("memory", "frobnicate", "m");
    expect(unknownCommand.code).toBe(2);
  });

  it("exits 0 and prints help on --help", async () => {
    let out = "";
    const code = await runCli(["memory", "add", "--help"], { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    expect(out).toContain("Usage: memledger memory add [options] <cubeId> <text>");
    expect(out).toContain("--no-activate");
    expect(out).toContain("Global Options:");
  });
});
