import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemLedger, type MemLedger, type MemLedgerOptions } from "../../src/app/memLedger.js";
import { ManualClock } from "../../src/clock/clock.js";

/** A ledger in a fresh temporary data directory with a hand-moved clock. */
export async function tempLedger(options: Partial<MemLedgerOptions> = {}): Promise<{ ledger: MemLedger; clock: ManualClock; dataDir: string; dispose: () => Promise<void> }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "memledger-test-"));
  const clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
  const ledger = await openMemLedger({ dataDir, clock, ...options });
  return {
    ledger,
    clock,
    dataDir,
    dispose: async () => {
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The tag of a rejected promise, for asserting typed errors. */
export async function failureOf(promise: Promise<unknown>): Promise<{ _tag: string; message: string } & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as { _tag: string; message: string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
