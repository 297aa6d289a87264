import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../projections/memoryHistory.js";
import type { MemoryDiff } from "../projections/memoryDiff.js";
import type { MemoryView } from "../projections/memoryView.js";
import { openMemLedger, type MemLedgerOptions } from "../src/app/memLedger.js";
import { runCli } from "../src/cli/main.js";
import type { CubeView } from "../src/cube/cubeService.js";
import type { AddMemoriesResult } from "../src/ingestion/ingestionService.js";
import type { JobRecord } from "../src/jobs/jobBusPort.js";
import type { WaitedJob } from "../src/jobs/waitForJob.js";
import { buildServer } from "../src/server/buildServer.js";

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

  /** A second process on the same data directory that runs jobs, as a server would; closed after `work`. */
  const withWorker = async (work: () => Promise<void>, options: Partial<MemLedgerOptions> = {}): Promise<void> => {
    const worker = await openMemLedger({ dataDir, jobBus: { kind: "sqlite", pollIntervalMs: 20 }, ...options });
    try {
      await work();
    } finally {
      await worker.close();
    }
  };
  /** `memory add --async` of one memory; returns its job. */
  const addAsync = async (cubeId: string, text: string, ...extra: string[]): Promise<JobRecord> => {
    const added = await json<AddMemoriesResult>("memory", "add", cubeId, text, "--async", ...extra);
    if (added.mode !== "async") throw new Error(`expected an async add, got ${added.mode}`);
    return added.job;
  };

  it("never runs jobs itself on a data directory: an async add stays waiting after the command exits", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    const added = await json<AddMemoriesResult>("memory", "add", "c", "prefers aisle seats", "--id", "m", "--async");
    expect(added).toMatchObject({ mode: "async", memoryIds: ["m"], job: { kind: "memory.ingest", cubeId: "c", status: "waiting", attempts: 0 } });
    if (added.mode !== "async") return;

    expect(await json<JobRecord>("job", "show", added.job.jobId)).toMatchObject({ status: "waiting", attempts: 0 });
    expect((await json<MemoryView>("memory", "get", "m")).status).toBe("generated");
    const timedOut = await cli("job", "wait", added.job.jobId, "--timeout", "200");
    expect(timedOut.code).toBe(3);
    expect(timedOut.out).toContain(`job ${added.job.jobId} is still waiting after 200 ms`);
    expect((await json<JobRecord>("job", "show", added.job.jobId)).attempts).toBe(0);
  });

  it("adds a memory asynchronously, and job wait exits 0 once a process with a worker has activated it", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    const added = await cli("memory", "add", "c", "works at ACME", "--id", "m", "--tag", "work", "--async");
    expect(added.code).toBe(0);
    const jobId = /job (\S+) activates it/.exec(added.out)?.[1];
    expect(jobId, added.out).toBeDefined();
    expect(added.out).toMatch(/memories:\s+m\n/);
    expect(added.out).toMatch(new RegExp(`job:\\s+${jobId}  \\(waiting\\)`));

    await withWorker(async () => {
      const waited = await cli("job", "wait", jobId!, "--timeout", "10000");
      expect(waited, waited.err).toMatchObject({ code: 0, err: "" });
      expect(waited.out).toContain(`job ${jobId}  (done, attempt 1 of 5)`);
      expect(waited.out).toMatch(/does:\s+activate memory m\n/);
      expect(waited.out).toMatch(/result:\s+\{"activated":\["m"\],"skipped":\[\]\}/);
      expect(waited.out).toMatch(/finished:\s+\d{4}-/);
    });
    expect(await json<MemoryView>("memory", "get", "m")).toMatchObject({ status: "activated", content: { text: "works at ACME", tags: ["work"] } });
    const again = await json<WaitedJob>("job", "wait", jobId!, "--timeout", "0");
    expect(again).toMatchObject({ finished: true, job: { jobId, status: "done" } });
  });

  it("job wait exits 1 on a dead job and shows its last error; job retry sends it back to the queue", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    const job = await addAsync("c", "unprocessable");
    const failingStep = { name: "embed", run: async () => Promise.reject(new Error("embedder refused the text\nstack line that the CLI leaves out")) };
    await withWorker(
      async () => {
        const waited = await cli("job", "wait", job.jobId, "--timeout", "10000");
        expect(waited.code).toBe(1);
        expect(waited.out).toContain(`job ${job.jobId}  (dead, attempt 5 of 5)`);
        expect(waited.out).toMatch(/last error:\s+IngestionFailed: processing memory \S+ failed at step embed: embedder refused the text/);
        expect(waited.out).not.toContain("stack line");
        expect(waited.out).toContain(`memledger job retry ${job.jobId}`);
      },
      { worker: { concurrency: 1 }, jobBus: { kind: "sqlite", pollIntervalMs: 20, retryPolicy: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 } }, ingestionSteps: [failingStep] },
    );
    const retried = await cli("job", "retry", job.jobId);
    expect(retried.code).toBe(0);
    expect(retried.out).toContain(`job ${job.jobId}  (waiting, attempt 0 of 5)`);
    const unknown = await cli("job", "retry", "no-such-job");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("job no-such-job does not exist");
  });

  it("lists jobs by cube, status and kind, newest first", async () => {
    for (const id of ["a", "b"]) await cli("cube", "create", id, "--owner-kind", "user", "--owner-id", "u", "--id", id);
    const first = await addAsync("a", "first");
    const second = await addAsync("a", "second");
    const other = await addAsync("b", "elsewhere");
    await cli("memory", "add", "a", "scheduled later", "--id", "s");
    await cli("memory", "schedule", "s", "archive", "--after", "3600");

    const ofA = await json<JobRecord[]>("job", "list", "--cube", "a", "--kind", "memory.ingest");
    expect(ofA.map((j) => j.jobId)).toEqual([second.jobId, first.jobId]);
    expect(ofA.map((j) => j.jobId)).not.toContain(other.jobId);
    expect((await json<JobRecord[]>("job", "list", "--cube", "a", "--limit", "1")).map((j) => j.kind)).toEqual(["memory.command"]);
    expect(await json<JobRecord[]>("job", "list", "--status", "done")).toEqual([]);

    const text = await cli("job", "list", "--cube", "b");
    const [header, row, ...rest] = text.out.trimEnd().split("\n");
    expect(header).toMatch(/^JOB\s+KIND\s+STATUS\s+ATTEMPTS\s+CUBE\s+UPDATED\s+LAST ERROR$/);
    expect(row).toMatch(new RegExp(`^${other.jobId}\\s+memory\\.ingest\\s+waiting\\s+0/5\\s+b\\s+\\d{4}-`));
    expect(rest).toEqual([]);
    expect((await cli("job", "list", "--cube", "nobody")).out).toBe("(no jobs)\n");
    expect((await cli("job", "list", "--status", "zombie")).code).toBe(2);
    expect((await cli("job", "list", "--limit", "0")).err).toContain("must be a whole number from 1 to 1000");
  });

  it("schedules a command for later, and a process with a worker runs it when due", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    await cli("memory", "add", "c", "the old office address", "--id", "m");
    const scheduled = await cli("--reason", "moved offices", "memory", "schedule", "m", "archive", "--after", "0");
    expect(scheduled.code).toBe(0);
    expect(scheduled.out).toMatch(/^scheduled archive of memory m for \d{4}-/);
    expect(scheduled.out).toMatch(/does:\s+archive memory m\n/);
    const jobId = /^job (\S+)  \(waiting, attempt 0 of 5\)$/m.exec(scheduled.out)?.[1];
    expect(jobId, scheduled.out).toBeDefined();

    const later = await json<JobRecord>("memory", "schedule", "m", "freeze", "--at", "2100-01-01T00:00:00Z", "--freeze-reason", "retention", "--note", "end of retention");
    expect(later).toMatchObject({ kind: "memory.command", notBefore: "2100-01-01T00:00:00.000Z", payload: { command: "freeze", freezeReason: "retention", note: "end of retention" } });

    await withWorker(async () => {
      expect((await cli("job", "wait", jobId!, "--timeout", "10000")).code).toBe(0);
    });
    expect((await json<MemoryView>("memory", "get", "m")).status).toBe("archived");
    const archived = (await json<HistoryEntry[]>("memory", "history", "m")).at(-1);
    expect(archived).toMatchObject({ type: "MemoryArchived", actor: "system:scheduler" });
    expect(archived?.reason).toContain("moved offices");
    expect((await json<JobRecord>("job", "show", later.jobId)).status).toBe("waiting");
  });

  it("rejects a schedule without a time, with two times, or with freeze options that do not fit, before touching the data", async () => {
    await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
    await cli("memory", "add", "c", "x", "--id", "m");
    const cases: Array<[string[], string]> = [
      [["m", "archive"], "error: say when: give --at <time> or --after <seconds>"],
      [["m", "archive", "--at", "2100-01-01T00:00:00Z", "--after", "5"], "cannot be used with option"],
      [["m", "archive", "--at", "next tuesday"], "must be an ISO-8601 time"],
      [["m", "archive", "--after", "-5"], "must be a whole number"],
      [["m", "archive", "--after", "999999999999999"], "must be at most 3153600000 (a hundred years)"],
      [["m", "explode", "--after", "5"], "Allowed choices are archive, freeze, activate"],
      [["m", "freeze", "--after", "5"], "error: scheduling a freeze needs --freeze-reason (legal_hold, retention, other)"],
      [["m", "freeze", "--after", "5", "--freeze-reason", "whim"], "Allowed choices are legal_hold, retention, other"],
      [["m", "archive", "--after", "5", "--note", "why"], "error: --freeze-reason and --note go with freeze only; to say why the archive is scheduled, use the global --reason"],
      [["nope", "archive", "--after", "5"], "error: memory nope does not exist"],
    ];
    for (const [args, message] of cases) {
      const run = await cli("memory", "schedule", ...args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.err, args.join(" ")).toContain(message);
    }
    expect(await json<JobRecord[]>("job", "list")).toEqual([]);
  });

  it("rejects --async together with --no-activate", async () => {
    const run = await cli("memory", "add", "c", "x", "--async", "--no-activate");
    expect(run.code).toBe(2);
    expect(run.err).toContain("option '--async' cannot be used with option '--no-activate'");
  });

  it("exits 0 and prints help on --help", async () => {
    let out = "";
    const code = await runCli(["memory", "add", "--help"], { out: (s) => (out += s), err: () => {} });
    expect(code).toBe(0);
    expect(out).toContain("Usage: memledger memory add [options] <cubeId> <text>");
    expect(out).toContain("--no-activate");
    expect(out).toContain("Global Options:");
    expect(out).toContain("--api-key <key>");
    out = "";
    expect(await runCli(["job", "wait", "--help"], { out: (s) => (out += s), err: () => {} })).toBe(0);
    expect(out).toContain("Exit status:\n  0  the job is done\n  1  the job is dead");
    expect(out).toContain("3  the timeout passed first");
  });
});

describe("the memledger CLI's job commands against a running server", () => {
  it("adds asynchronously over HTTP and waits for the server's worker to activate the memory", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-server-"));
    const ledger = await openMemLedger({ dataDir, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    const keyFile = join(dataDir, "admin.key");
    await ledger.bootstrapAdmin(keyFile);
    const app = await buildServer(ledger);
    try {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const server = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const cli = async (...args: string[]): Promise<Run> => {
        let out = "";
        let err = "";
        // Over HTTP the key says who acts: the server's first admin, from the file its first start wrote.
        const code = await runCli(["--server", server, "--api-key-file", keyFile, ...args], { out: (s) => (out += s), err: (s) => (err += s) });
        return { code, out, err };
      };
      await cli("cube", "create", "c", "--owner-kind", "user", "--owner-id", "u", "--id", "c");
      const added = await cli("--json", "memory", "add", "c", "likes hiking", "--id", "m", "--async");
      expect(added, added.err).toMatchObject({ code: 0, err: "" });
      const { job } = JSON.parse(added.out) as { job: JobRecord };
      const waited = await cli("job", "wait", job.jobId, "--timeout", "10000");
      expect(waited, waited.err).toMatchObject({ code: 0 });
      expect(waited.out).toContain("(done, attempt 1 of 5)");
      expect((await cli("job", "list", "--cube", "c")).out).toContain(job.jobId);
      const unknown = await cli("job", "show", "no-such-job");
      expect(unknown).toMatchObject({ code: 2 });
      expect(unknown.err).toContain("job no-such-job does not exist");
      expect(JSON.parse((await cli("--json", "memory", "get", "m")).out)).toMatchObject({ status: "activated", createdBy: "principal:admin" });
    } finally {
      await app.close();
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
