import Database from "better-sqlite3";
import { Effect } from "effect";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { NewEvent } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore, type Durability } from "../src/eventStore/sqliteEventStore.js";
import { makeEvents, removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRate, fmtRatio, median, nowMs, type Table } from "./stats.js";
import { prepareLogTable } from "../src/eventStore/sqliteLogFormat.js";

/**
 * Durable appends: a raw better-sqlite3 insert loop (the floor the store is
 * built on) against the event store's `append`, one event per transaction and
 * `batchSize` events per transaction, for both durability settings. Every case
 * gets a fresh database file; raw and store cases of a pairing run back to back
 * in each round, so the ratio is taken between neighbours in time.
 */
export interface AppendBenchOptions {
  readonly secondsPerCase: number;
  readonly rounds: number;
  readonly batchSize: number;
  /** Events per stream; event i goes to stream floor(i / streamLength) at revision i % streamLength. */
  readonly streamLength: number;
  /** Pre-built events shared by every case (each case writes a fresh file); a case also stops when it runs out. */
  readonly poolSize: number;
  /** Events written in batches before timing (a multiple of streamLength). */
  readonly prefillEvents: number;
}

export type AppendMode = "single" | "batched";
type Impl = "raw" | "store";

export interface AppendPairResult {
  readonly durability: Durability;
  readonly mode: AppendMode;
  /** events/s per round */
  readonly raw: readonly number[];
  readonly store: readonly number[];
  readonly rawEventsWritten: readonly number[];
  readonly storeEventsWritten: readonly number[];
}

export interface AppendBenchResult {
  readonly options: AppendBenchOptions;
  readonly pairs: readonly AppendPairResult[];
  readonly tables: readonly Table[];
}


interface Writer {
  /** Writes events [start, end) in one transaction each (single) or in one transaction (batched). */
  write(start: number, end: number): void | Promise<void>;
  /** Writes events [start, end) in one transaction, whatever the mode (pre-fill). */
  fill(start: number, end: number): void | Promise<void>;
  close(): Promise<void>;
}

function streamOf(i: number, streamLength: number): { streamId: string; revision: number } {
  return { streamId: `stream-${Math.floor(i / streamLength)}`, revision: i % streamLength };
}

function rawWriter(path: string, durability: Durability, events: readonly NewEvent[], mode: AppendMode, streamLength: number): Writer {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${durability === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma("busy_timeout = 5000");
  // The store's own DDL, so raw inserts maintain the same indexes (the checksum column stays empty: raw SQLite is the baseline).
  prepareLogTable(db);
  const insert = db.prepare("INSERT INTO events (stream_id, revision, event_id, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const insertOne = (i: number) => {
    const e = events[i]!;
    const { streamId, revision } = streamOf(i, streamLength);
    insert.run(streamId, revision, e.eventId, e.type, e.schemaVersion, JSON.stringify(e.data), JSON.stringify(e.metadata));
  };
  const tx = db.transaction((start: number, end: number) => {
    for (let i = start; i < end; i += 1) insertOne(i);
  });
  return {
    write: (start, end) => {
      if (mode === "batched") tx.immediate(start, end);
      else for (let i = start; i < end; i += 1) tx.immediate(i, i + 1);
    },
    fill: (start, end) => tx.immediate(start, end),
    close: async () => {
      db.close();
    },
  };
}

function storeWriter(path: string, durability: Durability, events: readonly NewEvent[], mode: AppendMode, streamLength: number): Writer {
  const store = openSqliteEventStore({ path, durability });
  const expectedFor = (revision: number) => (revision === 0 ? ("no_stream" as const) : revision - 1);
  // The store's append resolves after its group commit (one turn of the event loop), so each is awaited.
  const appendBatch = async (start: number, end: number) => {
    const { streamId, revision } = streamOf(start, streamLength);
    await Effect.runPromise(store.append(streamId, events.slice(start, end), expectedFor(revision)));
  };
  return {
    fill: appendBatch,
    write: async (start, end) => {
      if (mode === "batched") {
        await appendBatch(start, end);
      } else {
        for (let i = start; i < end; i += 1) {
          const { streamId, revision } = streamOf(i, streamLength);
          await Effect.runPromise(store.append(streamId, [events[i]!], expectedFor(revision)));
        }
      }
    },
    close: () => Effect.runPromise(store.close()),
  };
}

/** Appends from the pool until the time budget or the pool is used up; returns events/s. */
async function runCase(impl: Impl, durability: Durability, mode: AppendMode, events: readonly NewEvent[], options: AppendBenchOptions): Promise<{ rate: number; written: number }> {
  const dir = tempDir(`append-${impl}-${durability}-${mode}`);
  const open = impl === "raw" ? rawWriter : storeWriter;
  const writer = open(join(dir, "events.db"), durability, events, mode, options.streamLength);
  try {
    // Pre-fill (uncounted) past the first WAL checkpoint, so the WAL file has reached its steady
    // size: while it grows, every fsync also flushes file-size metadata (see walGrowthProbe).
    for (let i = 0; i < options.prefillEvents; i += options.batchSize) await writer.fill(i, i + options.batchSize);
    // Warm-up (uncounted) in the measured mode: JIT, statement caches.
    const warm = options.prefillEvents + (mode === "batched" ? options.streamLength : 200);
    const step = mode === "batched" ? options.batchSize : 50;
    for (let i = options.prefillEvents; i < warm; i += step) await writer.write(i, i + step);
    // Chunks never straddle a stream boundary (batched) and the deadline is checked between chunks.
    const chunk = mode === "batched" ? options.batchSize : 50;
    const deadline = nowMs() + options.secondsPerCase * 1000;
    const start = nowMs();
    let i = warm;
    while (i + chunk <= events.length && nowMs() < deadline) {
      await writer.write(i, i + chunk);
      i += chunk;
    }
    const seconds = (nowMs() - start) / 1000;
    const written = i - warm;
    return { rate: written / seconds, written };
  } finally {
    await writer.close();
    removeDir(dir);
  }
}

/**
 * Raw single-event commits on a brand-new file, in consecutive chunks: shows what
 * the first commits after opening a fresh (or cleanly closed) database cost while
 * the WAL file is still growing, compared with the steady state measured above.
 */
async function walGrowthProbe(durability: Durability, events: readonly NewEvent[], chunks: number, chunkSize: number): Promise<{ msPerCommit: number[]; walBytes: number[] }> {
  const dir = tempDir(`wal-probe-${durability}`);
  const path = join(dir, "events.db");
  const writer = rawWriter(path, durability, events, "single", 1_000_000);
  const msPerCommit: number[] = [];
  const walBytes: number[] = [];
  try {
    for (let k = 0; k < chunks; k += 1) {
      const t0 = nowMs();
      await writer.write(k * chunkSize, (k + 1) * chunkSize);
      msPerCommit.push((nowMs() - t0) / chunkSize);
      walBytes.push(statSync(`${path}-wal`).size);
    }
    return { msPerCommit, walBytes };
  } finally {
    await writer.close();
    removeDir(dir);
  }
}

export async function runAppendBench(options: AppendBenchOptions, log: (line: string) => void = console.log): Promise<AppendBenchResult> {
  if (options.streamLength % options.batchSize !== 0 || options.streamLength % 50 !== 0) throw new Error("streamLength must be a multiple of batchSize and of 50");
  if (options.prefillEvents % options.streamLength !== 0) throw new Error("prefillEvents must be a multiple of streamLength");
  const events = makeEvents(options.poolSize);
  const pairs: { durability: Durability; mode: AppendMode; raw: number[]; store: number[]; rawEventsWritten: number[]; storeEventsWritten: number[] }[] = [];
  for (const durability of ["full", "normal"] as const) {
    for (const mode of ["single", "batched"] as const) pairs.push({ durability, mode, raw: [], store: [], rawEventsWritten: [], storeEventsWritten: [] });
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (const pair of pairs) {
      // Alternate which side goes first, so neither always gets the cooler disk.
      const order: Impl[] = round % 2 === 0 ? ["raw", "store"] : ["store", "raw"];
      for (const impl of order) {
        const { rate, written } = await runCase(impl, pair.durability, pair.mode, events, options);
        pair[impl].push(rate);
        (impl === "raw" ? pair.rawEventsWritten : pair.storeEventsWritten).push(written);
        log(`  append round ${round + 1}/${options.rounds} ${pair.durability.padEnd(6)} ${pair.mode.padEnd(7)} ${impl.padEnd(5)} ${fmtRate(rate).padStart(9)} events/s (${written} events)`);
      }
    }
  }
  const table: Table = {
    title: "Durable appends (events/s, median of rounds)",
    headers: ["durability", "mode", "raw better-sqlite3", "event store append", "store / raw", "store, min–max over rounds"],
    rows: pairs.map((p) => {
      const ratios = p.store.map((s, i) => s / p.raw[i]!);
      return [
        p.durability,
        p.mode === "single" ? "1 event / transaction" : `${options.batchSize} events / transaction`,
        fmtRate(median(p.raw)),
        fmtRate(median(p.store)),
        fmtRatio(median(ratios)),
        `${fmtRate(Math.min(...p.store))}–${fmtRate(Math.max(...p.store))}`,
      ];
    }),
    notes: [
      `${options.rounds} rounds × ${options.secondsPerCase} s per case; fresh database file per case, pre-filled with ${options.prefillEvents.toLocaleString("en-US")} events (past the first WAL checkpoint) before timing; ${options.streamLength} events per stream; store / raw is the median of per-round ratios (raw and store run back to back).`,
    ],
  };
  const probeChunks = 6;
  const probeChunk = 100;
  const probes: string[][] = [];
  for (const durability of ["full", "normal"] as const) {
    const probe = await walGrowthProbe(durability, events, probeChunks, probeChunk);
    probes.push([durability, ...probe.msPerCommit.map((ms, k) => `${fmtMs(ms)} (WAL ${(probe.walBytes[k]! / 2 ** 20).toFixed(1)} MiB)`)]);
    log(`  wal growth probe ${durability}: ${probes[probes.length - 1]!.slice(1).join(", ")}`);
  }
  const probeTable: Table = {
    title: "First commits on a brand-new file (raw better-sqlite3, 1 event / transaction, mean time per commit)",
    headers: ["durability", ...Array.from({ length: probeChunks }, (_, k) => `commits ${k * probeChunk + 1}–${(k + 1) * probeChunk}`)],
    rows: probes,
    notes: ["The WAL is checkpointed at 1,000 pages and then reused from its start; until then it grows, and with synchronous=FULL each growing fsync also commits file-size metadata."],
  };
  return { options, pairs, tables: [table, probeTable] };
}
