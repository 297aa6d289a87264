/**
 * `npx vite-node bench/eventLogIntegrityBench.ts -- --events 1000000 [--stream-length 5] [--batch 100]`:
 * what guarding the embedded log against damage costs (hardening #3), on one log written for the run.
 *
 * Baseline, measured in the same run on the same file: one full read of the log in position order
 * (pages of 20,000 rows, JSON parsed), without checksum verification. The read through the store is
 * timed segment by segment (50,000 events) alternating with the baseline, so both see the same load. Against it:
 * - the open-time `PRAGMA quick_check` (in its worker thread, as the store runs it);
 * - the same full read through the store's readAll, which verifies every event's checksum;
 * - `memledger log verify` (PRAGMA integrity_check + every checksum + revision continuity);
 * - migrating the same log written without checksums (the column dropped, format 0) at open.
 * And appends: the store's batched append on a fresh file, against computing the checksums of the same
 * events alone (their share of the append's time).
 */
import Database from "better-sqlite3";
import { Effect } from "effect";
import { copyFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import { eventChecksum } from "../src/eventStore/eventChecksum.js";
import { startIntegrityCheck } from "../src/eventStore/integrityCheck.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { checkEventLog } from "../src/migration/checkEventLog.js";
import { makeEvents, removeDir, tempDir } from "./payload.js";
import { fmtRate, fmtRatio, formatTable, nowMs, type Table, writeResults } from "./stats.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    events: { type: "string", default: "1000000" },
    "stream-length": { type: "string", default: "5" },
    batch: { type: "string", default: "100" },
    "append-events": { type: "string", default: "100000" },
  },
});
const totalEvents = Number(args.events);
const streamLength = Number(args["stream-length"]);
const batch = Number(args.batch);
const appendEvents = Number(args["append-events"]);
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const log = (line: string) => console.log(line);
const page = 20_000;

/** Streams of `streamLength` events, appended `batch` events at a time. */
async function writeLog(file: string, events: number, pool: readonly NewEvent[]): Promise<number> {
  const store = openSqliteEventStore({ path: file, durability: "normal", integrityCheck: false });
  const started = nowMs();
  let written = 0;
  let uniq = 0;
  while (written < events) {
    const streamStart = written;
    const stream = `bench-${Math.floor(streamStart / streamLength)}`;
    for (let revision = 0; revision < streamLength && written < events; revision += batch) {
      const count = Math.min(batch, streamLength - revision, events - written);
      const slice = Array.from({ length: count }, (_, i) => ({ ...pool[(written + i) % pool.length]!, eventId: `e-${uniq++}` }));
      await run(store.append(stream, slice, revision === 0 ? "no_stream" : revision - 1));
      written += count;
    }
  }
  await run(store.close());
  return (nowMs() - started) / 1000;
}

/** Reads positions (from, to] in pages: straight from SQLite with JSON parsed (the baseline), or through the store. */
function rawRead(db: Database.Database, from: number, to: number): number {
  const stmt = db.prepare<[number, number], { position: number; data: string; metadata: string }>("SELECT * FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT " + page);
  let after = from;
  let events = 0;
  for (;;) {
    const rows = stmt.all(after, to);
    if (rows.length === 0) return events;
    for (const row of rows) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
    }
    events += rows.length;
    after = rows[rows.length - 1]!.position;
  }
}

async function storeRead(store: EventStorePort, from: number, to: number): Promise<number> {
  let after = from;
  let events = 0;
  while (after < to) {
    const rows = await run(store.readAll({ after, maxCount: Math.min(page, to - after) }));
    if (rows.length === 0) return events;
    events += rows.length;
    after = rows[rows.length - 1]!.position;
  }
  return events;
}

/** The whole log read both ways, segment by segment, alternating which goes first: the pair shares the machine's moment. */
async function pairedFullReads(file: string, events: number): Promise<{ raw: number; verified: number; events: number }> {
  const db = new Database(file, { readonly: true });
  const store = openSqliteEventStore({ path: file, integrityCheck: false });
  const segment = 50_000;
  let raw = 0;
  let verified = 0;
  let read = 0;
  for (let from = 0, i = 0; from < events; from += segment, i += 1) {
    const to = from + segment;
    const timeRaw = () => {
      const started = nowMs();
      read += rawRead(db, from, to);
      raw += (nowMs() - started) / 1000;
    };
    const timeStore = async () => {
      const started = nowMs();
      await storeRead(store, from, to);
      verified += (nowMs() - started) / 1000;
    };
    if (i % 2 === 0) {
      timeRaw();
      await timeStore();
    } else {
      await timeStore();
      timeRaw();
    }
  }
  db.close();
  await run(store.close());
  return { raw, verified, events: read };
}

/** Store appends (checksum computed per event) against computing just the checksums of the same events. */
async function appendCost(dir: string, pool: readonly NewEvent[]): Promise<{ appendsPerSecond: number; checksumsPerSecond: number }> {
  const appendsPerSecond = appendEvents / (await writeLog(join(dir, "append-store.db"), appendEvents, pool));
  const started = nowMs();
  for (let i = 0; i < appendEvents; i += 1) {
    const e = pool[i % pool.length]!;
    eventChecksum({ position: i + 1, streamId: `bench-${Math.floor(i / streamLength)}`, revision: i % streamLength, eventId: `e-${i}`, type: e.type, schemaVersion: e.schemaVersion, data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) });
  }
  return { appendsPerSecond, checksumsPerSecond: appendEvents / ((nowMs() - started) / 1000) };
}

async function main(): Promise<void> {
  const dir = tempDir("integrity");
  const file = join(dir, "events.db");
  try {
    const pool = makeEvents(10_000);
    log(`writing ${totalEvents} events (streams of ${streamLength}, batches of ${batch}) to ${file}`);
    const writeSeconds = await writeLog(file, totalEvents, pool);
    const bytes = statSync(file).size;
    log(`  written in ${writeSeconds.toFixed(1)} s, ${(bytes / 1024 / 1024).toFixed(0)} MiB`);
    // Warm the page cache once, so every case reads from memory alike.
    const warm = new Database(file, { readonly: true });
    rawRead(warm, 0, totalEvents);
    warm.close();

    const reads = await pairedFullReads(file, totalEvents);
    const baseline = { events: reads.events, seconds: reads.raw };
    const verified = { events: reads.events, seconds: reads.verified };
    log(`baseline full read: ${baseline.seconds.toFixed(2)} s; through the store with checksums: ${verified.seconds.toFixed(2)} s`);
    const check = startIntegrityCheck(file);
    const quick = await check.finding;
    log(`quick_check: ${quick.kind} in ${quick.seconds.toFixed(2)} s`);
    const verifyStarted = nowMs();
    const report = checkEventLog(file);
    const verifySeconds = (nowMs() - verifyStarted) / 1000;
    log(`log verify: ${report.ok ? "intact" : "DAMAGED"} in ${verifySeconds.toFixed(2)} s`);

    // The same log as an old version wrote it: no checksum column, format 0.
    const legacy = join(dir, "legacy.db");
    copyFileSync(file, legacy);
    const old = new Database(legacy);
    old.exec("ALTER TABLE events DROP COLUMN checksum");
    old.pragma("user_version = 0");
    old.close();
    const migrateStarted = nowMs();
    const migrated = openSqliteEventStore({ path: legacy, durability: "normal", integrityCheck: false });
    const migrateSeconds = (nowMs() - migrateStarted) / 1000;
    await run(migrated.close());
    log(`migration at open: ${migrateSeconds.toFixed(2)} s`);

    const appends = await appendCost(dir, pool);
    log(`appends: ${appends.appendsPerSecond.toFixed(0)}/s; checksums alone: ${appends.checksumsPerSecond.toFixed(0)}/s`);

    const rate = (events: number, seconds: number) => fmtRate(events / seconds);
    const table: Table = {
      title: `Guarding the event log at ${totalEvents.toLocaleString("en-US")} events`,
      headers: ["case", "events", "time", "events/s", "vs baseline"],
      rows: [
        ["baseline: full read in log order, JSON parsed, no checksum", String(baseline.events), `${baseline.seconds.toFixed(2)} s`, rate(baseline.events, baseline.seconds), "1.00×"],
        ["open-time PRAGMA quick_check (worker thread)", String(totalEvents), `${quick.seconds.toFixed(2)} s`, rate(totalEvents, quick.seconds), `${fmtRatio(quick.seconds / baseline.seconds)} the time`],
        ["full read through the store, every checksum verified", String(verified.events), `${verified.seconds.toFixed(2)} s`, rate(verified.events, verified.seconds), `${fmtRatio(verified.seconds / baseline.seconds)} the time`],
        ["memledger log verify (integrity_check + checksums + revisions)", String(report.events), `${verifySeconds.toFixed(2)} s`, rate(report.events, verifySeconds), `${fmtRatio(verifySeconds / baseline.seconds)} the time`],
        ["checksums written for a pre-checksum log at open", String(totalEvents), `${migrateSeconds.toFixed(2)} s`, rate(totalEvents, migrateSeconds), `${fmtRatio(migrateSeconds / baseline.seconds)} the time`],
        [`appends through the store (batches of ${Math.min(batch, streamLength)}, synchronous=NORMAL)`, String(appendEvents), "", fmtRate(appends.appendsPerSecond), ""],
        ["  of which: the checksums alone (serialise + SHA-256)", String(appendEvents), "", fmtRate(appends.checksumsPerSecond), `${fmtRatio(appends.appendsPerSecond / appends.checksumsPerSecond)} of append time`],
      ],
    };
    const markdown = [
      `Log: ${totalEvents} events, ${(bytes / 1024 / 1024).toFixed(0)} MiB, page cache warm; quick_check ${quick.kind}.`,
      "",
      formatTable(table),
    ].join("\n");
    log(`\n${markdown}`);
    log(`results: ${writeResults("event-log-integrity", markdown)}`);
  } finally {
    removeDir(dir);
  }
}

await main();
