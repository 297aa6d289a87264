import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import { runCli } from "../src/cli/main.js";
import { rebuildWithProgress } from "../src/cli/rebuildProgress.js";
import type { ReadModelLag } from "../src/readModels/projectionRunner.js";

/** `memledger read-model rebuild` reports progress: plain lines when stderr is not a terminal. */

const root = mkdtempSync(join(tmpdir(), "memledger-rebuild-progress-"));

beforeAll(async () => {
  const ledger = await openMemLedger({ dataDir: root, worker: false });
  const ctx = { tenantId: "default", actor: "test:progress" };
  await ledger.cubes.create({ cubeId: "c", name: "C", owner: { kind: "project", id: "p" } }, ctx);
  for (let i = 0; i < 30; i++) await ledger.memories.create({ cubeId: "c", text: `note ${i}`, userId: "ann" }, ctx);
  await ledger.close();
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("read-model rebuild progress", () => {
  it("the CLI prints the rebuild's progress as plain lines on stderr and the result on stdout", async () => {
    let out = "";
    let err = "";
    const code = await runCli(["--data-dir", root, "read-model", "rebuild", "lexical"], { out: (s) => void (out += s), err: (s) => void (err += s) });
    expect(code).toBe(0);
    const events = Number(/rebuilt lexical: (\d+) events/.exec(out)?.[1]);
    expect(events).toBeGreaterThan(30);
    expect(err).toContain(`rebuild lexical: ${events} of ${events} events (100%)\n`);
    expect(err).not.toContain("\r");
  }, 60_000);

  it("draws what the read-model lag says of the new generation while the rebuild runs", async () => {
    const lines: string[] = [];
    let folded = 0;
    let finish: (r: { events: number; seconds: number }) => void = () => undefined;
    const ledger = {
      readModels: {
        rebuild: () => new Promise<{ events: number; seconds: number }>((resolve) => (finish = resolve)),
        lag: async (): Promise<ReadModelLag[]> => {
          folded += 250;
          if (folded >= 1_000) setTimeout(() => finish({ events: 1_000, seconds: 0.1 }), 0);
          return [{ name: "graph", checkpoint: 0, head: 1_000, behind: 1_000, rebuilding: true, rebuild: { eventsFolded: Math.min(folded, 1_000), eventsToFold: 1_000, startedAt: "2026-01-01T00:00:00Z" } }];
        },
      },
    };
    const result = await rebuildWithProgress(ledger, "graph", { err: (s) => lines.push(s), interactive: false, pollMs: 1 });
    expect(result.events).toBe(1_000);
    expect(lines[0]).toBe("rebuild graph: 250 of 1,000 events (25%)\n");
    expect(lines.at(-1)).toBe("rebuild graph: 1,000 of 1,000 events (100%)\n");
  });
});
