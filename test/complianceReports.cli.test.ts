import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "./support/cliRun.js";

const run = runCliCaptured;

/** The compliance reports from the CLI, on a data directory, as the README shows them. */
describe("memledger report", () => {
  let dataDir: string;
  const cli = (...args: string[]) => run(["--data-dir", dataDir, "--actor", "principal:carol", ...args]);
  let memoryId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-report-cli-"));
    expect((await cli("cube", "create", "Notes", "--owner-kind", "user", "--owner-id", "u", "--id", "notes")).code).toBe(0);
    const added = await cli("--json", "memory", "add", "notes", "a note, with a comma");
    expect(added.code, added.err).toBe(0);
    memoryId = (JSON.parse(added.out) as { memoryId: string }).memoryId;
    expect((await cli("memory", "edit", memoryId, "--text", "the note, edited")).code).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("changes: JSON rows filtered by --by, and the same rows as CSV with a header", async () => {
    const json = await cli("report", "changes", "--by", "principal:carol", "--memory", memoryId);
    expect(json.code, json.err).toBe(0);
    const page = JSON.parse(json.out) as { rows: { type: string; actor: string }[] };
    expect(page.rows.map((r) => r.type)).toEqual(expect.arrayContaining(["MemoryCreated", "MemoryEdited"]));
    expect(page.rows.every((r) => r.actor === "principal:carol")).toBe(true);
    const none = JSON.parse((await cli("report", "changes", "--by", "principal:nobody")).out) as { rows: unknown[] };
    expect(none.rows).toEqual([]);
    const csv = await cli("report", "changes", "--memory", memoryId, "--format", "csv");
    expect(csv.code, csv.err).toBe(0);
    const lines = csv.out.trim().split(/\r?\n/);
    expect(lines[0]).toContain("position");
    expect(lines.length).toBe(page.rows.length + 1);
  });

  it("lineage and knowledge name the unit and its version", async () => {
    const lineage = await cli("report", "lineage", memoryId);
    expect(lineage.code, lineage.err).toBe(0);
    expect(lineage.out).toContain(memoryId);
    const knowledge = await cli("report", "knowledge", "notes", new Date().toISOString());
    expect(knowledge.code, knowledge.err).toBe(0);
    expect(JSON.parse(knowledge.out).rows).toEqual([expect.objectContaining({ memoryId, version: 2 })]);
  });
});
