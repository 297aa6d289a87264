import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * A session unit is seen by its session (docs/governance.md#visibility): merge
 * decisions must not fold another session's text into it, even a duplicate.
 */
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (disposers.length > 0) await disposers.pop()!();
});

async function settled(ledger: MemLedger) {
  for (const job of await ledger.jobs.list({ kind: decideJobKind, cubeId: "trip" })) {
    const waited = await ledger.jobs.wait(job.jobId, 20_000);
    expect(waited.job.status, JSON.stringify(waited.job)).toBe("done");
  }
}

describe("merge decisions on session units", () => {
  it("merges a duplicate of the same session, and keeps one of another session apart", async () => {
    const t = await tempLedger();
    disposers.push(t.dispose);
    const { ledger } = t;
    await ledger.cubes.create({ cubeId: "trip", name: "Trip", owner: { kind: "project", id: "trip" } });
    const add = async (sessionId: string) => {
      const result = await ledger.memories.add("trip", { memories: [{ text: "The hotel door code is 4711.", visibility: "session", sessionId }] });
      await settled(ledger);
      return result.mode === "sync" ? result.memories[0]!.memoryId : "";
    };
    const first = await add("s-1");
    const otherSession = await add("s-2");
    expect((await ledger.memories.get(otherSession)).status).toBe("activated");
    const sameSession = await add("s-1");
    expect((await ledger.memories.get(sameSession)).status).toBe("merged");
    expect((await ledger.memories.get(first)).status).toBe("activated");
  }, 60_000);
});
