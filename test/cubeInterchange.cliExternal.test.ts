import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseExternal } from "../src/cubeInterchange/externalFormats.js";
import { runCliCaptured, type CliRun } from "./support/cliRun.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const run = runCliCaptured;

/** A mem0 `get_all` answer as its platform API and SDK return it. */
const mem0Export = {
  results: [
    { id: "a1b2c3d4-0000-4000-8000-000000000001", memory: "Prefers vegetarian food", hash: "3f2a", metadata: { source: "chat" }, categories: ["food"], user_id: "alice", created_at: "2025-06-01T10:00:00-07:00", updated_at: "2025-06-02T10:00:00-07:00" },
    { id: "a1b2c3d4-0000-4000-8000-000000000002", memory: "Allergic to peanuts", hash: "9c1d", metadata: null, user_id: "alice", agent_id: "diet-bot", run_id: "s-9", created_at: "2025-06-03T08:00:00Z", updated_at: "2025-06-03T08:00:00Z" },
  ],
};

describe("importers from what users already have (mem0, plain JSONL)", () => {
  it("mem0: memory, metadata, user/agent/run ids, categories and times are kept; a second import finds its units", async () => {
    expect(parseExternal("mem0", JSON.stringify(mem0Export))[0]).toMatchObject({ text: "Prefers vegetarian food", userId: "alice", tags: ["food"], createdAt: "2025-06-01T17:00:00.000Z", metadata: { source: "chat", mem0_id: mem0Export.results[0]!.id, mem0_updated_at: "2025-06-02T17:00:00.000Z" } });
    const t = await tempLedger();
    try {
      const report = await t.ledger.interchange.importExternal({ format: "mem0", text: JSON.stringify(mem0Export), name: "From mem0" });
      expect(report).toMatchObject({ cubeCreated: true, imported: 2, alreadyPresent: 0 });
      const units = await t.ledger.cubes.memories(report.cubeId);
      const peanuts = units.find((u) => u.content?.text === "Allergic to peanuts")!;
      expect(peanuts.content).toMatchObject({ userId: "alice", agentId: "diet-bot", sessionId: "s-9" });
      expect(peanuts.attributes.eventTime).toBe("2025-06-03T08:00:00.000Z");
      expect((await t.ledger.cubes.get(report.cubeId)).name).toBe("From mem0");
      expect(await t.ledger.interchange.importExternal({ format: "mem0", text: JSON.stringify(mem0Export) })).toMatchObject({ cubeId: report.cubeId, cubeCreated: false, imported: 0, alreadyPresent: 2 });
      // A bare array (older SDKs) reads the same.
      expect(parseExternal("mem0", JSON.stringify(mem0Export.results))).toHaveLength(2);
    } finally {
      await t.dispose();
    }
  });

  it("plain JSONL of { text, metadata, created_at }: into an existing cube; a line without text is refused by number", async () => {
    const t = await tempLedger();
    try {
      await t.ledger.cubes.create({ cubeId: "inbox", name: "Inbox", owner: { kind: "user", id: "u" } });
      const text = ['{"text":"buy milk","metadata":{"list":"groceries"},"created_at":"2026-01-05T09:00:00Z"}', '{"text":"call the bank","tags":["todo"]}'].join("\n");
      const report = await t.ledger.interchange.importExternal({ format: "jsonl", text, cubeId: "inbox" });
      expect(report).toMatchObject({ cubeId: "inbox", imported: 2 });
      const milk = (await t.ledger.cubes.memories("inbox")).find((u) => u.content?.text === "buy milk")!;
      expect(milk.content?.metadata).toEqual({ list: "groceries" });
      expect(milk.attributes.eventTime).toBe("2026-01-05T09:00:00.000Z");
      expect(await failureOf(t.ledger.interchange.importExternal({ format: "jsonl", text: '{"text":"ok"}\n{"note":"no text"}', cubeId: "inbox" }))).toMatchObject({ _tag: "InterchangeFileRejected", line: 2 });
    } finally {
      await t.dispose();
    }
  });
});

describe("memledger cube export / import", () => {
  let dirs: string[];
  beforeEach(() => {
    dirs = [mkdtempSync(join(tmpdir(), "memledger-cli-a-")), mkdtempSync(join(tmpdir(), "memledger-cli-b-")), mkdtempSync(join(tmpdir(), "memledger-cli-files-"))];
  });
  afterEach(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const json = async <T>(runner: Promise<CliRun>): Promise<T> => {
    const done = await runner;
    expect(done.code, done.err).toBe(0);
    return JSON.parse(done.out) as T;
  };

  it("exports to .jsonl.gz with --current-state or history, imports into another data directory with progress lines, and --flat for other tools", async () => {
    const [a, b, files] = dirs as [string, string, string];
    await json(run(["--data-dir", a, "cube", "create", "notes", "--id", "c1", "--owner-kind", "project", "--owner-id", "p", "--json"]));
    for (const text of ["first", "second", "third"]) await json(run(["--data-dir", a, "memory", "add", "c1", text, "--json"]));
    const file = join(files, "c1.jsonl.gz");
    expect((await run(["--data-dir", a, "cube", "export", "c1", "--out", file])).out).toContain("exported cube c1");
    expect(gunzipSync(readFileSync(file)).toString("utf8").split("\n")[0]).toContain('"format":"memledger-cube/1"');

    const imported = await run(["--data-dir", b, "cube", "import", file, "--progress-every", "2"]);
    expect(imported.code, imported.err).toBe(0);
    expect(imported.err).toContain("imported 2/3 units");
    expect(imported.err).toContain("imported 3/3 units");
    expect(imported.out).toContain("3 unit(s) imported");
    const listed = await json<{ content: { text: string } }[]>(run(["--data-dir", b, "cube", "memories", "c1", "--json"]));
    expect(listed.map((u) => u.content.text).sort()).toEqual(["first", "second", "third"]);

    const flat = join(files, "c1.flat.jsonl");
    await json(run(["--data-dir", a, "cube", "export", "c1", "--out", flat, "--flat", "--json"]));
    expect(readFileSync(flat, "utf8").trim().split("\n").map((l) => JSON.parse(l).text).sort()).toEqual(["first", "second", "third"]);

    const mem0File = join(files, "mem0.json");
    writeFileSync(mem0File, JSON.stringify(mem0Export));
    expect((await run(["--data-dir", b, "cube", "import", mem0File, "--format", "mem0"])).out).toContain("2 memorie(s) imported");
    // Each CLI call opens and closes a data directory: eleven of them in one test.
  }, 120_000);
});
