import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemLedger } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import { nowMs, summarize } from "./stats.js";

/**
 * What the legal-hold check costs a memory command: `memories.edit` p50/p99 on
 * units of a tenant with no hold, then with 1,000 active holds on other units
 * (the check folds the tenant's hold stream incrementally and scans the active
 * holds), then a retention dry run over a cube of 2,000 units.
 * `npx vite-node bench/legalHoldBench.ts`
 */
const edits = 2_000;
const units = 200;

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-hold-bench-"));
  const clock = new ManualClock(new Date("2026-03-01T00:00:00Z"));
  const ledger = await openMemLedger({ dataDir, clock, worker: false, readAudit: false, eventStore: { kind: "sqlite", durability: "normal" } });
  try {
    await ledger.cubes.create({ cubeId: "bench", name: "bench", owner: { kind: "project", id: "p" } });
    const ids: string[] = [];
    for (let i = 0; i < units; i += 1) ids.push((await ledger.memories.create({ cubeId: "bench", text: `unit ${i}`, memoryType: i % 2 ? "raw_source" : "long_term" })).memoryId);
    const timeEdits = async (round: string) => {
      const samples: number[] = [];
      for (let i = 0; i < edits; i += 1) {
        const t0 = nowMs();
        await ledger.memories.edit(ids[i % units]!, { content: { text: `${round} ${i}` } });
        samples.push(nowMs() - t0);
      }
      return summarize(samples);
    };
    await timeEdits("warm-up");
    const none = await timeEdits("no holds");
    for (let i = 0; i < 1_000; i += 1) await ledger.holds.place({ scope: { kind: "subject", id: `someone-${i}` }, reason: "bench" });
    const many = await timeEdits("1000 holds");
    for (let i = 0; i < 1_800; i += 1) await ledger.memories.create({ cubeId: "bench", text: `more ${i}`, memoryType: "raw_source" });
    clock.advance(40 * 86_400_000);
    const dry: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const t0 = nowMs();
      await ledger.retention.dryRun("bench", { rules: [{ memoryType: "raw_source", eraseAfterDays: 30 }, { memoryType: "*", archiveAfterDays: 30 }] });
      dry.push(nowMs() - t0);
    }
    const fmt = (s: { p50: number; p99: number; n: number }) => `p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms (n=${s.n})`;
    console.log(`edit, durability normal, tenant without holds:   ${fmt(none)}`);
    console.log(`edit, durability normal, tenant with 1000 holds: ${fmt(many)}`);
    console.log(`retention dry run, 2000 units, 1000 holds:       ${fmt(summarize(dry))}`);
  } finally {
    await ledger.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
