/**
 * How long a subject access export takes: one page of the subject's units in
 * a log that also holds other subjects' units (the scan is of the whole log).
 * Run: npx tsx bench/subjectExportBench.ts [subjectUnits] [otherUnits]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemLedger } from "../src/app/memLedger.js";

const subjectUnits = Number(process.argv[2] ?? 300);
const otherUnits = Number(process.argv[3] ?? 5_000);
const dataDir = mkdtempSync(join(tmpdir(), "subject-export-bench-"));
const ledger = await openMemLedger({ dataDir, worker: false, eventStore: { kind: "sqlite", durability: "normal" } });
try {
  await ledger.cubes.create({ cubeId: "c", name: "bench", owner: { kind: "project", id: "bench" } });
  for (let i = 0; i < otherUnits; i += 1) await ledger.memories.create({ cubeId: "c", text: `someone else's note ${i}`, userId: `user-${i % 500}` });
  for (let i = 0; i < subjectUnits; i += 1) {
    const unit = await ledger.memories.create({ cubeId: "c", text: `alice note ${i}`, userId: "alice" });
    await ledger.memories.edit(unit.memoryId, { content: { text: `alice note ${i}, edited` } });
  }
  const events = otherUnits * 2 + subjectUnits * 3;
  for (const limit of [100, 1_000]) {
    const started = performance.now();
    const page = await ledger.subjects.export("alice", { limit });
    const ms = performance.now() - started;
    console.log(`log ~${events} events, subject ${subjectUnits} units: a page of ${page.memories.length} units in ${ms.toFixed(0)} ms (${(ms / page.memories.length).toFixed(2)} ms/unit), ${JSON.stringify(page).length} bytes`);
  }
  const started = performance.now();
  await ledger.subjects.export("nobody");
  console.log(`the scan alone (a subject with no units): ${(performance.now() - started).toFixed(0)} ms`);
} finally {
  await ledger.close();
  rmSync(dataDir, { recursive: true, force: true });
}
