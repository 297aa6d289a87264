import { Effect } from "effect";
import { join } from "node:path";
import type { MemLedger } from "../src/app/memLedger.js";
import { openSqliteEventStore, type Durability } from "../src/eventStore/sqliteEventStore.js";
import { benchContext, copyFixture, editText, openOn, type Fixture } from "./fixtures.js";
import { makeEvents, removeDir } from "./payload.js";
import { fmtMs, fmtRatio, nowMs, summarize, type Summary, type Table } from "./stats.js";

/**
 * Command latency through the library API: `memories.edit` = rehydrate
 * (cache + read of newer events, decrypting them) → decide → seal → append →
 * reload for the returned view. Cold = a freshly opened ledger, first command
 * on each unit (reads and decrypts the whole stream); warm = further edits on
 * the same units. Baseline: a bare single-event `store.append` in the same run.
 */
export interface CommandBenchOptions {
  readonly baselineAppends: number;
  /** Warm edits per small unit and per large unit. */
  readonly warmEditsSmall: number;
  readonly warmEditsLarge: number;
  /** Untimed edits on the fixture's warm-up units before anything is measured. */
  readonly warmupEdits: number;
}

export interface CommandCase {
  readonly durability: Durability;
  readonly label: string;
  readonly unitEvents: number;
  readonly cache: "cold" | "warm" | "-";
  readonly summary: Summary;
}

export interface CommandBenchResult {
  readonly baseline: Record<Durability, Summary>;
  readonly cases: readonly CommandCase[];
  readonly tables: readonly Table[];
}

async function timeAsync(samples: number[], f: () => Promise<unknown>): Promise<void> {
  const t0 = nowMs();
  await f();
  samples.push(nowMs() - t0);
}

/**
 * A bare single-event append (Effect.runPromise on the store, no ledger runtime)
 * into a file beside the ledger's. The file is pre-filled so its WAL is at
 * steady size (a growing WAL makes every fsync dearer); samples are taken in
 * two halves, before and after the ledger's measurements, to share their noise.
 */
async function openBaseline(dir: string, durability: Durability) {
  const store = openSqliteEventStore({ path: join(dir, "baseline-append.db"), durability });
  let revision = -1;
  const fill = makeEvents(5000);
  for (let i = 0; i < fill.length; i += 500) revision = (await Effect.runPromise(store.append("baseline", fill.slice(i, i + 500), revision === -1 ? "no_stream" : revision))).nextExpectedRevision;
  const measure = async (count: number, samples: number[]) => {
    const warm = 50;
    const events = makeEvents(warm + count);
    for (let i = 0; i < events.length; i += 1) {
      const t0 = nowMs();
      revision = (await Effect.runPromise(store.append("baseline", [events[i]!], revision))).nextExpectedRevision;
      if (i >= warm) samples.push(nowMs() - t0);
    }
  };
  return { measure, close: () => Effect.runPromise(store.close()) };
}

export async function runCommandBench(fixture: Fixture, options: CommandBenchOptions, log: (line: string) => void = console.log): Promise<CommandBenchResult> {
  const cases: CommandCase[] = [];
  const baseline = {} as Record<Durability, Summary>;
  const add = (durability: Durability, label: string, unitEvents: number, cache: CommandCase["cache"], samples: number[]) => {
    const summary = summarize(samples);
    cases.push({ durability, label, unitEvents, cache, summary });
    log(`  command ${durability.padEnd(6)} ${label.padEnd(28)} n=${String(summary.n).padStart(4)} p50 ${fmtMs(summary.p50)} p99 ${fmtMs(summary.p99)}`);
  };
  const editCounter = new Map<string, number>();
  const edit = (ledger: MemLedger, memoryId: string) => {
    const n = (editCounter.get(memoryId) ?? 10_000) + 1;
    editCounter.set(memoryId, n);
    return ledger.memories.edit(memoryId, { content: { text: editText(memoryId, n) } }, benchContext);
  };

  for (const durability of ["full", "normal"] as const) {
    const dir = copyFixture(fixture, `command-${durability}`);
    try {
      const bare = await openBaseline(dir, durability);
      const baselineSamples: number[] = [];
      await bare.measure(Math.ceil(options.baselineAppends / 2), baselineSamples);

      // Cold: a ledger that has never seen these units; one edit per unit.
      const ledger = await openOn(dir, durability);
      try {
        // Warm-up (uncounted): JIT, and enough commits (~4 WAL pages each) to pass the first WAL
        // checkpoint, so the measured fsyncs are steady-state ones (the fixture copy starts without a WAL).
        for (let k = 0; k < options.warmupEdits; k += 1) await edit(ledger, fixture.warmup[k % fixture.warmup.length]!);
        const coldSmall: number[] = [];
        for (const id of fixture.small) await timeAsync(coldSmall, () => edit(ledger, id));
        add(durability, "edit, 10-event unit", 10, "cold", coldSmall);
        const coldLarge: number[] = [];
        for (const id of fixture.large) await timeAsync(coldLarge, () => edit(ledger, id));
        add(durability, `edit, ${fixture.largeEvents}-event unit`, fixture.largeEvents, "cold", coldLarge);

        // Warm: the state cache holds every unit; round-robin so each edit follows another unit's.
        const warmSmall: number[] = [];
        for (let k = 0; k < options.warmEditsSmall; k += 1) for (const id of fixture.small) await timeAsync(warmSmall, () => edit(ledger, id));
        add(durability, "edit, 10-event unit", 10, "warm", warmSmall);
        const warmLarge: number[] = [];
        for (let k = 0; k < options.warmEditsLarge; k += 1) for (const id of fixture.large) await timeAsync(warmLarge, () => edit(ledger, id));
        add(durability, `edit, ${fixture.largeEvents}-event unit`, fixture.largeEvents, "warm", warmLarge);

        // Read side of a warm command: cache hit plus an empty "newer events?" query.
        const getSmall: number[] = [];
        for (let k = 0; k < 5; k += 1) for (const id of fixture.small) await timeAsync(getSmall, () => ledger.memories.get(id));
        add(durability, "get latest, 10-event unit", 10, "warm", getSmall);
      } finally {
        await ledger.close();
      }
      await bare.measure(Math.floor(options.baselineAppends / 2), baselineSamples);
      await bare.close();
      baseline[durability] = summarize(baselineSamples);
      log(`  command ${durability.padEnd(6)} ${"bare store.append (1 event)".padEnd(28)} n=${String(baseline[durability].n).padStart(4)} p50 ${fmtMs(baseline[durability].p50)} p99 ${fmtMs(baseline[durability].p99)}`);
    } finally {
      removeDir(dir);
    }
  }

  const rows = cases.map((c) => {
    const base = baseline[c.durability].p50;
    return [c.durability, c.label, c.cache, String(c.summary.n), fmtMs(c.summary.p50), fmtMs(c.summary.p99), fmtMs(base), fmtRatio(c.summary.p50 / base)];
  });
  const table: Table = {
    title: "Command latency through the library API",
    headers: ["durability", "operation", "cache", "n", "p50", "p99", "bare append p50", "p50 / bare append"],
    rows: [
      ...(["full", "normal"] as const).map((d) => [d, "bare store.append, 1 event (baseline)", "-", String(baseline[d].n), fmtMs(baseline[d].p50), fmtMs(baseline[d].p99), fmtMs(baseline[d].p50), "1.00×"]),
      ...rows,
    ],
    notes: [
      `Cold = first command on each unit in a freshly opened ledger (${fixture.small.length} small units, ${fixture.large.length} large units, one edit each). Warm = ${options.warmEditsSmall} further edits per small unit and ${options.warmEditsLarge} per large unit, round-robin.`,
      "The baseline append is Effect.runPromise on the store (no ledger runtime; it includes the group commit's one turn of the event loop), same durability, a separate pre-filled file in the same directory, sampled half before and half after the ledger measurements.",
    ],
  };
  return { baseline, cases, tables: [table] };
}
