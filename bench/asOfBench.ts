import { Effect } from "effect";
import { join } from "node:path";
import { memoryStreamId } from "../domain/memory/memoryEvents.js";
import type { AsOf } from "../projections/asOf.js";
import type { HistoryEntry } from "../projections/memoryHistory.js";
import { projectMemory } from "../projections/memoryView.js";
import type { RecordedEvent } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { decodeMemoryEvent } from "../src/memory/memoryEventCodec.js";
import { openOn, type Fixture } from "./fixtures.js";
import { fmtMs, fmtRatio, nowMs, rng, summarize, type Summary, type Table } from "./stats.js";

/**
 * As-of reads of a large unit: `ledger.memories.get(id, asOf)` at a random
 * revision, addressed by revision, by recorded time and by global position.
 * Every as-of read loads and decrypts the whole stream, then folds the prefix.
 * Baseline: the store's bare `readStream` of the same whole stream (rows +
 * JSON.parse, no decryption, no fold), in the same run.
 */
export interface AsOfBenchOptions {
  readonly reads: number;
  readonly seed: number;
}

export interface AsOfCase {
  readonly label: string;
  readonly summary: Summary;
}

export interface AsOfBenchResult {
  readonly baseline: Summary;
  readonly decode: Summary;
  readonly fold: Summary;
  readonly cases: readonly AsOfCase[];
  readonly tables: readonly Table[];
}

type Mode = "revision" | "time" | "position";

export async function runAsOfBench(fixture: Fixture, options: AsOfBenchOptions, log: (line: string) => void = console.log): Promise<AsOfBenchResult> {
  // Reads only: the fixture directory itself is used (nothing is written to it).
  const ledger = await openOn(fixture.dir, "full");
  const store = openSqliteEventStore({ path: join(fixture.dir, "events.db"), durability: "full" });
  try {
    const histories = new Map<string, readonly HistoryEntry[]>();
    for (const id of fixture.large) {
      const history = await ledger.memories.history(id);
      if (history.length !== fixture.largeEvents) throw new Error(`unit ${id} has ${history.length} events, expected ${fixture.largeEvents}`);
      histories.set(id, history);
    }
    const random = rng(options.seed);
    const pick = () => {
      const id = fixture.large[Math.floor(random() * fixture.large.length)]!;
      return { id, history: histories.get(id)!, revision: Math.floor(random() * fixture.largeEvents) };
    };
    const asOfFor = (mode: Mode, history: readonly HistoryEntry[], revision: number): AsOf =>
      mode === "revision" ? { revision } : mode === "time" ? { time: history[revision]!.recordedAt } : { position: history[revision]!.position };

    const warm = 30;
    const baselineSamples: number[] = [];
    for (let i = 0; i < warm + options.reads; i += 1) {
      const { id } = pick();
      const t0 = nowMs();
      const events = Effect.runSync(store.readStream(memoryStreamId(id)));
      const dt = nowMs() - t0;
      if (events.length !== fixture.largeEvents) throw new Error("short read");
      if (i >= warm) baselineSamples.push(dt);
    }
    const baseline = summarize(baselineSamples);
    log(`  as-of  bare store.readStream (${fixture.largeEvents} events) n=${baseline.n} p50 ${fmtMs(baseline.p50)} p99 ${fmtMs(baseline.p99)}`);

    // Where the rest goes, each step timed alone on already-read events: decoding
    // (AES-256-GCM unseal of every event's content) and folding into a view.
    const keys = openSqliteKeyStore(join(fixture.dir, "keys", "keys.db"));
    const streams = new Map<string, { events: readonly RecordedEvent[]; material: Buffer }>();
    try {
      for (const id of fixture.large) {
        const events = Effect.runSync(store.readStream(memoryStreamId(id)));
        const lookup = Effect.runSync(keys.getKey(events[0]!.metadata.keyId!));
        if (lookup.status !== "active") throw new Error(`no key for ${id}`);
        streams.set(id, { events, material: lookup.key.material });
      }
    } finally {
      await Effect.runPromise(keys.close());
    }
    const decodeSamples: number[] = [];
    const foldSamples: number[] = [];
    for (let i = 0; i < warm + options.reads; i += 1) {
      const { events, material } = streams.get(pick().id)!;
      const t0 = nowMs();
      const decoded = events.map((e) => decodeMemoryEvent(e, material));
      const t1 = nowMs();
      projectMemory(decoded);
      const t2 = nowMs();
      if (i >= warm) {
        decodeSamples.push(t1 - t0);
        foldSamples.push(t2 - t1);
      }
    }
    const decode = summarize(decodeSamples);
    const fold = summarize(foldSamples);
    log(`  as-of  decode (unseal) ${fixture.largeEvents} events p50 ${fmtMs(decode.p50)}; projectMemory fold p50 ${fmtMs(fold.p50)}`);

    const cases: AsOfCase[] = [];
    for (const mode of ["revision", "time", "position"] as const) {
      const samples: number[] = [];
      for (let i = 0; i < warm + options.reads; i += 1) {
        const { id, history, revision } = pick();
        const asOf = asOfFor(mode, history, revision);
        const t0 = nowMs();
        const view = await ledger.memories.get(id, asOf);
        const dt = nowMs() - t0;
        // Several events can share a millisecond, so a time bound may include a few later revisions.
        const ok = mode === "time" ? view.revision >= revision && history[view.revision]!.recordedAt === history[revision]!.recordedAt : view.revision === revision;
        if (!ok) throw new Error(`as-of ${mode} read of ${id} at revision ${revision} returned revision ${view.revision}`);
        if (i >= warm) samples.push(dt);
      }
      const summary = summarize(samples);
      cases.push({ label: `get(id, { ${mode} })`, summary });
      log(`  as-of  get(id, { ${mode} }) n=${summary.n} p50 ${fmtMs(summary.p50)} p99 ${fmtMs(summary.p99)}`);
    }

    const table: Table = {
      title: `As-of reads of a ${fixture.largeEvents}-event unit (random revision)`,
      headers: ["read", "n", "p50", "p99", "p50 / bare readStream"],
      rows: [
        [`bare store.readStream of the whole stream (baseline)`, String(baseline.n), fmtMs(baseline.p50), fmtMs(baseline.p99), "1.00×"],
        [`decodeMemoryEvent of all ${fixture.largeEvents} events, alone (AES-256-GCM unseal)`, String(decode.n), fmtMs(decode.p50), fmtMs(decode.p99), fmtRatio(decode.p50 / baseline.p50)],
        [`projectMemory over all ${fixture.largeEvents} decoded events, alone (fold + view)`, String(fold.n), fmtMs(fold.p50), fmtMs(fold.p99), fmtRatio(fold.p50 / baseline.p50)],
        ...cases.map((c) => [`ledger.memories.${c.label}`, String(c.summary.n), fmtMs(c.summary.p50), fmtMs(c.summary.p99), fmtRatio(c.summary.p50 / baseline.p50)]),
      ],
      notes: [
        `${fixture.large.length} units of ${fixture.largeEvents} events; each read picks a unit and a revision uniformly at random (seeded); ${warm} untimed warm-up reads per row. The time and position of revision r come from the unit's history. An as-of read reads the stream only up to the bound and unseals only the last content-bearing event of that prefix, then folds it.`,
      ],
    };
    return { baseline, decode, fold, cases, tables: [table] };
  } finally {
    await Effect.runPromise(store.close());
    await ledger.close();
  }
}
