import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import { runCli } from "../src/cli/main.js";
import { startProgress } from "../src/cli/progress.js";

/** The backup commands end to end through the CLI, and the plain progress lines a non-terminal gets. */

const root = mkdtempSync(join(tmpdir(), "memledger-backup-cli-"));
const live = join(root, "live");

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

beforeAll(async () => {
  const ledger = await openMemLedger({ dataDir: live, worker: false });
  const ctx = { tenantId: "default", actor: "test:cli" };
  await ledger.cubes.create({ cubeId: "c", name: "C", owner: { kind: "project", id: "p" } }, ctx);
  for (let i = 0; i < 10; i++) await ledger.memories.create({ cubeId: "c", text: `note ${i}`, userId: "ann" }, ctx);
  await ledger.close();
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("memledger backup / backup verify / restore", () => {
  it("backs up with plain progress lines on a non-terminal, verifies, and restores with the warning when no live log is given", async () => {
    const backup = join(root, "b1");
    const taken = await cli("--data-dir", live, "backup", backup);
    expect(taken.code).toBe(0);
    expect(taken.err).toMatch(/^backup events\.db: [\d,]+ of [\d,]+ pages \(100%\)$/m);
    expect(taken.err).toMatch(/^backup keys\/keys\.db: [\d,]+ of [\d,]+ pages \(100%\)$/m);
    expect(taken.err).not.toContain("\r");
    expect(taken.out).toContain(`backed up to ${backup}`);
    expect(taken.out).toMatch(/log at position \d+/);

    const verified = await cli("backup", "verify", backup);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain("is intact");
    expect(verified.err).toMatch(/^verify events\.db: \d+ of \d+ files \(\d+%\)$/m);

    const noTarget = await cli("restore", backup);
    expect(noTarget.code).toBe(2);
    expect(noTarget.err).toContain("restore needs --data-dir");

    const target = join(root, "r1");
    const restored = await cli("restore", backup, "--data-dir", target);
    expect(restored.code).toBe(0);
    expect(restored.err).toContain("WARNING: erasures recorded after this backup");
    expect(restored.out).toContain("NOT replayed");
    expect(JSON.parse(readFileSync(join(target, "restored-from.json"), "utf8")).erasuresReplayed).toBe(false);

    const replayed = await cli("restore", backup, "--data-dir", join(root, "r2"), "--replay-erasures-from", live, "--json");
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.out).erasures.from).toBe(live);
  }, 60_000);

  it("backup verify exits 1 and names the file when a backup was altered", async () => {
    const backup = join(root, "b2");
    expect((await cli("--data-dir", live, "backup", backup)).code).toBe(0);
    const manifestFile = join(backup, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    manifest.files[0].sha256 = "0".repeat(64);
    (await import("node:fs")).writeFileSync(manifestFile, JSON.stringify(manifest));
    const verified = await cli("backup", "verify", backup);
    expect(verified.code).toBe(1);
    expect(verified.out).toContain(`problem: ${manifest.files[0].path}: SHA-256`);
  }, 60_000);
});

describe("progress on a non-terminal", () => {
  it("prints the first and last line of each label and at most one line per interval between them", () => {
    const lines: string[] = [];
    let t = 0;
    const progress = startProgress("rebuild", { err: (s) => lines.push(s), interactive: false, unit: "events", minIntervalMs: 1_000, now: () => t });
    for (let done = 0; done <= 5_000; done += 100) {
      progress.update(done, 5_000, "lexical");
      t += 50;
    }
    progress.stop("rebuilt lexical");
    expect(lines[0]).toBe("rebuild lexical: 0 of 5,000 events (0%)\n");
    expect(lines.at(-2)).toBe("rebuild lexical: 5,000 of 5,000 events (100%)\n");
    expect(lines.at(-1)).toBe("rebuilt lexical\n");
    // 51 updates 50 ms apart: one line a second plus the first and the last.
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });
});
