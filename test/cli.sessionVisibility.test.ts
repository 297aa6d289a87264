import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemoryView } from "../projections/memoryView.js";
import { runCliCaptured as run, type CliRun } from "./support/cliRun.js";

/** `--session-id` states the command's session, as X-Session-Id does over REST (docs/governance.md#visibility). */
describe("the CLI's --session-id", () => {
  let dataDir: string;
  let token: string;
  let unit: MemoryView;
  const operator = (...args: string[]) => run(["--data-dir", dataDir, "--tenant", "acme", ...args]);
  const asBob = (...args: string[]) => run(["--data-dir", dataDir, "--api-key", token, ...args]);
  const ok = (done: CliRun) => {
    expect(done, done.err).toMatchObject({ code: 0 });
    return done;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-session-"));
    ok(await operator("principal", "create", "bob", "--kind", "user"));
    ok(await operator("cube", "create", "Trip", "--owner-kind", "project", "--owner-id", "trip", "--id", "trip"));
    ok(await operator("grant", "cube", "trip", "--to", "principal:bob", "--permission", "read"));
    unit = JSON.parse(ok(await operator("--json", "memory", "add", "trip", "Meet at the north gate at noon", "--visibility", "session", "--session", "s-5")).out) as MemoryView;
    token = ok(await operator("key", "issue", "bob", "--scope", "read")).out.split("\n")[2]!.trim();
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("shows a session unit to a key's principal only with the unit's session", async () => {
    const seen = ok(await asBob("--json", "--session-id", "s-5", "memory", "get", unit.memoryId));
    expect((JSON.parse(seen.out) as MemoryView).content?.text).toBe("Meet at the north gate at noon");
    // The global option is also accepted after the command's name.
    ok(await asBob("memory", "get", unit.memoryId, "--session-id", "s-5"));
    for (const other of [["--session-id", "s-6"], []]) {
      const hidden = await asBob(...other, "memory", "get", unit.memoryId);
      expect(hidden.code).toBe(2);
      expect(hidden.err).toContain(unit.memoryId);
    }
  });
});
