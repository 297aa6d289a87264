import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliCaptured } from "./support/cliRun.js";

describe("memledger memory graph", () => {
  let dataDir: string;
  const run = (...args: string[]) => runCliCaptured(["--data-dir", dataDir, "--actor", "user:ops", ...args]);
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-graph-cli-"));
    expect((await run("cube", "create", "garden", "--id", "garden", "--owner-kind", "user", "--owner-id", "ops")).code).toBe(0);
    expect((await run("memory", "add", "garden", "water the tomatoes", "--id", "tomatoes", "--tag", "watering")).code).toBe(0);
    expect((await run("memory", "add", "garden", "water the roses", "--id", "roses", "--tag", "watering")).code).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("prints the nodes by distance and the edges; --json gives the API's answer; a bad --hops is refused", async () => {
    const text = await run("memory", "graph", "tomatoes");
    expect(text.code).toBe(0);
    expect(text.out).toContain("graph around memory tomatoes (cube garden), 2 hop(s)");
    expect(text.out).toContain("memory:tomatoes -MENTIONS-> tag:watering");
    expect(text.out).toContain("memory:roses -MENTIONS-> tag:watering");
    const json = JSON.parse((await run("--json", "memory", "graph", "tomatoes", "--hops", "1")).out) as { hops: number; nodes: { id: string }[] };
    expect(json.hops).toBe(1);
    expect(json.nodes.map((n) => n.id)).not.toContain("memory:roses");
    const refused = await run("memory", "graph", "tomatoes", "--hops", "9");
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("hops must be a whole number from 1 to 3");
  }, 120_000);
});
