/**
 * `npx vite-node bench/integrityCheckBench.ts -- --units 250000`: what the read models' integrity
 * check at open costs on large files (src/readModels/sqliteIntegrityCheck.ts: PRAGMA quick_check on a
 * read-only connection in a worker thread), beside two baselines measured in the same run on the
 * same files: reading each file sequentially (1 MiB reads, the floor for any check that looks at every
 * page), and folding the same events into a fresh generation (the repair the check may trigger).
 *
 * The files are the real embedded stores (memory view, full text, graph) fed real domain events
 * (create + activate, edit, archive: 4 events per unit, texts from the retrieval corpus templates)
 * in the runner's rebuild batches of 20,000; no log is read, so "fold" is the store's own cost.
 * Each check and each read runs once to warm the page cache (as at a restart), then 3 times; the
 * median is reported. The load average is printed with the results: on a shared machine it moves
 * the figures more than anything else. BENCH_DIR sets where the files live (default os.tmpdir()).
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decide } from "../domain/memory/decide.js";
import { evolve } from "../domain/memory/evolve.js";
import { defaultAttributes } from "../domain/memory/memoryContent.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { memoryStreamId } from "../domain/memory/memoryEvents.js";
import { initialMemoryState, type MemoryState } from "../domain/memory/memoryState.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { randomIds } from "../src/ids/idGenerator.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { startSqliteIntegrityCheck } from "../src/readModels/sqliteIntegrityCheck.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtRatio, formatTable, median, nowMs, writeResults } from "./stats.js";
import { syntheticMemories } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { units: { type: "string", default: "250000" }, keep: { type: "boolean", default: false } },
});
const units = Number(args.units);
const batchSize = 20_000;
const log = (line: string) => console.log(line);

/** The log's memory events for `units` units in three rounds (creates, then edits, then archives), as decoded for projection. */
function projectionEvents(): ProjectionEvent[] {
  const texts = syntheticMemories(Math.min(units * 2, 400_000));
  const events: ProjectionEvent[] = [];
  const states: MemoryState[] = [];
  const ids: string[] = [];
  let position = 0;
  const push = (i: number, produced: readonly MemoryEvent[]) => {
    for (const event of produced) {
      states[i] = evolve(states[i]!, event);
      position += 1;
      const envelope = {
        eventId: randomIds.newId(),
        type: event.type,
        schemaVersion: 1,
        streamId: memoryStreamId(ids[i]!),
        revision: states[i]!.revision,
        position,
        metadata: { tenantId: "tenant-bench", cubeId: "bench", actor: "agent:bench", correlationId: randomIds.newId(), recordedAt: new Date(Date.UTC(2026, 0, 1) + position * 1000).toISOString() },
      };
      events.push({ kind: "memory", envelope, event });
    }
  };
  const decided = (i: number, command: Parameters<typeof decide>[1]) => {
    const decision = decide(states[i]!, command);
    if (decision.kind === "rejected") throw new Error(decision.error.message);
    return decision.events;
  };
  for (let i = 0; i < units; i += 1) {
    ids.push(randomIds.newId());
    states.push(initialMemoryState);
    const text = texts[i % texts.length]!;
    const content = { text: `${text.text} (${i})`, tags: [text.topic], sources: [], userId: `user-${i % 1000}`, metadata: { source: "bench" } };
    push(i, decided(i, { type: "create", memoryId: ids[i]!, cubeId: "bench", content, attributes: defaultAttributes, activate: true }));
  }
  for (let i = 0; i < units; i += 1) push(i, decided(i, { type: "edit", memoryId: ids[i]!, content: { text: `${texts[(i + 1) % texts.length]!.text} (edited ${i})` } }));
  for (let i = 0; i < units; i += 1) push(i, decided(i, { type: "archive", memoryId: ids[i]! }));
  return events;
}

/** Reads the whole file front to back in 1 MiB reads. */
function sequentialRead(file: string): number {
  const started = nowMs();
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, "r");
  try {
    while (readSync(fd, chunk) > 0);
  } finally {
    closeSync(fd);
  }
  return (nowMs() - started) / 1000;
}

async function timedCheck(file: string): Promise<{ seconds: number; damaged: boolean }> {
  const started = nowMs();
  const verdict = await startSqliteIntegrityCheck(file).verdict;
  return { seconds: (nowMs() - started) / 1000, damaged: verdict.damage !== undefined };
}

async function main(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(1)).join(" / ");
  log(`integrity check at open: ${units.toLocaleString("en-US")} units; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; load average ${load()}`);
  const started = nowMs();
  const events = projectionEvents();
  log(`  ${events.length.toLocaleString("en-US")} events generated in ${((nowMs() - started) / 1000).toFixed(1)} s`);
  const dir = tempDir("integrity");
  const rows: string[][] = [];
  try {
    for (const definition of embeddedReadModels()) {
      const file = join(dir, `${definition.name}-1.db`);
      const store = await definition.open(file);
      const foldStarted = nowMs();
      for (let from = 0; from < events.length; from += batchSize) await store.apply(events.slice(from, from + batchSize));
      const foldSeconds = (nowMs() - foldStarted) / 1000;
      await store.close();
      const megabytes = statSync(file).size / 1e6;
      await timedCheck(file);
      const checks = [await timedCheck(file), await timedCheck(file), await timedCheck(file)];
      const check = { seconds: median(checks.map((c) => c.seconds)), damaged: checks.some((c) => c.damaged) };
      sequentialRead(file);
      const read = median([sequentialRead(file), sequentialRead(file), sequentialRead(file)]);
      rows.push([
        definition.name,
        megabytes.toFixed(0),
        `${read.toFixed(2)} s`,
        `${check.seconds.toFixed(2)} s`,
        `${(megabytes / check.seconds).toFixed(0)} MB/s`,
        fmtRatio(check.seconds / read),
        `${foldSeconds.toFixed(1)} s`,
        fmtRatio(check.seconds / foldSeconds),
        check.damaged ? "damaged?!" : "ok",
      ]);
      log(`  ${definition.name}: ${megabytes.toFixed(0)} MB, check ${check.seconds.toFixed(2)} s, read ${read.toFixed(2)} s, fold ${foldSeconds.toFixed(1)} s`);
    }
  } finally {
    if (!args.keep) removeDir(dir);
  }
  const table = formatTable({
    title: `Integrity check at open (quick_check in a worker), ${events.length.toLocaleString("en-US")} events`,
    headers: ["read model", "file MB", "sequential read (baseline)", "quick_check", "check speed", "check ÷ read", "fold from zero", "check ÷ fold", "verdict"],
    rows,
    notes: [
      "Medians of 3 after a warm-up. The open waits for the check up to 2 s (integrityCheckBudgetMs); a longer check finishes in the background and repairs what it finds.",
      `Load average (1 / 5 / 15 min) at the end: ${load()} on ${cpus().length} cores.`,
    ],
  });
  log(`\n${table}`);
  log(`\nresults: ${writeResults("integrity-check", table)}`);
}

await main();
